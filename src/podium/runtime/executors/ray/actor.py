"""The actor that runs one attempt on a Ray node.

One detached, named actor per attempt (`<job>/<sheet>/<attempt>` in the conductor's namespace):
detached, it outlives the conductor that made it, and a new conductor finds it by its name. It
starts the instrument as the local executor does (`podium.runtime.process.spawn`: a session
and process group of its own, stdin, stdout and stderr on files, the exit wrapper recording
the status in the attempt's exit file), on the node Ray placed it on; the attempt's files are
under the conductor's state folder, which every node mounts at the same path. It stops the
attempt by its process group (Ray's own cancel reaches neither an actor's task nor a process
in a session of its own), and stops what an ended attempt left in its group. The attempt dies
with the actor: when the actor's process dies (its node lost, say), its tether stops the
attempt's group (`podium.runtime.executors.ray.tether`).

The actor's methods are coroutines, so that `stop` and `describe` answer while `wait` waits.
"""

import os
from pathlib import Path

import ray

from podium.runtime.executors.local.watch import LEFTOVER_GRACE_SECONDS
from podium.runtime.executors.ray.environment import on_node, program
from podium.runtime.executors.ray.tether import start_tether
from podium.runtime.process import Child, group_exists, spawn, stop_group

NODE_ENV = "PODIUM_RAY_NODE"
"""Set in the attempt's environment: the id of the Ray node it runs on."""


def actor_name(job_id: str, sheet: int, attempt: int) -> str:
    """The name of an attempt's actor in its namespace."""
    return f"{job_id}/{sheet}/{attempt}"


class AttemptActor:
    """Runs one attempt's process on its node and answers for it (see the module)."""

    def __init__(self) -> None:
        self._child: Child | None = None
        self._tether = start_tether()
        """Stops the attempt once this actor's process dies (see its module)."""
        self._code: int | None = None
        self._node = ray.get_runtime_context().get_node_id()

    async def start(
        self,
        argv: list[str],
        *,
        cwd: str,
        stdout: str,
        stderr: str,
        stdin: str | None,
        env: dict[str, str],
        passed: list[str] | None,
        exit_file: str,
    ) -> tuple[int, int, int, str]:
        """Start the attempt (once: an actor runs one attempt); its pid, process group, start
        stamp and this node's id. `env` is what the conductor decided of its environment, laid
        over this node's own as the profile filters it (`passed`); the program is looked up
        here when the conductor's path to it is not (`environment`). Raises OSError, naming
        this node, when it cannot start."""
        if self._child is not None:
            raise RuntimeError("this actor has started its attempt already")
        whole = on_node(os.environ, env, tuple(passed) if passed is not None else None)
        whole[NODE_ENV] = self._node
        try:
            self._child = spawn(
                [program(argv[0], whole.get("PATH", "")), *argv[1:]],
                cwd=Path(cwd),
                stdout=Path(stdout),
                stderr=Path(stderr),
                stdin=Path(stdin) if stdin else None,
                env=whole,
                exit_file=Path(exit_file),
            )
            self._tether.hold(self._child)
        except OSError as exc:
            raise OSError(f"on Ray node {self._node[:12]}: {exc}") from exc
        info = self._child.info
        return (info.pid, info.pgid, info.start_ticks, self._node)

    async def describe(self) -> tuple[int, int, int, str] | None:
        """The same as `start` answered, or None before it did."""
        if self._child is None:
            return None
        info = self._child.info
        return (info.pid, info.pgid, info.start_ticks, self._node)

    async def wait(self, grace: float) -> int:
        """The attempt's return code, Popen-style, once it has ended; what it left in its
        group is stopped first (`grace` seconds at most between SIGTERM and SIGKILL)."""
        if self._child is None:
            raise RuntimeError("this actor has no attempt")
        if self._code is None:
            self._code = await self._child.wait()
        pgid = self._child.info.pgid
        if group_exists(pgid):
            await stop_group(pgid, min(grace, LEFTOVER_GRACE_SECONDS))
        return self._code

    async def stop(self, grace: float) -> None:
        """Stop the attempt's process group: SIGTERM, `grace` seconds, SIGKILL."""
        if self._child is not None:
            await stop_group(self._child.info.pgid, grace, leader=self._child)
