"""The shell command of a check (a validation's `command_succeeds`, a sheet's
`skip_when_command`): run by bash in its own session and process group, both streams on one log
file, the sheet's marker and the values of its placeholders in its environment, stopped (the
whole group) once it runs past its timeout.

Where it runs is the executor's choice (`CheckCommands`): on this machine (`HERE`), or on a
Ray node that offers the sheet's instrument, the one its attempt ran on if it can.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podium.domain.outcome import ExitStatus
from podium.runtime.executors.output import read_end
from podium.runtime.process import exit_status, marked_env, spawn, wait_within

TAIL_BYTES = 1024
"""How much of the end of a command's log is read for its last line."""


@dataclass(frozen=True, slots=True)
class CheckCommand:
    """A check's shell command, where it runs and for how long."""

    script: str
    cwd: Path
    log_file: Path
    """Both its streams."""
    environment: Mapping[str, str]
    """Laid over the environment it starts from (the values of its placeholders)."""
    marker: str | None
    """Set, the processes it starts are findable as the sheet's (`process.MARKER`)."""
    timeout: float
    grace: float
    """Between SIGTERM and SIGKILL once it runs past its timeout."""


@dataclass(frozen=True, slots=True)
class Whose:
    """The attempt a check's command is about, and the instrument planned for its sheet."""

    job_id: str
    sheet: int
    attempt: int
    instrument: str


class CheckCommands(Protocol):
    """Runs a check's command where the executor's attempts run (see the module)."""

    async def run(self, command: CheckCommand, whose: Whose | None) -> ExitStatus | None:
        """As `run_check_command`; `whose` says where it belongs (None: anywhere)."""
        ...


class Here:
    """Check commands on this machine."""

    async def run(self, command: CheckCommand, whose: Whose | None) -> ExitStatus | None:
        return await run_check_command(command)


HERE = Here()


async def run_check_command(command: CheckCommand) -> ExitStatus | None:
    """How the command ended, or None when it ran past its timeout (its group was then
    stopped). Raises OSError when it cannot start."""
    base = marked_env(command.marker) if command.marker else dict(os.environ)
    child = spawn(
        ("bash", "-c", command.script),
        cwd=command.cwd,
        stdout=command.log_file,
        stderr=command.log_file,
        env={**base, **command.environment},
    )
    code = await wait_within(child, command.timeout, command.grace)
    return None if code is None else exit_status(code)


def last_line(log_file: Path, limit: int = 300) -> str:
    """The last line the command wrote (at most `limit` characters); '' when it wrote none."""
    tail = read_end(log_file, TAIL_BYTES).strip()
    return tail.splitlines()[-1][:limit] if tail else ""
