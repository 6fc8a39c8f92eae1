"""The instrument names Podium knows, and which of them this version can run."""

BUILTIN = (
    "cli",
    "claude-code",
    "codex-cli",
    "gemini-cli",
    "aider",
    "goose",
    "opencode",
    "crush",
    "cline-cli",
)
"""Podium's own instrument profiles."""

NATIVE = ("claude_cli", "anthropic_api", "ollama", "recursive_light")
"""Names Marianne knows without a profile (`claude_cli` is the default of scores naming none)."""

RUNNABLE = ("cli",)
"""The instruments this version of the conductor can run."""


def known() -> frozenset[str]:
    return frozenset(BUILTIN) | frozenset(NATIVE)


def runnable(name: str) -> bool:
    return name in RUNNABLE


def cannot_run(instruments: dict[int, str]) -> str | None:
    """Why a score whose sheets play `instruments` (sheet → name) cannot run here, if so."""
    blocked = {n: name for n, name in instruments.items() if name not in RUNNABLE}
    if not blocked:
        return None
    first = min(blocked)
    names = sorted(set(blocked.values()))
    return (
        f"sheet {first} plays '{blocked[first]}' ({len(blocked)} sheet(s) use "
        f"{', '.join(repr(n) for n in names)}), which this version of Podium cannot run yet; "
        f"it runs {', '.join(repr(n) for n in RUNNABLE)}. 'podium run --dry-run' shows the plan"
    )
