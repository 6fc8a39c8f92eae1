"""The Ray cluster's nodes as the conductor shows them (`podium conductor-status`, `podium top`,
the dashboard): read every few seconds in a thread of their own, so that a status answers at
once from the latest reading, says how old it is, and says so when the cluster failed to
answer or stopped answering, rather than wait for it.

A node offers an instrument when it declares the instrument's node resource
(`ExecutorConfig.resource`, `instrument:<name>` by default); the `instrument:*` resources it
declares that map to no known instrument are shown as they are. Its load is what this
conductor runs there (the attempts it watches) and the CPUs and memory its tasks and actors
hold, as Ray counts them.
"""

import atexit
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from podium.config import ExecutorConfig
from podium.runtime.executors.base import ExecutorDescription, NodeDescription
from podium.runtime.executors.ray.cluster import NodeState

log = logging.getLogger(__name__)

READ_EVERY_SECONDS = 5.0
"""How often the nodes are read."""

SILENT_SECONDS = 15.0
"""A reading that has not ended after this long is said: the cluster does not answer."""

HEAD_LOST_SECONDS = 40.0
"""A cluster whose nodes could not be read for this long has lost its head: Ray itself ends a
driver whose head has been gone for a minute, so the conductor stops before, saying why."""

STOP_SECONDS = 2.0
"""At exit, at most this long for a reading under way to end."""

PREFIX = "instrument:"
"""The node resources shown even when they map to no known instrument."""

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Reading:
    """The nodes as last read, with the instruments known then; when they were read; why the
    latest reading failed, if it did; and since when a reading under way has been waiting."""

    nodes: tuple[NodeState, ...] = ()
    instruments: tuple[str, ...] = ()
    read_at: float | None = None
    error: str | None = None
    asking_since: float | None = None


class NodeWatch:
    """Reads the nodes (`read`, which asks the cluster) and the known instrument names
    (`instruments`) every `every` seconds in a daemon thread; `reading` is the latest."""

    def __init__(
        self,
        read: Callable[[], Iterable[NodeState]],
        instruments: Callable[[], Iterable[str]],
        clock: Callable[[], float],
        every: float = READ_EVERY_SECONDS,
    ) -> None:
        self._read = read
        self._instruments = instruments
        self._clock = clock
        self._every = every
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.started_at = clock()
        """When the watch began: the age of silence before the first reading."""
        # Replaced whole (never changed in place), so the loop's thread reads it without a lock.
        self.reading = Reading()

    def refresh(self) -> None:
        """Read the nodes once (the thread does it every `every` seconds)."""
        self.reading = replace(self.reading, asking_since=self._clock())
        try:
            nodes = tuple(self._read())
            instruments = tuple(self._instruments())
        # Whatever the cluster's client raises is shown to the user; the next reading tries again.
        except Exception as exc:  # noqa: BLE001
            log.warning("could not read the Ray cluster's nodes: %s", exc)
            self.reading = replace(
                self.reading, error=f"{type(exc).__name__}: {exc}", asking_since=None
            )
            return
        self.reading = Reading(nodes, instruments, self._clock())

    def start(self) -> None:
        """Read now and every `every` seconds, until the process exits."""
        self.started_at = self._clock()
        self._thread = threading.Thread(target=self._run, name="ray nodes", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Read no more (a reading under way is waited for, briefly)."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(STOP_SECONDS)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.refresh()
            self._stopping.wait(self._every)


def silent_for(reading: Reading, watching_since: float, now: float) -> float:
    """How long the cluster has gone without answering for its nodes."""
    return max(0.0, now - (reading.read_at if reading.read_at is not None else watching_since))


def describe(
    reading: Reading,
    now: float,
    *,
    settings: ExecutorConfig,
    namespace: str,
    running: int,
    on: Mapping[str, int],
) -> ExecutorDescription:
    """The cluster as `reading` saw it, `on` giving the attempts running on each node (by id)."""
    known = {*reading.instruments, *settings.resources}
    error = reading.error
    if reading.asking_since is not None and now - reading.asking_since >= SILENT_SECONDS:
        error = (
            f"the cluster has not answered for {now - reading.asking_since:.0f}s "
            f"(asked for its nodes)"
        )
    nodes = sorted(reading.nodes, key=lambda n: (not n.alive, n.address, n.node_id))
    return ExecutorDescription(
        "ray",
        running,
        address=settings.address,
        namespace=namespace,
        nodes=tuple(_node(n, known, settings, on.get(n.node_id, 0)) for n in nodes),
        nodes_age_seconds=None if reading.read_at is None else max(0.0, now - reading.read_at),
        error=error,
    )


def offered(
    resources: Mapping[str, float], known: Iterable[str], resource_of: Callable[[str], str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The known instruments whose resource a node declares, and the `instrument:*` resources
    it declares that none of them maps to."""
    declared = {name for name, amount in resources.items() if amount > 0}
    instruments = tuple(sorted(name for name in set(known) if resource_of(name) in declared))
    mapped = {resource_of(name) for name in instruments}
    raw = tuple(sorted(r for r in declared if r.startswith(PREFIX) and r not in mapped))
    return instruments, raw


def _node(
    state: NodeState, known: set[str], settings: ExecutorConfig, attempts: int
) -> NodeDescription:
    instruments, raw = offered(state.total, known, settings.resource)
    cpu_total, memory_total = state.total.get("CPU"), state.total.get("memory")
    return NodeDescription(
        node_id=state.node_id,
        address=state.address,
        alive=state.alive,
        instruments=instruments,
        resources=raw,
        attempts=attempts,
        cpu=_used(cpu_total, state.available, "CPU"),
        cpu_total=cpu_total,
        memory_mb=_mb(_used(memory_total, state.available, "memory")),
        memory_total_mb=_mb(memory_total),
    )


def _used(total: float | None, available: Mapping[str, float] | None, name: str) -> float | None:
    """What is held of a resource; Ray leaves out of the available ones those wholly held."""
    if total is None or available is None:
        return None
    return max(0.0, total - available.get(name, 0.0))


def _mb(amount: float | None) -> float | None:
    return None if amount is None else round(amount / MB, 1)
