"""Picking up after a conductor that stopped, cleanly or not.

Every job that was not finished is compiled again from the score text it was submitted with
and handed back to the engine. An attempt that was running then is stopped if its process is
still alive (identified by pid *and* start time, never by a bare pid) so that a sheet never has
two live processes; the engine then records it as interrupted and retries it.
"""

import asyncio
import logging
from pathlib import Path

from podium.domain.events import JobRecovered
from podium.runtime.catalog import JobCatalog
from podium.runtime.loop import Inbox
from podium.runtime.ports import Compiler, Store
from podium.runtime.process import is_alive, stop_group

log = logging.getLogger(__name__)


async def recover(
    *,
    store: Store,
    compiler: Compiler,
    catalog: JobCatalog,
    inbox: Inbox,
    kill_grace_seconds: float,
) -> int:
    """Queue a `JobRecovered` for every unfinished job; return how many there were."""
    active = store.load_active()
    survivors = [
        a.process
        for job in active
        for a in job.in_flight
        if a.process is not None and is_alive(a.process)
    ]
    if survivors:
        log.warning(
            "stopping %d attempt process(es) left running by the previous conductor", len(survivors)
        )
        await asyncio.gather(*(stop_group(p.pgid, kill_grace_seconds) for p in survivors))
    for job in active:
        record = job.job.record
        catalog.add(record.job_id, compiler.compile(Path(record.score_path), job.score_text))
        inbox.post(
            JobRecovered(
                record, job.job.plan, job.job.sheets, tuple(a.record for a in job.in_flight)
            )
        )
    if active:
        log.info("recovered %d unfinished job(s)", len(active))
    return len(active)
