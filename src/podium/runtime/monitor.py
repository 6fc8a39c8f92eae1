"""The resource monitor: measures the memory and processes of the conductor and of everything it
started, turns that into a pressure level (`podium.domain.pressure`) and tells the engine.

Attempts run in sessions of their own but are still the conductor's descendants, except those
re-attached after a restart: their process groups are counted too, so the numbers stay honest.
A measurement that fails is logged and leaves the level as it was; it never stops the conductor.
"""

import asyncio
import logging
import os
from collections.abc import Callable, Collection

import psutil

from podium import procfs
from podium.config import ConductorConfig
from podium.domain.events import Event, PressureMeasured
from podium.domain.pressure import (
    Pressure,
    PressureLevel,
    ResourceCaps,
    Sample,
    assess,
    unmeasured,
)

log = logging.getLogger(__name__)

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
        pids |= _members(groups)
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


def _members(groups: Collection[int]) -> set[int]:
    found = set()
    for pid in procfs.pids():
        stat = procfs.stat(pid)
        if stat is not None and stat.pgid in groups and stat.running:
            found.add(pid)
    return found


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
        clock: Callable[[], float],
        probe: Callable[[Collection[int]], Sample] = measure,
    ) -> None:
        self._config = config
        self._groups = groups
        self._post = post
        self._clock = clock
        self._probe = probe
        self._pressure = Pressure(PressureLevel.NONE, "not measured yet", caps_of(config()))

    @property
    def pressure(self) -> Pressure:
        """The latest measurement's verdict."""
        return self._pressure

    async def run(self) -> None:
        """Measure until cancelled."""
        while True:
            await self.check()
            await asyncio.sleep(self._config().monitor_interval_seconds)

    async def check(self) -> Pressure:
        """Measure once, and tell the engine what it needs to know."""
        caps = caps_of(self._config())
        before = self._pressure
        groups = frozenset(self._groups())
        try:
            sample = await asyncio.to_thread(self._probe, groups)
        except (psutil.Error, OSError) as exc:
            log.warning("could not measure resource use: %s; the pressure level stays", exc)
            self._pressure = unmeasured(before, caps, str(exc) or type(exc).__name__, self._clock())
            return self._pressure
        after = self._pressure = assess(sample, caps, before.level, self._clock())
        if after.level is not before.level:
            report = log.warning if after.level.refuses_work else log.info
            report("resource pressure %s (was %s): %s", after.level, before.level, after.reason)
        if after.level is not before.level or after.level is PressureLevel.CRITICAL:
            self._post(PressureMeasured(after.level, after.reason))
        return after
