"""The commands of checks (a validation's `command_succeeds`, a sheet's `skip_when_command`)
on the Ray node that ran the attempt they check, or else on one that offers its instrument.

A check's command runs where the work was done: with that node's tools, environment and view
of the workspace. It is a Ray task that runs the command as on one machine
(`podium.runtime.checks.command.run_check_command`: bash in a session of its own, its output
on the check's log file under the state folder, its group stopped past its timeout), and
answers how it ended. A node lost meanwhile, or no node to run it, is a command that could not
run: its check fails, saying so.
"""

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ray
from ray.exceptions import RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from podium.domain.environment import joined
from podium.domain.outcome import ExitStatus
from podium.runtime.checks.command import CheckCommand, Whose, run_check_command

PLACE_SECONDS = 300.0
"""Beyond the command's own timeout, at most this long for it to be placed and answer."""

KEPT = 10_000
"""How many attempts' nodes are remembered (the newest): their checks follow soon after."""


def _cancel(reply: Any) -> None:
    """Cancel a check's task (in a thread: it asks the head)."""
    with contextlib.suppress(RayError, ValueError):
        ray.cancel(reply, force=True)


def _run_here(command: CheckCommand) -> ExitStatus | None:
    """On a node: the command run there (with the node's own environment, and its PATH
    searched after the one the job carried), how it ended."""
    given = command.environment
    if "PATH" in given and os.environ.get("PATH"):
        given = {**given, "PATH": joined(given["PATH"], os.environ["PATH"])}
    return asyncio.run(run_check_command(replace(command, environment=given)))


_run_remote: Any = ray.remote(num_cpus=0, max_retries=0)(_run_here)


class NodeCommands:
    """`CheckCommands` on the cluster (see the module). `resource` gives the node resource
    that offers an instrument."""

    def __init__(self, resource: Callable[[str], str]) -> None:
        self._resource = resource
        self._nodes: dict[tuple[str, int, int], tuple[str, str | None]] = {}
        """The node each recent attempt ran on, and the node resource it asked for (that of
        the instrument that played it: a fallback, maybe), by (job, sheet, attempt)."""

    def ran_on(
        self, job_id: str, sheet: int, attempt: int, node: str, resource: str | None
    ) -> None:
        """Remember where an attempt runs, for its checks."""
        self._nodes[job_id, sheet, attempt] = (node, resource)
        while len(self._nodes) > KEPT:
            del self._nodes[next(iter(self._nodes))]

    async def run(self, command: CheckCommand, whose: Whose | None) -> ExitStatus | None:
        """As `run_check_command`, on the node. Raises OSError when it could not run there."""
        options: dict[str, Any] = {}
        if whose is not None:
            node, resource = self._nodes.get((whose.job_id, whose.sheet, whose.attempt), ("", None))
            options["resources"] = {resource or self._resource(whose.instrument): 0.001}
            if node:
                # That node if it still can; else another that offers the instrument.
                options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=True)
        reply = _run_remote.options(**options).remote(
            replace(command, environment=dict(command.environment))
        )
        try:
            found: ExitStatus | None = await asyncio.wait_for(
                reply, command.timeout + command.grace + PLACE_SECONDS
            )
        except TimeoutError as exc:
            asyncio.get_running_loop().run_in_executor(None, _cancel, reply)
            raise OSError("no Ray node offering its instrument took it in time") from exc
        except RayTaskError as exc:
            raise OSError(f"on its Ray node: {exc.cause or exc}") from exc
        except RayError as exc:
            raise OSError(f"its Ray node was lost: {type(exc).__name__}") from exc
        return found
