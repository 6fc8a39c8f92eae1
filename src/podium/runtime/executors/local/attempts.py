"""The local executor: each attempt a process in its own session and process group on this
machine, its output and exit status in files, so that it outlives the conductor. It starts
attempts, stops them, watches them again after a restart, and reports how each ended (its
exit and output classified with the job's error patterns) to the engine. See
`podium.runtime.executors.base` for the contract.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from podium.domain.checklist import CHECKS_FILE_ENV
from podium.domain.classify import classify
from podium.domain.commands import Kill, Launch
from podium.domain.errors import StateUnwritable, UserError
from podium.domain.events import AttemptExited, AttemptLost, AttemptNotLaunched
from podium.domain.ids import JobId, SheetNum
from podium.domain.lessons import Lesson, lessons_from
from podium.domain.records import InFlightAttempt, ProcessInfo
from podium.domain.work import AttemptRequest, SheetWork
from podium.host.private import make_private_dir, make_user_dir
from podium.runtime.checks.command import HERE, CheckCommands
from podium.runtime.checks.files import take_snapshot
from podium.runtime.clock import SYSTEM_CLOCK, Clock
from podium.runtime.conductor_log import job_fields
from podium.runtime.context import WorkerContext
from podium.runtime.disk import no_room
from podium.runtime.executors.base import ExecutorDescription, NotPlacedYet, NowhereToRun
from podium.runtime.executors.local.survivors import survivors
from podium.runtime.executors.local.watch import ProcessLost, Watched, until_exit
from podium.runtime.executors.output import (
    RESULT_FILE,
    Ending,
    publish_logs,
    read_ending,
    write_checks,
    write_prompt,
)
from podium.runtime.executors.output import output_of as output_of_sheet
from podium.runtime.layout import Layout
from podium.runtime.ports import CompiledJob, Store
from podium.runtime.process import MARKER, Adopted, Child, spawn, stop_group

log = logging.getLogger(__name__)

AttemptKey = tuple[JobId, SheetNum, int]

LESSONS_LOOKED_AT = 20
"""The newest failed attempts of a job read for the lessons of a prompt (some teach nothing:
rate limits, stops)."""


class Started(Watched, Protocol):
    """An attempt's process just started: its pid is known."""

    @property
    def info(self) -> ProcessInfo: ...


def cmd_key(cmd: Launch) -> AttemptKey:
    return (cmd.job_id, cmd.sheet, cmd.attempt)


class AttemptFiles:
    """The files of one attempt. The prompt is handed over in `input`, as written, and removed
    once the process no longer needs it; `prompt` keeps it, always redacted (a score's own
    script too: it may spell out a token)."""

    def __init__(self, layout: Layout, cmd: Launch) -> None:
        self.folder = layout.sheet_dir(cmd.job_id, cmd.sheet)
        self.input = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "input")
        self.prompt = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "prompt")
        self.stdout = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "stdout.log")
        self.stderr = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "stderr.log")
        self.snapshot = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "snapshot.json")
        self.checks = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "checks.json")
        self.result = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, RESULT_FILE)
        self.exit = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "exit")

    def size(self) -> int:
        total = 0
        for path in (self.stdout, self.stderr):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total


@dataclass(frozen=True, slots=True)
class Begun:
    """An attempt whose process started; `unrecorded`: why its record could not be written."""

    work: SheetWork
    child: Started
    unrecorded: StateUnwritable | None


