"""The instrument names a score may use."""

from pathlib import Path

from podium.instruments.registry import discover

NATIVE = ("claude_cli", "anthropic_api", "ollama", "recursive_light")
"""Names Marianne knows without a profile (`claude_cli`, the default of scores naming none,
plays Podium's `claude-code` profile; the others are HTTP instruments Podium does not run)."""


def known(score_dir: Path | None = None) -> frozenset[str]:
    """Every name a score in `score_dir` may use: the profiles visible from there, and
    Marianne's native names."""
    return frozenset(discover(score_dir).names()) | frozenset(NATIVE)
