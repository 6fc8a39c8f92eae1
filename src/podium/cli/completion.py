"""Shell completion: `podium completion SHELL` prints the code a shell needs; the shell then
runs `podium` with `_ARGCOMPLETE` set and argcomplete answers from the parser itself, so the
completions always match the commands. Job ids are completed from the conductor's jobs."""

from __future__ import annotations

import argparse
import sys

from podium.cli import exits
from podium.ipc.methods import JOB_LIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

JOB_ARGUMENTS = frozenset({"job"})
"""Arguments (by dest) whose values are job ids."""
LISTED = 200
"""Job ids offered at most: the newest ones."""


def main(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode  # noqa: PLC0415 - this command only

    sys.stdout.write(shellcode(["podium"], shell=args.shell))
    return exits.OK


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit (argcomplete's protocol)."""
    import argcomplete  # noqa: PLC0415 - only while completing

    for action in _actions(parser):
        if action.dest in JOB_ARGUMENTS:
            action.completer = job_ids  # type: ignore[attr-defined]
    argcomplete.autocomplete(parser)


def job_ids(prefix: str, **_: Any) -> list[str]:
    """The ids of the conductor's jobs starting with `prefix`; none when it does not run."""
    from podium.cli.connect import client  # noqa: PLC0415
    from podium.ipc.client import ConductorUnavailable  # noqa: PLC0415

    try:
        with client(timeout=2.0) as conductor:
            found = conductor.request(JOB_LIST({"all": True, "limit": LISTED}))
    except (ConductorUnavailable, OSError):
        return []
    return [j["job_id"] for j in found["jobs"] if str(j["job_id"]).startswith(prefix)]


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _actions(sub)
    return found
