"""Picking up after a conductor that stopped, cleanly or not.

Every unfinished job is compiled again from the score text it was submitted with and handed
back to the engine, with the rate-limit windows still open. The jobs that had work in flight
come back first, in one `Restarted` event, once every attempt of theirs is reconciled; the
queued jobs with nothing in flight follow in slices of their own, handed back uncompiled
(`DeferredJob`s), since compiling is most of a recovery's time. The engine takes each slice as
an event, so it dispatches and the socket answers while the backlog comes back;
`check_deferred` compiles the deferred scores once the conductor is ready, so that a score
that no longer compiles fails its job early.

An attempt that was running outlives its conductor: when its process is still alive (the same
pid *and* start time, never a bare pid) or its exit wrapper recorded how it ended, the executor
re-attaches it (`Executor.survivors`, `Executor.reattach`): watched again under its timeouts,
its end reported as usual, so no work is lost and none runs twice. That holds whatever the
moment of the crash, even between starting the process and recording its pid: such a process is
found by the marker in its environment (its exit wrapper leads its own process group), recorded,
and re-attached like the others; one that had ended already is finished from its exit file. Only
an attempt with neither a live process nor an exit file is interrupted: every process left from
it, or from a validation in flight, is stopped first (found by its recorded pid and start time,
and by its marker), so that a sheet never has two live processes. The engine records those
attempts as interrupted and runs them again; the prompts handed over to them (unredacted) are
removed. Checks are not re-attached but asked again: a validation or a `skip_when_command` left
running is stopped the same way (by its marker), and the engine runs it again. A command hook
that was running is treated like an attempt (see `podium.runtime.hooks.runner`): watched again,
finished from its exit file, or, with neither, stopped and run again.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from podium.domain.errors import UserError
from podium.domain.events import Restarted, RestoredJob
from podium.domain.ids import SheetNum
from podium.domain.records import ActiveJob, InFlightAttempt
from podium.domain.status import JobStatus, SheetStatus
from podium.runtime.conductor_log import job_fields
from podium.runtime.executors.base import Executor
from podium.runtime.hooks.runner import OutlivedHook, leftover_hook_groups, outlived_hooks
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.jobs.deferred import DeferredJob
from podium.runtime.layout import Layout
from podium.runtime.loop import Inbox
from podium.runtime.ports import Compiler, Store
from podium.runtime.process import group_left_by, groups_marked, stop_group

log = logging.getLogger(__name__)

AdoptHook = Callable[[OutlivedHook], None]

_BETWEEN_ANSWERS = 50
"""Jobs compiled between two turns of the event loop while recovering (a few ms each)."""

_BACKLOG_SLICE = 500
"""Queued jobs handed back to the engine in one event, once it has taken the ones before."""

_SLICE_SECONDS = 0.01
"""How long `check_deferred` compiles before the event loop gets a turn."""


async def pick_up(
    *,
    store: Store,
    compiler: Compiler,
    catalog: JobCatalog,
    inbox: Inbox,
    layout: Layout,
    kill_grace_seconds: float,
    executor: Executor,
    adopt_hook: AdoptHook,
) -> int:
    """Give the engine back the unfinished jobs; return how many there were. The engine loop
    runs meanwhile: the jobs in progress come back first, in one event, every attempt of
    theirs reconciled (re-attached, or every process left of it stopped) before it; then the
    backlog of queued jobs, read and handed over a slice at a time, so that the engine
    dispatches and the socket answers meanwhile. Returns once the engine has taken every
    one."""
    going = store.load_in_progress()
    windows = tuple(store.rate_limits())
    problems: dict[str, str | None] = {}
    with compiler.batch():
        for done, job in enumerate(going, 1):
            problems[job.job.record.job_id] = _compile(job, compiler, catalog)
            if done % _BETWEEN_ANSWERS == 0:
                await asyncio.sleep(0)  # the socket answers meanwhile ("starting")
    sound = [job for job in going if problems[job.job.record.job_id] is None]
    adopted = executor.survivors([a for job in sound for a in job.in_flight])
    hooks = outlived_hooks(sound, layout, store)
    await _stop_leftovers(going, adopted, hooks, layout, kill_grace_seconds)
    _drop_handed_over_prompts(going, adopted, layout)
    for hook in hooks:  # before the engine asks for them again
        adopt_hook(hook)
    if going or windows:
        restored = [_restored(job, problems[job.job.record.job_id], adopted) for job in going]
        inbox.post(Restarted(tuple(restored), windows))
    for attempt in adopted:
        executor.reattach(attempt)
    await inbox.drained()  # the engine has them: it may dispatch while the backlog is read
    log.info("took back %d job(s) in progress; re-attached %d attempt(s)", len(going), len(adopted))
    queued = await _hand_backlog(
        store,
        compiler=compiler,
        catalog=catalog,
        inbox=inbox,
        layout=layout,
        grace=kill_grace_seconds,
    )
    log.info("recovered %d unfinished job(s), %d of them queued", len(going) + queued, queued)
    return len(going) + queued


async def _hand_backlog(
    store: Store,
    *,
    compiler: Compiler,
    catalog: JobCatalog,
    inbox: Inbox,
    layout: Layout,
    grace: float,
) -> int:
    """Read the queued jobs a slice at a time, oldest first, and give each slice to the
    engine once it has taken the one before (it dispatches in between); how many."""
    backlog = store.backlog()
    for start in range(0, len(backlog), _BACKLOG_SLICE):
        queued = store.load_unfinished(backlog[start : start + _BACKLOG_SLICE])
        await _stop_leftovers(queued, [], [], layout, grace)  # a skip check left running
        for job in queued:
            _defer(job, compiler, catalog, inbox)
        inbox.post(Restarted(tuple(_restored(job, None, []) for job in queued), ()))
        await inbox.drained()
    return len(backlog)


def _restored(job: ActiveJob, problem: str | None, adopted: list[InFlightAttempt]) -> RestoredJob:
    record = job.job.record
    mine = frozenset(SheetNum(a.record.sheet) for a in adopted if a.record.job_id == record.job_id)
    return RestoredJob(
        record,
        job.job.plan,
        job.job.sheets,
        tuple(a.record for a in job.in_flight),
        problem,
        job.job.history,
        reattached=mine,
        hooks=tuple(h.record for h in job.hooks),
        gates=job.job.gates,
    )


async def check_deferred(catalog: JobCatalog, compiler: Compiler) -> None:
    """Compile each score the recovery deferred once, in queue order, a slice at a time with
    the event loop free in between; each is released again. One that no longer compiles
    fails its job (see `DeferredJob`). A job that ended or took a new score meanwhile is
    passed over."""
    entries = catalog.deferred()
    # A budget of the conductor's own work, not a timer: real time, whatever the clock.
    start, index = time.monotonic(), 0
    while index < len(entries):
        deadline = time.monotonic() + _SLICE_SECONDS
        with compiler.batch():
            while index < len(entries) and time.monotonic() < deadline:
                job_id, entry = entries[index]
                index += 1
                if catalog.find(job_id) is entry:
                    entry.check()
        await asyncio.sleep(0)
    if entries:
        log.info(
            "checked the scores of %d queued job(s) in %.1fs",
            len(entries),
            time.monotonic() - start,
        )


def _defer(job: ActiveJob, compiler: Compiler, catalog: JobCatalog, inbox: Inbox) -> None:
    record = job.job.record
    deferred = DeferredJob(
        record, job.job.plan, job.snapshot, compiler, inbox.post, environment=job.environment
    )
    catalog.add(record.job_id, deferred)


def _compile(job: ActiveJob, compiler: Compiler, catalog: JobCatalog) -> str | None:
    record = job.job.record
    try:
        compiled = compiler.compile(
            Path(record.score_path), job.snapshot, environment=job.environment
        )
        if record.status is JobStatus.QUEUED:
            compiled.release()
        catalog.add(record.job_id, compiled)
    except UserError as exc:
        log.error("job %s cannot go on: %s", record.job_id, exc, extra=job_fields(record.job_id))
        return str(exc)
    return None


def _marker(attempt: InFlightAttempt, layout: Layout) -> str:
    return layout.marker(attempt.record.job_id, attempt.record.sheet, attempt.record.attempt)


def _file(attempt: InFlightAttempt, layout: Layout, name: str) -> Path:
    r = attempt.record
    return layout.attempt_file(r.job_id, r.sheet, r.attempt, name)


def _drop_handed_over_prompts(
    active: list[ActiveJob], adopted: list[InFlightAttempt], layout: Layout
) -> None:
    """An interrupted attempt's input file holds its prompt as written, secrets and all; the
    attempt runs again with a new one, so this copy goes (the redacted record stays)."""
    kept = {_key(a) for a in adopted}
    for job in active:
        for a in job.in_flight:
            if _key(a) not in kept:
                _file(a, layout, "input").unlink(missing_ok=True)


def _key(attempt: InFlightAttempt) -> tuple[str, int, int]:
    return (attempt.record.job_id, attempt.record.sheet, attempt.record.attempt)


async def _stop_leftovers(
    active: list[ActiveJob],
    adopted: list[InFlightAttempt],
    hooks: list[OutlivedHook],
    layout: Layout,
    grace: float,
) -> None:
    """Stop what is left of the attempts not re-attached, and of the re-attached ones that
    ended before their pid was known (nothing else watches their group); of the skip checks
    in flight (they run again), and of hooks not watched again."""
    kept = {_key(a) for a in adopted}
    in_flight = [a for job in active for a in job.in_flight if _key(a) not in kept]
    groups = {a.process.pgid for a in in_flight if a.process and group_left_by(a.process)}
    ended = [a for a in adopted if a.process is None]
    markers = {_marker(a, layout) for a in (*in_flight, *ended)} | _skip_checks(active, layout)
    groups |= groups_marked(markers) if markers else set()
    groups -= {a.process.pgid for a in adopted if a.process}
    groups |= leftover_hook_groups(active, layout, hooks)
    if groups:
        log.warning(
            "stopping %d process group(s) left running by the previous conductor", len(groups)
        )
        await asyncio.gather(*(stop_group(pgid, grace) for pgid in groups))


def _skip_checks(active: list[ActiveJob], layout: Layout) -> set[str]:
    """The markers a `skip_when_command` may have run under: a sheet ready for its first
    attempt (attempts count from 1, so marker 0 is only ever a skip check's)."""
    return {
        layout.marker(sheet.job_id, sheet.num, 0)
        for job in active
        for sheet in job.job.sheets
        if sheet.status is SheetStatus.READY and sheet.attempts == 0
    }
