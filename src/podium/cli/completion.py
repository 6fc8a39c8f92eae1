"""Shell completion: the code `podium completion SHELL` prints has the shell run `podium` with
`_ARGCOMPLETE` set, and argcomplete answers from the parser itself, so the completions always
match the commands. Job ids are completed from the conductor's jobs."""

from __future__ import annotations

import argparse
import os

JOB_ARGUMENTS = frozenset({"job"})
"""Arguments (by dest) whose values are job ids."""
LISTED = 200
"""Job ids offered at most: the newest ones."""


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit (argcomplete's protocol)."""
    import argcomplete  # noqa: PLC0415 - only while completing

    for action in _actions(parser):
        if action.dest in JOB_ARGUMENTS:
            action.completer = job_ids  # type: ignore[attr-defined]
    argcomplete.autocomplete(parser)


def typed_words() -> list[str]:
    """The words of the command line being completed, before the one being typed: the verbs
    among them are those whose arguments the parser needs."""
    from argcomplete.lexers import split_line  # noqa: PLC0415 - only while completing

    line = os.environ.get("COMP_LINE", "")
    return split_line(line, int(os.environ.get("COMP_POINT", len(line))))[3]


def job_ids(prefix: str, **_: object) -> list[str]:
    """The ids of the conductor's jobs starting with `prefix`; none when it does not run."""
    from podium.cli.connect import client  # noqa: PLC0415
    from podium.ipc.client import ConductorUnavailable  # noqa: PLC0415
    from podium.ipc.methods import JOB_LIST  # noqa: PLC0415

    try:
        with client(timeout=2.0) as conductor:
            found = conductor.request(JOB_LIST({"all": True, "limit": LISTED}))
    except (ConductorUnavailable, OSError):
        return []
    return [j["job_id"] for j in found["jobs"] if j["job_id"].startswith(prefix)]


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _actions(sub)
    return found
