"""The `cli` instrument: the rendered prompt is a bash script, run by `bash -c`.

A completion attempt learns which checks failed from its environment (see `environment`).

The script is not put in argv: bash sources it from the attempt's prompt file (`bash -c
'. FILE'`), which runs it the same way while keeping it out of `ps` (world-readable, where a
token in a script would show) and clear of Linux's 128 KiB limit on one argument.
"""

import shlex
from pathlib import Path

MODE = "PODIUM_ATTEMPT_MODE"
FAILED_CHECKS = "PODIUM_FAILED_CHECKS"

NAME = "cli"


def command(prompt_file: Path) -> tuple[str, ...]:
    """The argv that runs the script in `prompt_file`."""
    return ("bash", "-c", f". {shlex.quote(str(prompt_file))}")


def environment(completion_of: tuple[str, ...]) -> dict[str, str]:
    """A script's prompt is its code, so a completion attempt is told which checks failed
    through the environment: PODIUM_ATTEMPT_MODE=completion and PODIUM_FAILED_CHECKS (one check
    per line)."""
    if not completion_of:
        return {MODE: "normal"}
    checks = "\n".join(c.replace("\n", " ") for c in completion_of)
    return {MODE: "completion", FAILED_CHECKS: checks}
