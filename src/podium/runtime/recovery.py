"""Picking up after a conductor that stopped, cleanly or not.

Every unfinished job is compiled again from the score text it was submitted with and handed
back to the engine in one `Recovered` event, with the rate-limit windows still open. Before
that, every process left from an attempt or a validation that was in flight is stopped, so
that a sheet never has two live processes: it is
found by its recorded pid *and* start time (never by a bare pid), and by the marker in its
environment when the conductor died before recording it. The engine then records those
attempts as interrupted and runs them again.
"""

import asyncio
import logging
from pathlib import Path

from podium.domain.errors import UserError
from podium.domain.events import Recovered, RecoveredJob
from podium.domain.records import ActiveJob
from podium.runtime.catalog import JobCatalog
from podium.runtime.layout import Layout
from podium.runtime.loop import Inbox
from podium.runtime.ports import Compiler, Store
from podium.runtime.process import group_left_by, groups_marked, stop_group

log = logging.getLogger(__name__)


async def recover(
    *,
    store: Store,
    compiler: Compiler,
    catalog: JobCatalog,
    inbox: Inbox,
    layout: Layout,
    kill_grace_seconds: float,
) -> int:
    """Queue the unfinished jobs for the engine; return how many there were."""
    active = store.load_active()
    windows = tuple(store.rate_limits())
    if not active:
        if windows:
            inbox.post(Recovered((), windows))
        return 0
    await _stop_leftovers(active, layout, kill_grace_seconds)
    jobs = []
    for job in active:
        record = job.job.record
        problem = None
        try:
            catalog.add(record.job_id, compiler.compile(Path(record.score_path), job.snapshot))
        except UserError as exc:
            problem = str(exc)
            log.error("job %s cannot go on: %s", record.job_id, problem)
        attempts = tuple(a.record for a in job.in_flight)
        jobs.append(
            RecoveredJob(record, job.job.plan, job.job.sheets, attempts, problem, job.job.history)
        )
    inbox.post(Recovered(tuple(jobs), windows))
    log.info("recovered %d unfinished job(s)", len(jobs))
    return len(jobs)


async def _stop_leftovers(active: list[ActiveJob], layout: Layout, grace: float) -> None:
    in_flight = [a for job in active for a in job.in_flight]
    groups = {a.process.pgid for a in in_flight if a.process and group_left_by(a.process)}
    markers = {layout.marker(a.record.job_id, a.record.sheet, a.record.attempt) for a in in_flight}
    groups |= groups_marked(markers) if markers else set()
    if groups:
        log.warning(
            "stopping %d process group(s) left running by the previous conductor", len(groups)
        )
        await asyncio.gather(*(stop_group(pgid, grace) for pgid in groups))
