"""The agent's feedback: a block of its answer (`feedback.pattern`, between FEEDBACK_START and
FEEDBACK_END by default) read as JSON, YAML or text (`feedback.format`), kept with the attempt
(`history`, `status`, the web page) and offered to later sheets' templates as
`previous_feedback` ({sheet: feedback}).

A block that does not parse as its format is kept as its text, so nothing the agent said is
lost; the last block of the answer wins, as the answer's end is where an agent concludes.
"""

import json
import re
from typing import Any

import yaml

from podium.score.blocks import FeedbackConfig

MAX_FEEDBACK_CHARS = 16_000
"""A block longer than this is cut (before parsing it would fail, so it is kept as text)."""


def feedback_value(text: str, config: FeedbackConfig) -> Any:
    """The feedback in `text`, parsed; None when it has none (or feedback is off)."""
    if not config.enabled or not text:
        return None
    blocks = list(re.finditer(config.pattern, text))
    if not blocks:
        return None
    last = blocks[-1]
    raw = (last.group(1) if last.re.groups else last.group(0)).strip()
    if len(raw) > MAX_FEEDBACK_CHARS:
        return raw[:MAX_FEEDBACK_CHARS] + " […]"
    try:
        match config.format:
            case "json":
                return json.loads(raw)
            case "yaml":
                return yaml.safe_load(raw)
            case _:
                return raw
    except (ValueError, yaml.YAMLError):
        return raw


def feedback_json(text: str, config: FeedbackConfig) -> str | None:
    """The feedback in `text` as JSON text, as it is kept with the attempt."""
    value = feedback_value(text, config)
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)
