"""The `approvals.*` JSON-RPC methods: the open questions, and a person's answer."""

from podium.domain.gates import Answer
from podium.ipc import methods
from podium.ipc.approval_convert import approval_info
from podium.ipc.approval_schema import AnswerParams, ApprovalsParams, ApprovalsResult
from podium.ipc.routes import Handler, handle
from podium.ipc.schema import ControlResult
from podium.runtime.jobs.approvals import Approvals


class ApprovalsApi:
    """List and answer approval questions."""

    def __init__(self, approvals: Approvals) -> None:
        self._approvals = approvals

    def handlers(self) -> list[Handler]:
        return [
            handle(methods.APPROVALS_LIST, self.list),
            handle(methods.APPROVALS_ANSWER, self.answer),
        ]

    async def list(self, params: ApprovalsParams) -> ApprovalsResult:
        asked = await self._approvals.open(params.get("job_id"))
        return ApprovalsResult(
            approvals=[
                {**approval_info(a.gate), "prompt_shown": a.prompt, "changes": a.changes}
                for a in asked
            ]
        )

    async def answer(self, params: AnswerParams) -> ControlResult:
        message = await self._approvals.answer(
            params["job_id"],
            params["sheet"],
            Answer(params["answer"]),
            note=params.get("note"),
            prompt=params.get("prompt"),
            replace_prompt=params.get("replace_prompt", False),
            supplied=params.get("input"),
        )
        return ControlResult(job_id=params["job_id"], message=message)
