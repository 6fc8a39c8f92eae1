"""Checking a sheet's validation rules after a successful attempt."""

import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from podium.domain.commands import RunValidations
from podium.domain.events import Event, ValidationsDone
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.runtime.attempts import read_tail
from podium.runtime.catalog import JobCatalog
from podium.runtime.layout import Layout
from podium.runtime.process import exit_status, marked_env, signal_group, spawn, stop_group

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


class Validator:
    """Runs `RunValidations` commands and posts `ValidationsDone` with one result per rule."""

    def __init__(
        self,
        *,
        catalog: JobCatalog,
        layout: Layout,
        post: Callable[[Event], None],
        tasks: asyncio.TaskGroup,
        kill_grace_seconds: float,
    ) -> None:
        self._catalog = catalog
        self._layout = layout
        self._post = post
        self._tasks = tasks
        self._grace = kill_grace_seconds

    def start(self, cmd: RunValidations) -> None:
        self._tasks.create_task(
            self._run(cmd), name=f"validate {cmd.job_id}/{cmd.sheet}/{cmd.attempt}"
        )

    async def _run(self, cmd: RunValidations) -> None:
        job = self._catalog.get(cmd.job_id)
        rules = job.validations(cmd.sheet)

        def log_file(index: int) -> Path:
            name = f"validation-{index}.log"
            return self._layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, name)

        marker = self._layout.marker(cmd.job_id, cmd.sheet, cmd.attempt)
        results = []
        for index, rule in enumerate(rules, start=1):
            results.append(await self.check(rule, job.workspace, log_file(index), marker))
        self._post(ValidationsDone(cmd.job_id, cmd.sheet, cmd.attempt, tuple(results)))

    async def check(
        self, rule: ValidationRule, workspace: Path, log_file: Path, marker: str | None = None
    ) -> ValidationResult:
        """One rule's result; a command runs in the workspace with `marker` in its environment."""
        match rule.kind:
            case ValidationKind.FILE_EXISTS:
                assert rule.path is not None
                found = Path(rule.path).exists()
                return ValidationResult(rule, found, "" if found else "file not found")
            case ValidationKind.CONTENT_CONTAINS:
                assert rule.path is not None and rule.pattern is not None
                return await asyncio.to_thread(_contains, rule, Path(rule.path), rule.pattern)
            case ValidationKind.COMMAND_SUCCEEDS:
                return await self._command(rule, workspace, log_file, marker)

    async def _command(
        self, rule: ValidationRule, workspace: Path, log_file: Path, marker: str | None
    ) -> ValidationResult:
        assert rule.command is not None
        log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            child = spawn(
                ("bash", "-c", rule.command),
                cwd=workspace,
                stdout=log_file,
                stderr=log_file,
                env=marked_env(marker) if marker else None,
            )
        except OSError as exc:
            return ValidationResult(rule, False, f"could not run the command: {exc}")
        try:
            code = await asyncio.wait_for(child.wait(), rule.timeout_seconds)
        except asyncio.CancelledError:
            signal_group(child.info.pgid, signal.SIGKILL)
            raise
        except TimeoutError:
            await stop_group(child.info.pgid, self._grace, leader=child)
            return ValidationResult(rule, False, f"timed out after {rule.timeout_seconds:g}s")
        if code == 0:
            return ValidationResult(rule, True, "")
        status = exit_status(code)
        detail = (
            f"exit code {status.exit_code}"
            if status.signal is None
            else (f"killed by signal {status.signal}")
        )
        tail = read_tail(log_file, 1024).strip()
        if tail:
            detail += f": {tail.splitlines()[-1][:300]}"
        return ValidationResult(rule, False, detail)


def _contains(rule: ValidationRule, path: Path, pattern: str) -> ValidationResult:
    """Search the file in chunks, so a huge file never sits in memory."""
    needle = pattern.encode("utf-8")
    keep = max(len(needle) - 1, 0)
    try:
        with path.open("rb") as f:
            carry = b""
            while chunk := f.read(_CHUNK):
                window = carry + chunk
                if needle in window:
                    return ValidationResult(rule, True, "")
                carry = window[-keep:] if keep else b""
            size = f.tell()
    except FileNotFoundError:
        return ValidationResult(rule, False, "file not found")
    except OSError as exc:
        return ValidationResult(rule, False, f"cannot read the file: {exc.strerror}")
    return ValidationResult(rule, False, f"text not found in the file ({size} bytes)")
