"""Attempts as `podium history`, `errors` and `diagnose` show them: how an attempt ended, the
end of its output, its error's colour, attempts grouped by sheet."""

from __future__ import annotations

import json
import signal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from podium.ipc.schema import AttemptDetailInfo

JSON_TAIL_LINES = 20
"""Lines of each stream in `history --json` and `errors --json`."""
TYPE_COLORS = {"transient": "yellow", "rate_limit": "blue", "permanent": "red"}
"""The colour of each kind of error."""


def exit_text(attempt: AttemptDetailInfo) -> str | None:
    """'exit code 1', 'killed by SIGKILL'; None while it runs."""
    if attempt["signal"] is not None:
        try:
            return f"killed by {signal.Signals(attempt['signal']).name}"
        except ValueError:
            return f"killed by signal {attempt['signal']}"
    if attempt["exit_code"] is not None:
        return f"exit code {attempt['exit_code']}"
    return None


FEEDBACK_SHOWN_CHARS = 300
"""An agent's feedback is shown on one line, cut to this (`--json` has all of it)."""


def feedback_text(value: object) -> str:
    """An attempt's feedback on one line: text as it is, anything else as compact JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= FEEDBACK_SHOWN_CHARS else text[: FEEDBACK_SHOWN_CHARS - 1] + "…"


def review_text(review: Mapping[str, Any]) -> str:
    """An AI review on one line: score, by whom, what it cost, why."""
    score = review.get("score")
    parts = [f"{score}/100" if score is not None else "no score"]
    by = str(review.get("instrument") or "")
    if review.get("model"):
        by += f" ({review['model']})"
    parts.append(f"by {by}")
    tokens = (review.get("input_tokens") or 0) + (review.get("output_tokens") or 0)
    if tokens:
        parts.append(f"{tokens:,} tokens")
    if review.get("cost") is not None:
        mark = "~" if review.get("cost_estimated") else ""
        parts.append(f"{mark}${review['cost']:.4f}")
    text = " · ".join(parts)
    return f"{text}: {review['reason']}" if review.get("reason") else text


def tail_lines(stream: str, text: str) -> list[str]:
    """The end of one of an attempt's streams, its lines framed under its name."""
    rows = text.rstrip("\n").splitlines()
    if not rows:
        return []
    label = f"  {stream}"
    return [f"{label if i == 0 else ' ' * len(label)}  │ {row}" for i, row in enumerate(rows)]


def group_by_sheet(
    attempts: list[AttemptDetailInfo],
) -> list[tuple[int, list[AttemptDetailInfo]]]:
    """Attempts grouped by sheet (in sheet order), each group oldest first."""
    groups: dict[int, list[AttemptDetailInfo]] = {}
    for attempt in sorted(attempts, key=lambda a: (a["sheet"], a["attempt"])):
        groups.setdefault(attempt["sheet"], []).append(attempt)
    return sorted(groups.items())
