"""What every worker of the runtime (attempts, validations, skip checks) is given."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from podium.domain.events import Event
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.layout import Layout


@dataclass(slots=True)
class WorkerContext:
    catalog: JobCatalog
    layout: Layout
    post: Callable[[Event], None]
    """Hands an event to the engine."""
    tasks: asyncio.TaskGroup
    """Where background work runs; an exception in it ends the conductor (a bug)."""
    kill_grace_seconds: float
    """Read when something is stopped: a reloaded conductor.yaml changes it for what follows."""
    redact: Callable[[str], str] = str
    """Masks credentials in what is kept or shown (see `podium.redact`)."""
