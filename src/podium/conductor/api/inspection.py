"""The `job.*` JSON-RPC methods that look into a job's past: `job.history`, `job.errors`,
`job.diagnose` and `job.logs`. Each reads a bounded number of rows and bytes."""

from collections.abc import Callable
from pathlib import Path

from podium.domain.codes import ERROR_TYPES, codes_of_type
from podium.domain.errors import UserError
from podium.domain.inspection import Cursor
from podium.ipc import methods
from podium.ipc.convert import attempts_result, diagnose_result, job_status, logs_result
from podium.ipc.routes import Handler, handle
from podium.ipc.schema import (
    AttemptsResult,
    DiagnoseParams,
    DiagnoseResult,
    ErrorsParams,
    HistoryParams,
    JobFilesInfo,
    LogsParams,
    LogsResult,
)
from podium.runtime.jobs.inspection import Inspector
from podium.runtime.jobs.queries import JobQueries


class InspectionApi:
    """The methods that look into a job's past: `job.history`, `job.errors`, `job.diagnose`
    and `job.logs`. Each reads a bounded number of rows and bytes."""

    def __init__(
        self, *, queries: JobQueries, inspector: Inspector, log_file: Callable[[], str]
    ) -> None:
        self._queries = queries
        self._inspector = inspector
        self._log_file = log_file

    def handlers(self) -> list[Handler]:
        """The `job.*` methods that look into a job's attempts and logs."""
        return [
            handle(methods.JOB_HISTORY, self.history),
            handle(methods.JOB_ERRORS, self.errors),
            handle(methods.JOB_DIAGNOSE, self.diagnose),
            handle(methods.JOB_LOGS, self.logs),
        ]

    async def history(self, params: HistoryParams) -> AttemptsResult:
        return attempts_result(
            self._inspector.attempts(
                params["job_id"],
                sheet=params.get("sheet"),
                limit=_bounded("limit", params.get("limit", 50), MAX_ATTEMPTS_SHOWN),
                tail_lines=_bounded("tail_lines", params.get("tail_lines", 5), MAX_TAIL_LINES, 0),
            )
        )

    async def errors(self, params: ErrorsParams) -> AttemptsResult:
        return attempts_result(
            self._inspector.attempts(
                params["job_id"],
                sheet=params.get("sheet"),
                failed=True,
                codes=_codes(params.get("type"), params.get("code")),
                limit=_bounded("limit", params.get("limit", 200), MAX_ATTEMPTS_SHOWN),
                tail_lines=_bounded("tail_lines", params.get("tail_lines", 5), MAX_TAIL_LINES, 0),
            )
        )

    async def diagnose(self, params: DiagnoseParams) -> DiagnoseResult:
        job_id = params["job_id"]
        lines = _bounded("tail_lines", params.get("tail_lines", 10), MAX_TAIL_LINES, 0)
        view = self._queries.status(job_id)
        latest, usage = self._queries.attempt_details(view)
        files = JobFilesInfo(
            state=str(self._inspector.job_dir(view.job_id)),
            workspace_logs=str(Path(view.job.workspace) / "logs"),
            conductor_log=self._log_file(),
        )
        return diagnose_result(
            job_status(view, self._inspector.sheet_dir, latest, usage),
            self._inspector.notes(view.job_id, DIAGNOSE_NOTES),
            self._inspector.attempts(job_id, limit=DIAGNOSE_ATTEMPTS),
            self._inspector.attempts(job_id, failed=True, limit=DIAGNOSE_ERRORS, tail_lines=lines),
            files,
        )

    async def logs(self, params: LogsParams) -> LogsResult:
        given = params.get("cursors")
        cursors = None
        if given is not None:
            cursors = {c["sheet"]: Cursor(c["attempt"], c["stdout"], c["stderr"]) for c in given}
        return logs_result(
            self._inspector.output(
                params["job_id"],
                sheet=params.get("sheet"),
                lines=_bounded("lines", params.get("lines", 50), MAX_LOG_LINES, 0),
                cursors=cursors,
            )
        )


MAX_ATTEMPTS_SHOWN = 10_000
MAX_TAIL_LINES = 200
MAX_LOG_LINES = 100_000
DIAGNOSE_NOTES = 200
DIAGNOSE_ATTEMPTS = 200
DIAGNOSE_ERRORS = 50


def _bounded(name: str, value: int, most: int, least: int = 1) -> int:
    if not least <= value <= most:
        raise UserError(f"{name} must be between {least} and {most}, got {value}")
    return value


def _codes(kind: str | None, code: str | None) -> tuple[str, ...] | None:
    """The error codes `errors --type/--code` asks for; None: every code."""
    if kind is not None and kind not in ERROR_TYPES:
        raise UserError(f"unknown error type '{kind}'; use one of {', '.join(ERROR_TYPES)}")
    wanted = codes_of_type(kind) if kind is not None else None
    if code is None:
        return wanted
    code = code.upper()
    return (code,) if wanted is None or code in wanted else ()
