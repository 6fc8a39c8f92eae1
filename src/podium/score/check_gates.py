"""Checks of a score's approval gates (`checkpoints`, or `approvals`): P012 a trigger names a
sheet the score does not have, P013 a trigger no sheet passes, P014 triggers that are off."""

from collections.abc import Iterator

from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic
from podium.score.findings import WARNING, finding
from podium.score.gates import matches


def gates(score: CompiledScore) -> Iterator[Diagnostic]:
    """Every finding about the score's gates."""
    model = score.model
    name = "approvals" if model.approvals.triggers else "checkpoints"
    block = model.gate_block
    if not block.triggers:
        return
    if not block.enabled:
        yield finding(
            score,
            (name, "enabled"),
            f"{name} has triggers but is not enabled: no sheet waits for a person "
            "(set enabled: true)",
            "P014",
            WARNING,
        )
        return
    total = score.plan.total_sheets
    for index, trigger in enumerate(block.triggers):
        path: tuple[str | int, ...] = (name, "triggers", index)
        for at, num in enumerate(trigger.sheet_nums or ()):
            if num > total:
                yield finding(
                    score,
                    (*path, "sheet_nums", at),
                    f"trigger '{trigger.name}' names sheet {num}, but the score has {total} sheets",
                    "P012",
                    WARNING,
                )
        if not any(matches(trigger, s.num, score.prompt_or_nothing) for s in score.plan.sheets):
            yield finding(
                score,
                path,
                f"trigger '{trigger.name}' matches no sheet of this score: nothing will wait "
                "for it (check its sheet_nums and prompt_contains)",
                "P013",
                WARNING,
            )
