"""The resource monitor: measures the memory and processes of the conductor and of everything it
started, turns that into a pressure level (`podium.domain.pressure`) and tells the engine.

Attempts run in sessions of their own but are still the conductor's descendants, except those
re-attached after a restart: their process groups are counted too, so the numbers stay honest.
A measurement that fails is logged and leaves the level as it was; it never stops the conductor.

The state folder is looked at too (`podium.runtime.disk`): while it is nearly full, read-only,
or refused a write, the level is "disk" whatever memory and processes say, and it is looked at
every `DISK_RECHECK_SECONDS` at least, so that dispatch resumes soon after room returns.
"""

import asyncio
import logging
import os
from collections.abc import Callable, Collection

import psutil

from podium.config import ConductorConfig
from podium.domain.disk import DiskSample, disk_trouble
from podium.domain.events import Event, PressureMeasured
from podium.domain.pressure import (
    Pressure,
    PressureLevel,
    ResourceCaps,
    Sample,
    assess,
    unmeasured,
    with_disk,
)
from podium.host import processes as process_table
from podium.runtime.clock import SYSTEM_CLOCK, Clock
from podium.runtime.disk import StateDisk, rule_of

log = logging.getLogger(__name__)

DISK_RECHECK_SECONDS = 1.0
"""How often the state folder is looked at while it stops dispatch."""

_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied)
"""What a process that ends (or turns zombie) between listing and reading it raises."""


def measure(groups: Collection[int]) -> Sample:
    """Memory (RSS) of this process and its descendants plus every process in `groups`,
    together, and how many processes that is besides this one. Processes that vanish midway
    are left out."""
    me = psutil.Process(os.getpid())
    memory = me.memory_info().rss
    pids = {child.pid for child in me.children(recursive=True)}
    if groups:
        pids |= process_table.members(groups)
    pids.discard(me.pid)
    processes = 0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            memory += process.memory_info().rss
        except _GONE:
            continue
        processes += 1
    return Sample(round(memory / (1024 * 1024), 1), processes)


def caps_of(config: ConductorConfig) -> ResourceCaps:
    limits = config.resource_limits
    return ResourceCaps(limits.max_memory_mb, limits.max_processes)


class ResourceMonitor:
    """Measures every `monitor_interval_seconds` and posts `PressureMeasured` to the engine
    when the level changes (and at each measurement while it is critical). The settings are
    read again at each measurement, so a reloaded configuration applies at the next one."""

    def __init__(
        self,
        *,
        config: Callable[[], ConductorConfig],
        groups: Callable[[], Collection[int]],
        post: Callable[[Event], None],
        disk: StateDisk,
        clock: Clock = SYSTEM_CLOCK,
        probe: Callable[[Collection[int]], Sample] = measure,
        told: Callable[[Pressure], None] = lambda _pressure: None,
    ) -> None:
        """`told` hears of each change of level (the event stream)."""
        self._config = config
        self._told = told
        self._groups = groups
        self._post = post
        self._clock = clock
        self._probe = probe
        self._disk = disk
        self._memory = Pressure(PressureLevel.NONE, "not measured yet", caps_of(config()))
        self._trouble: str | None = None
        self._failures = 0
        """Writes reported failed: a sample taken across one is not trusted."""
        self._pressure = self._memory

    @property
    def pressure(self) -> Pressure:
        """The latest measurement's verdict."""
        return self._pressure

    async def run(self) -> None:
        """Measure until cancelled."""
        while True:
            await self.check()
            interval = self._config().monitor_interval_seconds
            if self._trouble is not None:
                interval = min(interval, DISK_RECHECK_SECONDS)
            await self._clock.sleep(interval)

    async def check(self) -> Pressure:
        """Measure once, and tell the engine what it needs to know."""
        caps = caps_of(self._config())
        before = self._memory
        groups = frozenset(self._groups())
        failures = self._failures
        disk = await asyncio.to_thread(self._disk_sample)
        try:
            sample = await asyncio.to_thread(self._probe, groups)
        except (psutil.Error, OSError) as exc:
            log.warning("could not measure resource use: %s; the pressure level stays", exc)
            self._memory = unmeasured(
                before, caps, str(exc) or type(exc).__name__, self._clock.now()
            )
        else:
            self._memory = assess(sample, caps, before.level, self._clock.now())
            if self._memory.level is not before.level:
                report = log.warning if self._memory.level.refuses_work else log.info
                report(
                    "resource pressure %s (was %s): %s",
                    self._memory.level,
                    before.level,
                    self._memory.reason,
                )
        if self._failures == failures:  # else the sample may be older than the failure
            self._settle(disk_trouble(disk, rule_of(*self._disk_settings())))
        else:
            self._settle(self._trouble)
        return self._pressure

    def write_failed(self, error: str) -> None:
        """A write in the state folder failed (the engine's commit, an attempt's files): the
        reserve is given up and dispatch stops at once, until a look at the folder finds room
        for the reserve again."""
        self._failures += 1
        self._disk.failed(error)
        if self._trouble is None:
            self._settle(f"the state folder {self._disk.folder} could not be written ({error})")

    def _disk_sample(self) -> DiskSample:
        return self._disk.sample(rule_of(*self._disk_settings()))

    def _disk_settings(self) -> tuple[int, int]:
        limits = self._config().resource_limits
        return limits.min_free_disk_mb, limits.disk_reserve_mb

    def _settle(self, trouble: str | None) -> None:
        """Lay the state folder's word over the memory level; tell the engine what changed."""
        shown_before = self._pressure
        if (trouble is None) != (self._trouble is None):
            if trouble is None:
                log.info("the state folder has room again: dispatch resumes")
            else:
                log.warning("dispatch stops: %s", trouble)
        self._trouble = trouble
        after = self._pressure = with_disk(self._memory, trouble)
        if after.level is not shown_before.level or after.level is PressureLevel.CRITICAL:
            self._post(PressureMeasured(after.level, after.reason))
        if after.level is not shown_before.level:
            self._told(after)
