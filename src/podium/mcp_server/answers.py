"""What a tool gives back: the text a person would read (the CLI's own views, without colour)
and the conductor's answer as structured content; cut to a size an agent's context can take,
saying how to read the rest."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

MAX_CHARS = 16_000
"""The most text a tool answers with; past it, the text is cut and says so."""


@dataclass(frozen=True)
class Answer:
    """A tool's result: `text` for the agent to read, `data` the structured content."""

    text: str
    data: Mapping[str, object] = field(default_factory=dict)


def structured(answer: Answer, limit: int = MAX_CHARS) -> dict[str, object]:
    """The structured content of an answer: its `text` and the conductor's answer as
    `result`, left out (and said so) when it is larger than `limit` characters as JSON.

    The text is there too because some agent CLIs (Claude Code) hand the model the structured
    content alone when there is one: the agent reads what a person reads either way, and a
    job of a thousand sheets never floods its context."""
    size = len(json.dumps(answer.data))
    if size <= limit:
        return {"text": answer.text, "result": dict(answer.data)}
    return {
        "text": answer.text,
        "result_left_out": f"the conductor's answer is {size} characters of JSON, more than "
        f"{limit}; the text has what matters, the podium command with --json the whole of it",
    }


class ToolRefused(Exception):
    """A tool cannot do what it was asked; the message says why and what to do instead."""


def clip(
    text: str, more: str, *, keep: Literal["head", "tail"] = "head", limit: int = MAX_CHARS
) -> str:
    """`text`, or when it is longer than `limit` characters its head (or its tail: the end of
    a log is what matters), with a line that says what was left out and `more`: how to see
    the rest."""
    if len(text) <= limit:
        return text
    if keep == "tail":
        kept = text[-limit:]
        cut = kept.find("\n")
        kept = kept[cut + 1 :] if 0 <= cut < limit // 2 else kept
        return (
            f"[the first {len(text) - len(kept)} of {len(text)} characters left out; {more}]\n"
            + kept
        )
    kept = text[:limit]
    cut = kept.rfind("\n")
    kept = kept[:cut] if cut > limit // 2 else kept
    return kept + f"\n[the last {len(text) - len(kept)} of {len(text)} characters left out; {more}]"
