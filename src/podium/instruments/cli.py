"""The `cli` instrument: the rendered prompt is a bash script, run by `bash -c`.

The script is not put in argv: bash sources it from the attempt's prompt file (`bash -c
'. FILE'`), which runs it the same way while keeping it out of `ps` (world-readable, where a
token in a script would show) and clear of Linux's 128 KiB limit on one argument.
"""

import shlex
from pathlib import Path

NAME = "cli"


def command(prompt_file: Path) -> tuple[str, ...]:
    """The argv that runs the script in `prompt_file`."""
    return ("bash", "-c", f". {shlex.quote(str(prompt_file))}")
