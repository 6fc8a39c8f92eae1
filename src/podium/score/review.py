"""The prompt of an AI review (`ai_review`): the sheet's task, the agent's answer and the
checks that passed, and how to answer. `ai_review.review_prompt_template` replaces it: a Jinja
template with the sheet's variables and `prompt`, `output`, `checks` (each check's summary),
`min_score` and `target_score`."""

from collections.abc import Sequence

from podium.domain.ids import SheetNum
from podium.domain.validation import ValidationResult
from podium.score.compiled import CompiledScore

SHOWN_CHARS = 20_000
"""The task and the answer are each cut to their last this many characters."""


def review_prompt(
    score: CompiledScore,
    num: SheetNum,
    task: str,
    answer: str,
    results: Sequence[ValidationResult],
) -> str:
    config = score.model.ai_review
    checks = [r.rule.summary() for r in results if r.passed]
    if config.review_prompt_template:
        return score.render_text(
            num,
            config.review_prompt_template,
            {
                "prompt": task,
                "output": answer,
                "checks": checks,
                "min_score": config.min_score,
                "target_score": config.target_score,
            },
        )
    listed = "\n".join(f"- {c}" for c in checks) or "- (none)"
    return (
        "You review the work an agent did for one step of a larger job. Judge how well the "
        "work does what its task asks. The automatic checks listed below already passed; "
        "judge what they cannot see. You may read the files in the working directory.\n\n"
        f"## The task\n\n{_cut(task)}\n\n"
        f"## The agent's answer\n\n{_cut(answer) or '(no answer text)'}\n\n"
        f"## Checks that passed\n\n{listed}\n\n"
        "## Your answer\n\n"
        "Score the work from 0 (useless) to 100 (exactly what was asked). Reply with exactly "
        "two lines:\nSCORE: <0-100>\nREASON: <one sentence>\n"
    )


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SHOWN_CHARS else "[…]" + text[-SHOWN_CHARS:]
