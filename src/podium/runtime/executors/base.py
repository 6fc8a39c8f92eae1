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
- collect: an attempt's exit status, output and classification come back as one
  `AttemptExited`, once, whatever happened to the conductor meanwhile.

The local executor (`podium.runtime.executors.local`) runs attempts as process groups on this
machine; a remote one (Ray) implements the same interface without the engine or the loop
knowing.
"""

from collections.abc import Sequence
from typing import Protocol

from podium.domain.commands import Kill, Launch
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import InFlightAttempt


class Executor(Protocol):
    """Runs attempts and reports how they ended (see the module's docstring)."""

    def launch(self, cmd: Launch) -> None:
        """Start the attempt; return at once (its end is posted later)."""
        ...

    def kill(self, cmd: Kill) -> None:
        """Stop a running attempt, or one being started, on purpose."""
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
