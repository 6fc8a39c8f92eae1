"""Running a job's `on_success` hooks, one `RunHook` at a time; each end is a `HookFinished`.

`run_command` runs its command with bash; `run_script` splits it into words (shlex) and runs
them without a shell. Either way `{workspace}`, `{job_id}` and `{sheet_count}` are filled in:
for `run_command` as references to environment variables that hold the values, so no value
is read as shell syntax (`podium.score.placeholders.shell_command`); for `run_script` as text
in its words, refused in words handed to a shell as code (`bash -c '…'`). The process leads its
own group, runs in `working_directory` (default: the workspace) under the hook's timeout,
and its output goes to `jobs/<job>/hooks/hook-<n>.log`, the end of it (redacted) kept with
the result. A `run_job` hook submits another score as a new job one level deeper in the
chain, after `concert.cooldown_between_jobs_seconds`; the new job's id is recorded before it
is submitted, so that a restart finds that job instead of submitting it twice.

A `run_command` or `run_script` hook runs under the exit wrapper, as an attempt does: its
status lands in `hooks/hook-<n>.exit` however it ends, and its process is recorded before it
is reported running. So a conductor that dies while a hook runs, or after it ended but before
its end was recorded, never runs it twice: the next one finishes it from its exit file, or
watches its process again (found by its recorded pid and start time, or by its marker), and
runs it again only when neither is left. A hook still running at a graceful stop is stopped
with the conductor (the wrapper dies with it and records nothing), and runs again.
"""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podium.domain.commands import RunHook, StopHook
from podium.domain.errors import StateUnwritable, UserError
from podium.domain.events import HookFinished, HookResult
from podium.domain.ids import JobId
from podium.domain.policy import Hook
from podium.domain.records import ActiveJob, HookOutcome, ProcessInfo, StoredJob
from podium.domain.shell import ShellCommand
from podium.host.private import make_private_dir
from podium.runtime.conductor_log import job_fields
from podium.runtime.context import WorkerContext
from podium.runtime.disk import no_room
from podium.runtime.executors.output import read_end
from podium.runtime.jobs.admission import Admission
from podium.runtime.layout import Layout
from podium.runtime.ports import CompiledJob
from podium.runtime.process import (
    Adopted,
    exit_status,
    group_left_by,
    groups_marked,
    leaders_marked,
    marked_env,
    read_exit_file,
    signal_group,
    spawn,
    still_runs,
    stop_group,
    wait_within,
)

log = logging.getLogger(__name__)

OUTPUT_KEPT = 2000
"""Characters of a hook's output kept with its result (its end)."""


class ExpandScript(Protocol):
    """Splits a `run_script` command into words and fills their `{name}` placeholders with
    their values as text (`podium.score.placeholders.script_words`); raises ValueError when
    it cannot be split, or hands a value to a shell as code."""

    def __call__(self, text: str, values: Mapping[str, object]) -> list[str]: ...


class ExpandShell(Protocol):
    """Turns `{name}` placeholders of a bash command into references to environment
    variables holding their values (`podium.score.placeholders.shell_command`); raises
    ValueError where a value could become code."""

    def __call__(self, text: str, values: Mapping[str, object]) -> ShellCommand: ...


class HookStore(Protocol):
    def record_hook_process(self, job_id: JobId, num: int, process: ProcessInfo) -> None: ...

    def record_hook_job(self, job_id: JobId, num: int, chained: JobId) -> None: ...

    def get_job(self, job_id: JobId) -> StoredJob | None: ...


def hook_log(layout: Layout, job_id: JobId, num: int) -> Path:
    return layout.jobs_dir / job_id / "hooks" / f"hook-{num}.log"


def hook_exit_file(layout: Layout, job_id: JobId, num: int) -> Path:
    """Where the hook's exit wrapper records its status (see `podium.runtime.process`)."""
    return layout.jobs_dir / job_id / "hooks" / f"hook-{num}.exit"


def hook_marker(layout: Layout, job_id: JobId, num: int) -> str:
    """Names one hook of one conductor in its processes' environment."""
    return f"{layout.jobs_dir}:{job_id}/hook-{num}"


