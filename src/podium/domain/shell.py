"""A shell command whose filled-in values travel beside it, never inside it."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """What `bash -c` runs for a validation, a hook or a skip check.

    `script` is the command as written with each placeholder replaced by a reference to an
    environment variable; `environment` holds those variables' values. Bash expands a
    reference to a value but never parses the value, so no value can become shell syntax.
    """

    script: str
    environment: tuple[tuple[str, str], ...] = ()
    shown: str = ""
    """For people only, never run: the command with the values written in its placeholders."""
