"""The `job.*` JSON-RPC methods that submit and control jobs and report on them: each a thin
translation from typed params to admission, job control or the queries, and back to typed
results."""

import json
from pathlib import Path

from podium.domain.errors import UserError
from podium.domain.ids import SheetNum
from podium.domain.records import Carried
from podium.ipc import methods
from podium.ipc.convert import job_info, job_status, worktree_info
from podium.ipc.routes import Handler, handle
from podium.ipc.schema import (
    ClearParams,
    ClearResult,
    ControlResult,
    JobParams,
    JobStatusResult,
    KillParams,
    ListParams,
    ListResult,
    ModifyParams,
    PauseParams,
    RecoverParams,
    RecoverResult,
    ResumeParams,
    SubmitParams,
    SubmitResult,
)
from podium.runtime.jobs import submit_keys
from podium.runtime.jobs.admission import Admission
from podium.runtime.jobs.clearing import Selection, statuses_named
from podium.runtime.jobs.control import JobControl
from podium.runtime.jobs.queries import JobQueries
from podium.runtime.layout import Layout


def carried(environment: dict[str, str] | None) -> Carried | None:
    """What a client sent of its environment, as the job keeps it (the compiler narrows it)."""
    return None if environment is None else tuple(sorted(environment.items()))


class JobsApi:
    """Submit, control, show and list jobs."""

    def __init__(
        self,
        *,
        admission: Admission,
        control: JobControl,
        queries: JobQueries,
        layout: Layout,
    ) -> None:
        self._admission = admission
        self._control = control
        self._queries = queries
        self._layout = layout

    def handlers(self) -> list[Handler]:
        """The `job.*` methods that submit and act on jobs."""
        return [
            handle(methods.JOB_SUBMIT, self.submit),
            handle(methods.JOB_STATUS, self.status),
            handle(methods.JOB_LIST, self.list),
            handle(methods.JOB_PAUSE, self.pause),
            handle(methods.JOB_KILL, self.kill),
            handle(methods.JOB_RESUME, self.resume),
            handle(methods.JOB_MODIFY, self.modify),
            handle(methods.JOB_CANCEL, self.cancel),
            handle(methods.JOB_RECOVER, self.recover),
            handle(methods.JOB_CLEAR, self.clear),
        ]

    async def submit(self, params: SubmitParams) -> SubmitResult:
        start = params.get("start_sheet", 1)
        if start < 1:
            raise UserError(f"--start-sheet must be 1 or more, got {start}")
        key = submit_keys.checked(params.get("idempotency_key"))
        done = await self._admission.submit(
            params["score_path"],
            params.get("client_cwd"),
            start_sheet=start,
            fresh=params.get("fresh", False),
            workspace=params.get("workspace"),
            submit_key=key,
            environment=carried(params.get("environment")),
            rehearsal=params.get("rehearse", False),
        )
        return SubmitResult(
            job_id=done.job_id,
            total_sheets=done.total_sheets,
            workspace=done.workspace,
            archived=done.archived,
            changed_since=done.changed_since,
            duplicate=done.duplicate,
        )

    async def pause(self, params: PauseParams) -> ControlResult:
        message = await self._control.pause(params["job_id"], force=params.get("force", False))
        return ControlResult(job_id=params["job_id"], message=message)

    async def kill(self, params: KillParams) -> ControlResult:
        message = await self._control.kill(params["job_id"], params["sheet"])
        return ControlResult(job_id=params["job_id"], message=message)

    async def resume(self, params: ResumeParams) -> ControlResult:
        reload = not params.get("no_reload", False)
        score = params.get("score_path")
        if score is not None and not reload:
            raise UserError("a new score file is read, so it cannot go with no_reload")
        message = await self._control.resume(
            params["job_id"],
            reload=reload,
            force=params.get("force", False),
            score_path=Path(params.get("client_cwd", "/"), score).absolute() if score else None,
            environment=carried(params.get("environment")),
        )
        return ControlResult(job_id=params["job_id"], message=message)

    async def modify(self, params: ModifyParams) -> ControlResult:
        message = await self._control.modify(
            params["job_id"],
            params["score_path"],
            params.get("client_cwd"),
            resume=params.get("resume", True),
        )
        return ControlResult(job_id=params["job_id"], message=message)

    async def recover(self, params: RecoverParams) -> RecoverResult:
        sheets, start = params.get("sheets", []), params.get("from_sheet")
        if sheets and start is not None:
            raise UserError("choose the sheets to check again or a sheet to start from, not both")
        dry_run = params.get("dry_run", False)
        done = await self._control.recover(
            params["job_id"], sheets=tuple(sheets), from_sheet=start, dry_run=dry_run
        )
        return RecoverResult(
            job_id=params["job_id"],
            message=done.message,
            dry_run=dry_run,
            sheets=[
                {"sheet": c.sheet, "changed": c.changed, "detail": c.detail} for c in done.sheets
            ],
            status=self._queries.status(params["job_id"]).job.status.value,
        )

    async def clear(self, params: ClearParams) -> ClearResult:
        selection = Selection(
            tuple(params.get("job_ids", [])),
            statuses_named(params.get("statuses", [])),
            params.get("older_than_seconds"),
        )
        dry_run = params.get("dry_run", False)
        done = await self._control.clear(selection, dry_run=dry_run)
        return ClearResult(
            jobs=[job_info(j) for j in done.jobs], dry_run=dry_run, problems=list(done.problems)
        )

    async def cancel(self, params: JobParams) -> ControlResult:
        message = await self._control.cancel(params["job_id"])
        return ControlResult(job_id=params["job_id"], message=message)

    async def status(self, params: JobParams) -> JobStatusResult:
        view = self._queries.status(params["job_id"])
        attempts, usage = self._queries.attempt_details(view)
        feedback = self._queries.feedback(params["job_id"])
        result = job_status(view, self._layout.sheet_dir, attempts, usage)
        for sheet in result["sheets"]:
            said = feedback.get(SheetNum(sheet["num"]))
            if said is not None:
                sheet["feedback"] = json.loads(said)
        worktree = self._queries.worktree(params["job_id"])
        if worktree is not None:
            result["worktree"] = worktree_info(worktree)
        return result

    async def list(self, params: ListParams) -> ListResult:
        limit = params.get("limit", 50)
        if limit < 1:
            raise UserError(f"limit must be at least 1, got {limit}")
        found = self._queries.list_jobs(
            include_finished=params.get("all", False),
            limit=limit,
            statuses=statuses_named(params.get("statuses", [])),
        )
        return ListResult(jobs=[job_info(j) for j in found.jobs], total=found.total)