@dataclass(frozen=True, slots=True)
class OutlivedHook:
    """A hook an earlier conductor ran that must not run again: its process still runs
    (`process`), or its wrapper recorded how it ended (`process` None when no conductor
    learnt its pid)."""

    job_id: JobId
    num: int
    process: ProcessInfo | None
    started_at: float


class HookRunner:
    """Runs `RunHook` commands, one task each, and stops them on `StopHook`."""

    def __init__(
        self,
        context: WorkerContext,
        store: HookStore,
        service: Admission,
        expand_script: ExpandScript,
        expand_shell: ExpandShell,
    ) -> None:
        self._context = context
        self._store = store
        self._service = service
        self._expand_script = expand_script
        self._expand_shell = expand_shell
        self._running: dict[JobId, asyncio.Task[None]] = {}
        self._outlived: dict[tuple[JobId, int], OutlivedHook] = {}

    def adopt(self, hook: OutlivedHook) -> None:
        """A hook the last conductor ran: when the engine asks for it again (it resumes the
        job's hooks after a restart), it is watched or finished from its exit file instead of
        being started a second time."""
        self._outlived[(hook.job_id, hook.num)] = hook

    def start(self, cmd: RunHook) -> None:
        outlived = self._outlived.pop((cmd.job_id, cmd.index), None)
        job = self._context.catalog.find(cmd.job_id)
        if job is None:  # cannot happen while the job is active; never hang it on that
            failed = HookResult(False, error="the job's score is not loaded in this conductor")
            self._context.post(HookFinished(cmd.job_id, cmd.index, failed))
            return
        task = self._context.tasks.create_task(
            self._run(cmd, job, outlived), name=f"hook {cmd.job_id}/{cmd.index}"
        )
        self._running[cmd.job_id] = task

    def stop(self, cmd: StopHook) -> None:
        task = self._running.pop(cmd.job_id, None)
        if task is not None:
            task.cancel()

    async def _run(self, cmd: RunHook, job: CompiledJob, outlived: OutlivedHook | None) -> None:
        log.info(
            "job %s: on_success hook %d (%s) %s",
            cmd.job_id,
            cmd.index,
            cmd.hook.label,
            "starts"
            if outlived is None
            else "outlived the last conductor: "
            + (f"watched again (pid {outlived.process.pid})" if outlived.process else "ended"),
            extra=job_fields(cmd.job_id),
        )
        try:
            if cmd.hook.type == "run_job":
                result = await self._chain(cmd, job)
            elif outlived is not None:
                result = await self._watch_again(cmd, outlived)
            else:
                result = await self._command(cmd, job)
        except Exception as exc:  # a bug here must end the hook, not the conductor
            log.exception("job %s: on_success hook %d broke", cmd.job_id, cmd.index)
            result = HookResult(False, error=f"the conductor failed to run it: {exc!r}")
        finally:
            if self._running.get(cmd.job_id) is asyncio.current_task():
                del self._running[cmd.job_id]
        log.log(
            logging.INFO if result.ok else logging.WARNING,
            "job %s: on_success hook %d %s",
            cmd.job_id,
            cmd.index,
            "succeeded" if result.ok else f"failed: {result.error}",
            extra=job_fields(cmd.job_id),
        )
        self._context.post(HookFinished(cmd.job_id, cmd.index, result))

    # ---- run_command and run_script -----------------------------------------------------

    def _argv(self, hook: Hook, values: dict[str, object]) -> tuple[list[str], dict[str, str]]:
        """The command line and the variables it needs. Raises ValueError when a script's
        words cannot be split, or a command's placeholder sits where bash would run it."""
        assert hook.command is not None
        if hook.type == "run_command":
            command = self._expand_shell(hook.command, values)
            return ["bash", "-c", command.script], dict(command.environment)
        return self._expand_script(hook.command, values), {}

    async def _command(self, cmd: RunHook, job: CompiledJob) -> HookResult:
        hook = cmd.hook
        values: dict[str, object] = {
            "workspace": str(job.workspace),
            "job_id": cmd.job_id,
            "sheet_count": job.plan.total_sheets,
        }
        try:
            argv, variables = self._argv(hook, values)
        except ValueError as exc:
            return HookResult(False, error=f"cannot run its command: {exc}")
        if not argv:
            return HookResult(False, error="its command is empty")
        cwd = job.workspace / (hook.working_directory or ".")
        if not cwd.is_dir():
            return HookResult(False, error=f"its working directory {cwd} does not exist")
        output = hook_log(self._context.layout, cmd.job_id, cmd.index)
        marker = hook_marker(self._context.layout, cmd.job_id, cmd.index)
        env = {**marked_env(marker, job.environment), **variables}
        exit_file = hook_exit_file(self._context.layout, cmd.job_id, cmd.index)
        try:
            make_private_dir(output.parent)
            try:
                child = spawn(
                    argv, cwd=cwd, stdout=output, stderr=output, env=env, exit_file=exit_file
                )
            except OSError as exc:
                if not no_room(exc):
                    raise
                # A full state folder does not fail the hook: it runs without its exit file,
                # which only a restart in the middle of it would have needed.
                log.warning(
                    "job %s: hook %d runs without its exit file (%s): a restart before its end "
                    "is recorded runs it again",
                    cmd.job_id,
                    cmd.index,
                    exc,
                    extra=job_fields(cmd.job_id),
                )
                with contextlib.suppress(OSError):
                    exit_file.unlink(missing_ok=True)
                child = spawn(argv, cwd=cwd, stdout=output, stderr=output, env=env)
        except OSError as exc:
            return HookResult(False, error=f"could not run: {exc}")
        try:
            self._store.record_hook_process(cmd.job_id, cmd.index, child.info)
        except StateUnwritable as exc:
            # Only a restart needs it (it then finds the hook by its marker): the hook goes on.
            log.warning("job %s: hook %d runs, but is not recorded: %s", cmd.job_id, cmd.index, exc)
        code = await wait_within(child, hook.timeout_seconds, self._context.kill_grace_seconds)
        return self._result(code, hook.timeout_seconds, output)

    async def _watch_again(self, cmd: RunHook, outlived: OutlivedHook) -> HookResult:
        """Wait for a hook the last conductor started, under what is left of its timeout."""
        timeout = cmd.hook.timeout_seconds
        exit_file = hook_exit_file(self._context.layout, cmd.job_id, cmd.index)
        adopted = Adopted(outlived.process, exit_file)
        code: int | None
        if outlived.process is None or adopted.ended():
            code = await adopted.wait()
        else:
            pgid = outlived.process.pgid
            left = max(0.0, timeout - max(0.0, time.time() - outlived.started_at))
            try:
                code = await asyncio.wait_for(adopted.wait(), left)
            except asyncio.CancelledError:
                signal_group(pgid, signal.SIGKILL)
                raise
            except TimeoutError:
                await stop_group(pgid, self._context.kill_grace_seconds, leader=adopted)
                code = None
        return self._result(code, timeout, hook_log(self._context.layout, cmd.job_id, cmd.index))

    def _result(self, code: int | None, timeout: float, output: Path) -> HookResult:
        """How a hook's process ended (its return code, None for a timeout), as its result."""
        if code is None:
            error = f"timed out after {timeout:g}s"
            return HookResult(False, error=error, output=self._tail(output))
        tail = self._tail(output)
        if code == 0:
            return HookResult(True, exit_code=0, output=tail)
        status = exit_status(code)
        error = (
            f"exit {status.exit_code}"
            if status.signal is None
            else f"killed by signal {status.signal}"
        )
        last = tail.strip().splitlines()[-1:] if tail.strip() else []
        if last:
            error += f": {last[0][:300]}"
        return HookResult(False, exit_code=status.exit_code, error=error, output=tail)

    def _tail(self, path: Path) -> str:
        return self._context.redact(read_end(path, OUTPUT_KEPT * 4))[-OUTPUT_KEPT:]

    # ---- run_job ------------------------------------------------------------------------

    async def _chain(self, cmd: RunHook, job: CompiledJob) -> HookResult:
        hook = cmd.hook
        assert hook.job_path is not None
        chained = cmd.chained_job
        if chained is not None and self._store.get_job(chained) is not None:
            return HookResult(
                True,
                output=f"job {chained} had been submitted before the restart",
                chained_job=chained,
            )
        concert = job.plan.policy.concert
        if concert.cooldown_between_jobs_seconds > 0:
            await asyncio.sleep(concert.cooldown_between_jobs_seconds)
        chained = chained or self._service.reserve_id(hook.job_path)
        self._store.record_hook_job(cmd.job_id, cmd.index, chained)
        workspace = hook.job_workspace or (
            str(job.workspace) if concert.inherit_workspace else None
        )
        try:
            submitted = await self._service.submit(
                hook.job_path,
                None,
                fresh=hook.fresh,
                workspace=workspace,
                job_id=chained,
                chain_depth=cmd.chain_depth,
                environment=job.environment,
                rehearsal=job.rehearsal,  # a rehearsal's chain is rehearsed too
                note=(
                    f"started by on_success hook {cmd.index} of job {cmd.job_id} "
                    f"(chain depth {cmd.chain_depth})"
                ),
            )
        except UserError as exc:
            return HookResult(False, error=f"could not submit {hook.job_path}: {exc}")
        return HookResult(
            True,
            output=f"submitted {hook.job_path} as job {submitted.job_id}",
            chained_job=submitted.job_id,
        )


