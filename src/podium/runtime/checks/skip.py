"""Running a sheet's `skip_when_command` before its first attempt: exit 0 means skip it.

Anything else means run it, including a command that cannot start or runs past its timeout
(fail open: a broken check never loses work). Its output goes to `skip-check.log` in the
sheet's folder; the values of its placeholders are in its environment
(`podium.domain.shell.ShellCommand`).
"""

import logging

from podium.domain.commands import RunSkipCheck
from podium.domain.events import SkipChecked
from podium.host.private import make_private_dir, make_user_dir
from podium.runtime.checks.command import HERE, CheckCommand, CheckCommands, Whose
from podium.runtime.conductor_log import job_fields
from podium.runtime.context import WorkerContext
from podium.runtime.ports import CompiledJob

log = logging.getLogger(__name__)


class SkipCommands:
    def __init__(self, context: WorkerContext, commands: CheckCommands = HERE) -> None:
        self._commands = commands
        self._catalog = context.catalog
        self._layout = context.layout
        self._post = context.post
        self._tasks = context.tasks
        self._context = context

    def start(self, cmd: RunSkipCheck) -> None:
        job = self._catalog.find(cmd.job_id)
        if job is None:
            return  # the job ended in the same step; nobody waits for the answer
        self._tasks.create_task(self._run(cmd, job), name=f"skip check {cmd.job_id}/{cmd.sheet}")

    async def _run(self, cmd: RunSkipCheck, job: CompiledJob) -> None:
        skip, detail = await self._check(cmd, job)
        self._post(SkipChecked(cmd.job_id, cmd.sheet, cmd.check, skip, detail))

    async def _check(self, cmd: RunSkipCheck, job: CompiledJob) -> tuple[bool, str]:
        command = job.skip_command(cmd.sheet)
        if command is None:
            return False, "is not set"
        planned = next(s for s in job.plan.sheets if s.num == cmd.sheet)
        timeout = planned.skip_command_timeout
        folder = self._layout.sheet_dir(cmd.job_id, cmd.sheet)
        log_file = folder / "skip-check.log"
        try:
            make_private_dir(folder)
            make_user_dir(job.workspace)
            marker = self._layout.marker(cmd.job_id, cmd.sheet, cmd.attempt)
            check = CheckCommand(
                command.script,
                job.workspace,
                log_file,
                dict(command.environment),
                marker,
                timeout,
                self._context.kill_grace_seconds,
            )
            whose = Whose(cmd.job_id, cmd.sheet, cmd.attempt, planned.instrument)
            status = await self._commands.run(check, whose)
        except OSError as exc:
            log.warning(
                "job %s sheet %s: skip_when_command cannot run: %s",
                cmd.job_id,
                cmd.sheet,
                exc,
                extra=job_fields(cmd.job_id, cmd.sheet),
            )
            return False, f"could not run ({exc}); the sheet runs"
        if status is None:
            return False, f"ran past its {timeout:g}s timeout; the sheet runs"
        if status.exit_code == 0:
            return True, "exited 0"
        if status.signal is not None:
            return False, f"was killed by signal {status.signal}; the sheet runs"
        return False, ""
