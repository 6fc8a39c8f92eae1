"""The executor interface: where attempts run, as the engine loop and a restart see it.

An executor takes the engine's `Launch` and `Kill` commands and reports every attempt's end
as an `AttemptExited` event (or `AttemptNotLaunched`, or `AttemptLost` for one lost with the
machine that ran it), posted to the engine: that report is how an attempt's ending is
collected, whoever started it. The contract, kept by every
implementation (`tests/contract/test_executors.py` runs one suite against each):

- launch: the attempt is recorded in the store (`Store.record_process`) before it can be
  reported running, so that a restart finds it;
- signal: `kill` stops an attempt on purpose (also one still being started); its end is
  reported as usual;
- re-attach: after a conductor restart, `survivors` says which of the attempts the store
  has as running still exist or left their ending, and `reattach` watches one again under
  the timeouts it started with, its end reported as if this conductor had started it;
- reach: `check_reach` refuses a job at submission when where its attempts would run cannot
  see its workspace (nothing to check on this machine);
- collect: an attempt's exit status, output and classification come back as one
  `AttemptExited`, once, whatever happened to the conductor meanwhile.

The local executor (`podium.runtime.executors.local`) runs attempts as process groups on this
machine; a remote one (Ray) implements the same interface without the engine or the loop
knowing.

`describe` says where attempts run, for `podium conductor-status`, `podium top` and the
dashboard: it answers at once from what the executor knows, never by asking a cluster then.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from podium.domain.commands import Kill, Launch
from podium.domain.errors import UserError
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import InFlightAttempt
from podium.runtime.checks.command import CheckCommands


class NowhereToRun(UserError):
    """No place the executor has can run the attempt (no live node offers its instrument):
    trying again cannot help, so the sheet moves on to its next instrument, or fails."""


class NotPlacedYet(UserError):
    """No place can run the attempt now, but one may soon (the nodes that offered its
    instrument are gone, and may come back): the sheet waits `wait` seconds, its budget
    untouched, then runs."""

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True, slots=True)
class NodeDescription:
    """One node of a cluster as last read, and the attempts this conductor runs there."""

    node_id: str
    address: str
    alive: bool
    instruments: tuple[str, ...]
    """The known instruments whose node resource it declares."""
    resources: tuple[str, ...]
    """The `instrument:*` resources it declares that map to no known instrument."""
    attempts: int
    """The attempts this conductor watches that run there now."""
    cpu: float | None = None
    """CPUs in use, as the cluster counts them (what its tasks and actors hold)."""
    cpu_total: float | None = None
    memory_mb: float | None = None
    memory_total_mb: float | None = None


@dataclass(frozen=True, slots=True)
class ExecutorDescription:
    """Where attempts run: this machine, or a cluster and its nodes as last read."""

    type: Literal["local", "ray"]
    running: int
    """Attempts watched now."""
    address: str = ""
    namespace: str = ""
    nodes: tuple[NodeDescription, ...] = ()
    nodes_age_seconds: float | None = None
    """How long ago the nodes were read; None when they never were."""
    error: str | None = None
    """Why the nodes shown may be out of date (the cluster failed or stopped answering)."""


class Executor(Protocol):
    """Runs attempts and reports how they ended (see the module's docstring)."""

    def launch(self, cmd: Launch) -> None:
        """Start the attempt; return at once (its end is posted later)."""
        ...

    def kill(self, cmd: Kill) -> None:
        """Stop a running attempt, or one being started, on purpose."""
        ...

    async def check_reach(self, workspace: Path, instruments: Collection[str]) -> None:
        """Raise `UserError` when the attempts of a job on `instruments` would run where
        `workspace` (or the attempts' files) cannot be seen."""
        ...

    async def keep_watch(self, lost: Callable[[str], None]) -> None:
        """Watch where attempts run until the conductor stops, and call `lost` (once, with
        why) when that place is gone for good, so that the conductor stops, saying so."""
        ...

    @property
    def check_commands(self) -> CheckCommands:
        """Where the commands of validations and skip checks run: where the attempts do."""
        ...

    def stop_starting(self) -> None:
        """At shutdown: start no process any more; what runs goes on."""
        ...

    def survivors(self, in_flight: Sequence[InFlightAttempt]) -> list[InFlightAttempt]:
        """Of the attempts recorded as running, those that outlived the conductor (still
        running, or ended with their ending kept), each with its process as known now."""
        ...

    def reattach(self, attempt: InFlightAttempt) -> None:
        """Watch again an attempt `survivors` found; its end is posted as usual."""
        ...

    @property
    def running(self) -> int:
        """Attempts watched now."""
        ...

    def process_groups(self) -> frozenset[int]:
        """The process groups on this machine of the attempts watched (their load counts
        here); none for attempts that run elsewhere."""
        ...

    def attempt_groups(self) -> dict[tuple[JobId, SheetNum, int], int]:
        """The process group on this machine of each attempt watched, by (job, sheet,
        attempt); attempts that run elsewhere are left out."""
        ...

    def describe(self) -> ExecutorDescription:
        """Where attempts run and how many run there, at once (never waiting for a cluster)."""
        ...