EXIT_FILE_SLACK = 1.0
"""Seconds an exit file may seem older than its hook's start: file times come from a coarser
clock than the conductor's. An exit file older than that is from an earlier run of the job's
hooks (the conductor stopped after recording the new start, before the new process)."""


def outlived_hooks(
    active: Iterable[ActiveJob], layout: Layout, store: HookStore
) -> list[OutlivedHook]:
    """The command hooks left running by the last conductor that must not run again: their
    process still runs (the recorded pid with its start time; or, never recorded, found by
    its marker, and recorded now), or their wrapper recorded how they ended."""
    running = [
        h
        for job in active
        for h in job.hooks
        if h.record.outcome is HookOutcome.RUNNING and h.record.type != "run_job"
    ]
    unrecorded = {
        hook_marker(layout, h.record.job_id, h.record.num) for h in running if h.process is None
    }
    # The marker first, the exit file then: a wrapper writes its file before it exits, so a
    # hook is found one way or the other, whenever it ends.
    leaders = leaders_marked(unrecorded) if unrecorded else {}
    found = []
    for hook in running:
        job_id, num = hook.record.job_id, hook.record.num
        process = hook.process
        if process is None:
            process = leaders.get(hook_marker(layout, job_id, num))
            if process is not None:
                with contextlib.suppress(StateUnwritable):  # its marker finds it again
                    store.record_hook_process(job_id, num, process)
        elif not still_runs(process):
            process = None
        if process is None and not _ended_in_this_run(
            hook_exit_file(layout, job_id, num), hook.record.started_at
        ):
            continue
        found.append(OutlivedHook(job_id, num, process, hook.record.started_at))
    return found


def _ended_in_this_run(exit_file: Path, started_at: float) -> bool:
    if read_exit_file(exit_file) is None:
        return False
    try:
        return exit_file.stat().st_mtime >= started_at - EXIT_FILE_SLACK
    except OSError:
        return False


def leftover_hook_groups(
    active: Iterable[ActiveJob], layout: Layout, outlived: Iterable[OutlivedHook] = ()
) -> set[int]:
    """The process groups still alive of hooks that were running when the last conductor
    stopped, but for those watched again: found by their recorded pid and start time, and
    by their marker."""
    kept = {(h.job_id, h.num) for h in outlived if h.process is not None}
    running = [
        h
        for job in active
        for h in job.hooks
        if h.record.outcome is HookOutcome.RUNNING and (h.record.job_id, h.record.num) not in kept
    ]
    groups = {h.process.pgid for h in running if h.process and group_left_by(h.process)}
    markers = {hook_marker(layout, h.record.job_id, h.record.num) for h in running}
    return groups | (groups_marked(markers) if markers else set())