class AttemptRunner:
    """The local `Executor`: starts each `Launch` as a process in its own session and posts
    `AttemptExited`."""

    def __init__(
        self,
        context: WorkerContext,
        store: Store,
        unwritable: Callable[[str], None] = lambda error: None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._clock = clock
        self._catalog = context.catalog
        self._unwritable = unwritable
        self._store = store
        self._layout = context.layout
        self._post = context.post
        self._tasks = context.tasks
        self._context = context
        self._redact = context.redact
        self._running: dict[AttemptKey, Watched] = {}
        self._starting: dict[AttemptKey, bool] = {}
        """Attempts whose prompt is being made, and whether a `Kill` came meanwhile."""
        self._stopped = False

    def launch(self, cmd: Launch) -> None:
        """Start the attempt. Its prompt is made and its process spawned off the loop
        (reading earlier sheets' answers and rendering the template can take seconds, and a
        fork holds the thread that makes it), then it is watched here."""
        # The score and the store as they are now, as the engine decided; the store is the
        # loop's, so what the thread needs of it is read here.
        job = self._catalog.get(cmd.job_id)
        skipped = frozenset(self._store.skipped_sheets(cmd.job_id))
        failed = self._store.failed_attempts(cmd.job_id, LESSONS_LOOKED_AT)
        lessons = lessons_from(failed, self._redact) if failed else ()
        # The workspace is there once the engine has launched a sheet in it, as users expect.
        with contextlib.suppress(OSError):
            make_user_dir(job.workspace)
        self._starting[cmd_key(cmd)] = False
        self._tasks.create_task(
            self._start(cmd, job, skipped, lessons),
            name=f"start {cmd.job_id}/{cmd.sheet}/{cmd.attempt}",
        )

    def _prepare(
        self,
        job: CompiledJob,
        cmd: Launch,
        files: AttemptFiles,
        skipped: frozenset[int],
        lessons: tuple[Lesson, ...],
    ) -> SheetWork:
        """What the attempt runs, its prompt written: in a worker thread."""
        make_private_dir(files.folder)
        work = job.work(cmd.sheet, files.input, self._request(cmd, skipped, lessons))
        write_prompt(files.input, work.prompt)
        with contextlib.suppress(OSError):
            write_prompt(files.prompt, self._redact(work.prompt))
        rules = job.validations(cmd.sheet)
        take_snapshot(rules, files.snapshot)
        make_user_dir(Path(work.cwd))
        if not rules:
            return work
        # The checks, exactly, for a program to read; the prompt says them in words.
        write_checks(files.checks, rules, self._redact)
        return replace(work, env={**work.env, CHECKS_FILE_ENV: str(files.checks)})

    def _begin_here(
        self,
        job: CompiledJob,
        cmd: Launch,
        files: AttemptFiles,
        skipped: frozenset[int],
        lessons: tuple[Lesson, ...],
    ) -> Begun | None:
        """Prepare the attempt and spawn its process, then record it: in a worker thread.
        None when the conductor began to stop meanwhile (the attempt stays as the store has
        it, with no process, and the next start takes it up)."""
        work = self._prepare(job, cmd, files, skipped, lessons)
        if self._stopped:
            return None
        child = spawn(
            work.argv,
            cwd=Path(work.cwd),
            stdout=files.stdout,
            stderr=files.stderr,
            stdin=files.input if work.prompt_on_stdin else None,
            env={**work.env, MARKER: self._layout.marker(cmd.job_id, cmd.sheet, cmd.attempt)},
            exit_file=files.exit,
        )
        return self._recorded(cmd, work, child, files)

    def _recorded(self, cmd: Launch, work: SheetWork, child: Started, files: AttemptFiles) -> Begun:
        """The process started: the prompt handed over is dropped, and the process recorded
        (from any thread), which only a restart needs, so a disk that refuses it does not stop
        the attempt."""
        spawned_at = self._clock.now()
        self._drop_handed_over_input(files, work)
        try:
            self._store.record_process(*cmd_key(cmd), child.info, spawned_at)
        except StateUnwritable as exc:
            return Begun(work, child, exc)
        return Begun(work, child, None)

    async def _start(
        self, cmd: Launch, job: CompiledJob, skipped: frozenset[int], lessons: tuple[Lesson, ...]
    ) -> None:
        files = AttemptFiles(self._layout, cmd)
        try:
            try:
                started = await self._begin(job, cmd, files, skipped, lessons)
            finally:
                stop = self._starting.pop(cmd_key(cmd), False)
        except (OSError, ValueError, UserError) as exc:
            # ValueError: what the score put in the prompt or the settings cannot be passed on
            # (an encoding error, a NUL byte); the attempt fails, the conductor goes on.
            self._not_launched(cmd, files, exc)
            return
        if started is None:
            return
        work, child = started.work, started.child
        if started.unrecorded is not None:
            self._unrecorded(cmd, started.unrecorded)
        key = (cmd.job_id, cmd.sheet, cmd.attempt)
        self._running[key] = child
        if stop:  # a Kill came while the attempt was being started
            self.kill(Kill(*key))
        log.info(
            "job %s sheet %s attempt %s started on %s (pid %s%s)",
            *key,
            cmd.instrument,
            child.info.pid,
            self._where(child),
            extra=job_fields(*key),
        )
        # The job may have ended (a cancel) by the time the attempt does: what the watcher
        # needs of it is taken now.
        self._tasks.create_task(
            self._watch(cmd, child, files, work=work, workspace=job.workspace),
            name=f"attempt {cmd.job_id}/{cmd.sheet}/{cmd.attempt}",
        )

    # The steps an executor that runs attempts elsewhere overrides: start the process, stop
    # it, watch again one an earlier conductor started, and let go of it once it has ended.

    async def _begin(
        self,
        job: CompiledJob,
        cmd: Launch,
        files: AttemptFiles,
        skipped: frozenset[int],
        lessons: tuple[Lesson, ...],
    ) -> Begun | None:
        """Prepare the attempt, start its process (its exit recorded in `files.exit` by the
        wrapper) and record it; None when the conductor began to stop meanwhile. Here, all of
        it in one worker thread: a fork holds the thread that makes it. Raises OSError,
        ValueError or UserError when it cannot start."""
        return await asyncio.to_thread(self._begin_here, job, cmd, files, skipped, lessons)

    async def _stop(self, child: Watched, grace: float) -> None:
        """Stop the attempt's process group: SIGTERM, `grace` seconds, SIGKILL."""
        if isinstance(child, Child | Adopted) and child.info is not None:
            await stop_group(child.info.pgid, grace, leader=child)

    def _adopt(self, outlived: InFlightAttempt, files: AttemptFiles) -> Watched:
        """The process of an attempt an earlier conductor started, to watch again."""
        return Adopted(outlived.process, files.exit)

    def _stops_leftovers(self) -> bool:
        """Whether `_stop` also stops what an ended attempt left running (else the watcher
        stops its process group here)."""
        return False

    def _release(self, key: AttemptKey) -> None:
        """The attempt has ended and its end is posted: nothing is left to let go of here."""

    def _where(self, child: Watched) -> str:
        """Where the process runs, for the log: here, so nothing."""
        return ""

    def _not_launched(self, cmd: Launch, files: AttemptFiles, exc: Exception) -> None:
        """Tell the engine; when the disk refused the attempt's files, the sheet waits for
        room (not its fault), and nothing half-written is left."""
        room = no_room(exc)
        log.warning(
            "job %s sheet %s attempt %s could not start: %s%s",
            *cmd_key(cmd),
            exc,
            "; it starts once the state folder has room" if room else "",
            extra=job_fields(*cmd_key(cmd)),
        )
        if room:
            self._unwritable(str(exc))
            for path in (files.input, files.snapshot, files.exit):
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
        self._post(
            AttemptNotLaunched(
                *cmd_key(cmd),
                str(exc),
                no_room=room,
                final=isinstance(exc, NowhereToRun),
                wait_seconds=exc.wait if isinstance(exc, NotPlacedYet) else None,
            )
        )

    def _unrecorded(self, cmd: Launch, exc: StateUnwritable) -> None:
        """The process runs but the disk refused its record, which only a restart needs: the
        attempt goes on (a restart finds it by its marker and watches it again)."""
        log.warning(
            "attempt %s/%s/%s runs, but its process could not be recorded: %s",
            *cmd_key(cmd),
            exc,
            extra=job_fields(*cmd_key(cmd)),
        )
        self._unwritable(str(exc.__cause__ or exc))

    def survivors(self, in_flight: Sequence[InFlightAttempt]) -> list[InFlightAttempt]:
        """Of the attempts recorded as running, those whose process still runs or whose
        wrapper recorded how it ended (see `podium.runtime.executors.local.survivors`)."""
        return survivors(in_flight, self._layout, self._store)

    def reattach(self, outlived: InFlightAttempt) -> None:
        """Watch again an attempt an earlier conductor started (its process still runs, or
        its wrapper recorded how it ended; its process is None when that conductor never
        learnt its pid and it has ended), under the timeouts it started with; its end is
        reported as if this conductor had started it."""
        attempt, process = outlived.record, outlived.process
        job = self._catalog.get(attempt.job_id)
        sheet = job.plan.sheets[attempt.sheet - 1]
        cmd = Launch(
            attempt.job_id,
            attempt.sheet,
            attempt.attempt,
            attempt.instrument or sheet.instrument,
            attempt.model,
            sheet.timeout_seconds,
            job.plan.policy.idle_timeout_seconds,
        )
        files = AttemptFiles(self._layout, cmd)
        try:
            work = job.work(cmd.sheet, files.input, self._request(cmd))
        except (OSError, ValueError, UserError) as exc:
            # Only how to read its output is needed now; the plain way will do.
            log.warning("attempt %s/%s/%s: %s", *cmd_key(cmd), exc, extra=job_fields(*cmd_key(cmd)))
            work = SheetWork(argv=(), cwd=str(job.workspace), prompt="", patterns=job.plan.patterns)
        adopted = self._adopt(outlived, files)
        self._running[cmd_key(cmd)] = adopted
        log.info(
            "re-attached attempt %s/%s/%s (%s)",
            *cmd_key(cmd),
            f"pid {process.pid}" if process else "ended",
            extra=job_fields(*cmd_key(cmd)),
        )
        self._tasks.create_task(
            self._watch(
                cmd,
                adopted,
                files,
                work=work,
                workspace=job.workspace,
                elapsed=max(0.0, self._clock.now() - attempt.started_at),
            ),
            name=f"attempt {cmd.job_id}/{cmd.sheet}/{cmd.attempt}",
        )

    def _drop_handed_over_input(self, files: AttemptFiles, work: SheetWork) -> None:
        """Drop the handed-over (unredacted) copy of the prompt once the process has it (stdin
        is open already; a prompt passed as a file is read later, so that copy goes when the
        attempt ends). The redacted copy kept for the record was written with it."""
        with contextlib.suppress(OSError):
            if work.prompt_on_stdin:
                files.input.unlink()

    def _request(
        self,
        cmd: Launch,
        skipped: frozenset[int] | None = None,
        lessons: tuple[Lesson, ...] = (),
    ) -> AttemptRequest:
        def output_of(sheet: int) -> str | None:
            return output_of_sheet(self._layout.sheet_dir(cmd.job_id, SheetNum(sheet)))

        return AttemptRequest(
            attempt=cmd.attempt,
            instrument=cmd.instrument,
            model=cmd.model,
            completion_of=cmd.completion_of,
            previous_error=cmd.previous_error,
            person_prompt=cmd.person_prompt,
            replace_prompt=cmd.replace_prompt,
            output_of=output_of,
            skipped=(
                (lambda: skipped)
                if skipped is not None
                else lambda: frozenset(self._store.skipped_sheets(cmd.job_id))
            ),
            lessons=lessons,
        )

    async def check_reach(self, workspace: Path, instruments: Collection[str]) -> None:
        """Nothing to check: attempts run on this machine, where the workspace is."""

    async def keep_watch(self, lost: Callable[[str], None]) -> None:
        """Nothing to watch: attempts run on this machine, with the conductor."""

    @property
    def check_commands(self) -> CheckCommands:
        """On this machine, as the attempts."""
        return HERE

    def stop_starting(self) -> None:
        """At shutdown: an attempt whose prompt is still being made is not spawned."""
        self._stopped = True

    def kill(self, cmd: Kill) -> None:
        """Stop a running attempt on purpose; its exit is reported as usual. One still being
        started is stopped as soon as its process is there."""
        key = (cmd.job_id, cmd.sheet, cmd.attempt)
        if key in self._starting:
            self._starting[key] = True
            return
        child = self._running.get(key)
        if child is None or child.info is None:
            return
        log.info("stopping attempt %s/%s/%s on request", *key, extra=job_fields(*key))
        self._tasks.create_task(
            self._stop(child, self._context.kill_grace_seconds), name=f"stop {key}"
        )

    async def _watch(
        self,
        cmd: Launch,
        child: Watched,
        files: AttemptFiles,
        *,
        work: SheetWork,
        workspace: Path,
        elapsed: float = 0.0,
    ) -> None:
        try:
            status = await until_exit(
                cmd,
                child,
                size=files.size,
                clock=self._clock,
                grace=lambda: self._context.kill_grace_seconds,
                elapsed=elapsed,
                stop=(lambda grace: self._stop(child, grace)) if self._stops_leftovers() else None,
            )
        except ProcessLost as exc:
            self._lost(cmd, str(exc))
            return
        del self._running[cmd_key(cmd)]
        exited_at = self._clock.now()
        ending = await asyncio.to_thread(self._ending, cmd, files, work, workspace)
        result = classify(
            status,
            ending.output,
            work.patterns,
            self._clock.now(),
            time_zone,
            success_codes=work.success_codes,
            said=ending.said,
        )
        self._post(
            AttemptExited(
                cmd.job_id,
                cmd.sheet,
                cmd.attempt,
                status,
                result,
                ending.reading.usage,
                exited_at=exited_at,
                feedback=ending.feedback,
            )
        )
        self._release(cmd_key(cmd))

    def _lost(self, cmd: Launch, reason: str) -> None:
        """The attempt's process was lost with its machine, its ending unrecorded: the engine
        runs it again."""
        key = cmd_key(cmd)
        del self._running[key]
        log.warning(
            "attempt %s/%s/%s was lost (%s); it runs again",
            *key,
            reason,
            extra=job_fields(*key),
        )
        self._post(AttemptLost(*key, reason))
        self._release(key)

    def _ending(self, cmd: Launch, files: AttemptFiles, work: SheetWork, workspace: Path) -> Ending:
        """Read what the attempt printed and put a copy where users look (in a thread). A
        disk that refuses the copy or the kept answer loses them, not the attempt's end."""
        with contextlib.suppress(OSError):
            files.input.unlink(missing_ok=True)
        publish_logs(workspace, cmd.sheet, files.stdout, files.stderr, self._redact)
        try:
            return read_ending(work, files.stdout, files.stderr, files.result, self._redact)
        except OSError as exc:
            if not no_room(exc):
                raise
            log.warning(
                "attempt %s/%s/%s: its answer could not be kept: %s",
                *cmd_key(cmd),
                exc,
                extra=job_fields(*cmd_key(cmd)),
            )
            return read_ending(work, files.stdout, files.stderr, None, self._redact)

    @property
    def running(self) -> int:
        """Attempts whose process this conductor watches."""
        return len(self._running)

    def process_groups(self) -> frozenset[int]:
        """The process group of each attempt watched, re-attached ones included (those are
        not the conductor's descendants, but their processes are its load)."""
        return frozenset(self.attempt_groups().values())

    def attempt_groups(self) -> dict[AttemptKey, int]:
        return {key: c.info.pgid for key, c in self._running.items() if c.info is not None}

    def describe(self) -> ExecutorDescription:
        """This machine, and the attempts watched."""
        return ExecutorDescription("local", self.running)


def time_zone(name: str) -> tzinfo | None:
    """A time zone by name; '' is the conductor's local zone."""
    if not name:
        return datetime.now().astimezone().tzinfo
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
