"""Checking a sheet's validation rules after a successful attempt.

Rules run stage by stage (`stage: 1` first); once a stage has a failed rule, the rules of later
stages are not run and say so. File checks look again `retry_count` times, `retry_delay_ms`
apart, since a file may still be landing; commands run in their own process group with a
timeout, the values of their placeholders in their environment.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from podium.domain.commands import RunValidations
from podium.domain.events import ValidationsDone
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.host.private import make_private_dir
from podium.runtime.checks.command import HERE, CheckCommand, CheckCommands, Whose, last_line
from podium.runtime.checks.files import Signature, check_file, read_snapshot
from podium.runtime.checks.review import review
from podium.runtime.context import WorkerContext
from podium.runtime.ports import CompiledJob

log = logging.getLogger(__name__)


class Validator:
    """Runs `RunValidations` commands and posts `ValidationsDone` with one result per rule."""

    def __init__(self, context: WorkerContext, commands: CheckCommands = HERE) -> None:
        self._commands = commands
        self._catalog = context.catalog
        self._layout = context.layout
        self._post = context.post
        self._tasks = context.tasks
        self._context = context

    def start(self, cmd: RunValidations) -> None:
        # Taken now: the job may end (a cancel) in the same step, before the task runs.
        job = self._catalog.get(cmd.job_id)
        self._tasks.create_task(
            self._run(cmd, job), name=f"validate {cmd.job_id}/{cmd.sheet}/{cmd.attempt}"
        )

    async def _run(self, cmd: RunValidations, job: CompiledJob) -> None:
        # The checks themselves never raise (a file that cannot be read fails its rule); an
        # exception here is a bug, and ends the conductor loudly rather than hang the sheet.

        def attempt_file(name: str) -> Path:
            return self._layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, name)

        # A recheck (`podium recover`) keeps the attempt's own check logs as they were.
        prefix = "recheck-" if cmd.recheck else ""
        results = await self.check_all(
            job.validations(cmd.sheet),
            workspace=job.workspace,
            logs=lambda name: attempt_file(prefix + name),
            snapshot=read_snapshot(attempt_file("snapshot.json")),
            marker=self._layout.marker(cmd.job_id, cmd.sheet, cmd.attempt),
            whose=Whose(cmd.job_id, cmd.sheet, cmd.attempt, planned_instrument(job, cmd.sheet)),
        )
        reviewed = None
        if not cmd.recheck and all(r.passed or r.rule.advisory for r in results):
            reviewed = await review(
                job, cmd, results, attempt_file=attempt_file, context=self._context
            )
        if reviewed is not None:
            results.append(reviewed.result)
        self._post(
            ValidationsDone(
                cmd.job_id,
                cmd.sheet,
                cmd.attempt,
                tuple(results),
                cmd.recheck,
                review=reviewed.record if reviewed else None,
                review_cost=reviewed.cost if reviewed else None,
            )
        )

    async def check_all(
        self,
        rules: Sequence[ValidationRule],
        *,
        workspace: Path,
        logs: Callable[[str], Path],
        snapshot: dict[str, Signature] | None = None,
        marker: str | None = None,
        whose: Whose | None = None,
    ) -> list[ValidationResult]:
        """Every rule's result, in the rules' order, checked stage by stage; commands run
        where `whose` attempt's executor runs them."""
        results: dict[int, ValidationResult] = {}
        failed_stage: int | None = None
        for index in sorted(range(len(rules)), key=lambda i: rules[i].stage):
            rule = rules[index]
            if failed_stage is not None and rule.stage > failed_stage:
                results[index] = ValidationResult(
                    rule,
                    False,
                    f"not checked: a rule of stage {failed_stage} failed",
                    checked=False,
                )
                continue
            log_file = logs(f"validation-{index + 1}.log")
            results[index] = await self.check(
                rule, workspace, log_file, marker, snapshot or {}, whose=whose
            )
            if not results[index].passed and failed_stage is None:
                failed_stage = rule.stage
        return [results[i] for i in range(len(rules))]

    async def check(
        self,
        rule: ValidationRule,
        workspace: Path,
        log_file: Path,
        marker: str | None = None,
        snapshot: dict[str, Signature] | None = None,
        *,
        whose: Whose | None = None,
    ) -> ValidationResult:
        """One rule's result; a command runs in the workspace with `marker` in its environment."""
        if rule.kind is ValidationKind.COMMAND_SUCCEEDS:
            result = await self._command(rule, workspace, log_file, marker, whose)
        else:
            result = await self._file(rule, snapshot or {})
        # What was found may quote the file or the command's output: masked, as kept and shown.
        return replace(result, detail=self._context.redact(result.detail))

    async def _file(self, rule: ValidationRule, snapshot: dict[str, Signature]) -> ValidationResult:
        if rule.kind is ValidationKind.FILE_CHECKSUM:  # a large file: bounded by its timeout
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(check_file, rule, snapshot), rule.timeout_seconds
                )
            except TimeoutError:
                return ValidationResult(
                    rule, False, f"its checksum took longer than {rule.timeout_seconds:g}s"
                )
        for _ in range(rule.retry_count):
            result = await asyncio.to_thread(check_file, rule, snapshot)
            if result.passed:
                return result
            await asyncio.sleep(rule.retry_delay_ms / 1000)
        return await asyncio.to_thread(check_file, rule, snapshot)

    async def _command(
        self,
        rule: ValidationRule,
        workspace: Path,
        log_file: Path,
        marker: str | None,
        whose: Whose | None,
    ) -> ValidationResult:
        assert rule.command is not None
        make_private_dir(log_file.parent)
        cwd = Path(rule.working_directory) if rule.working_directory else workspace
        if not cwd.is_dir():
            return ValidationResult(rule, False, f"its working directory {cwd} does not exist")
        try:
            command = CheckCommand(
                rule.command,
                cwd,
                log_file,
                dict(rule.command_environment),
                marker,
                rule.timeout_seconds,
                self._context.kill_grace_seconds,
            )
            status = await self._commands.run(command, whose)
        except OSError as exc:
            return ValidationResult(rule, False, f"could not run the command: {exc}")
        if status is None:
            return ValidationResult(rule, False, f"timed out after {rule.timeout_seconds:g}s")
        if status.exit_code == 0:
            return ValidationResult(rule, True, "")
        detail = (
            f"exit code {status.exit_code}"
            if status.signal is None
            else (f"killed by signal {status.signal}")
        )
        tail = last_line(log_file)
        if tail:
            detail += f": {tail}"
        return ValidationResult(rule, False, detail)


def planned_instrument(job: CompiledJob, sheet: int) -> str:
    """The instrument a sheet's plan names (its first; a fallback may have played it)."""
    return next(s.instrument for s in job.plan.sheets if s.num == sheet)
