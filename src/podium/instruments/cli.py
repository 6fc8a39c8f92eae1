"""The `cli` instrument: the rendered prompt is a bash script, run as `bash -c PROMPT`."""

from pathlib import Path

NAME = "cli"

ARGV_PROMPT_LIMIT = 100 * 1024
"""Linux refuses a single argument over 128 KiB (MAX_ARG_STRLEN); larger scripts run from the
prompt file instead, which bash reads the same way."""


def command(prompt: str, prompt_file: Path) -> tuple[str, ...]:
    """The argv that runs `prompt`; `prompt_file` holds the same text."""
    if len(prompt.encode()) > ARGV_PROMPT_LIMIT:
        return ("bash", str(prompt_file))
    return ("bash", "-c", prompt)
