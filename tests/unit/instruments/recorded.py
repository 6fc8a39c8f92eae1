"""Marianne's profiles and the recorded runs of real agent CLIs, from ../shared."""

import json
from typing import Any

import pytest

from tests.conftest import SHARED

MARIANNE_PROFILES = SHARED / "instruments" / "marianne"
RECORDINGS = SHARED / "fixtures" / "agent-clis"

CLI_OF_PROFILE = {
    "claude-code": "claude",
    "codex-cli": "codex",
    "gemini-cli": "gemini",
    "opencode": "opencode",
    "aider": "aider",
}
"""The built-in profiles that have recorded runs, and the CLI name in the recordings."""


def recording(name: str) -> dict[str, Any]:
    """One recorded run: argv, env, rc, stdout, stderr."""
    path = RECORDINGS / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def recordings_of(cli: str) -> list[dict[str, Any]]:
    if not RECORDINGS.is_dir():
        pytest.skip(f"{RECORDINGS} is not here")
    runs = [json.loads(p.read_text()) for p in sorted(RECORDINGS.glob(f"{cli}-*.json"))]
    return [r for r in runs if r["cli"] == cli]
