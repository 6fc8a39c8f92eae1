"""Approval questions: listing the open ones, and a person's answer, which the engine takes
as one event (`AnswerGate`); the first answer wins."""

from podium.domain.engine import Engine
from podium.domain.errors import InvalidState
from podium.domain.events import AnswerGate
from podium.domain.gates import Answer, GateRecord
from podium.domain.ids import JobId, SheetNum
from podium.runtime.jobs.requests import EngineRequests, not_found
from podium.runtime.ports import Store


class Approvals:
    """The questions of active jobs, and their answers."""

    def __init__(self, *, engine: Engine, store: Store, requests: EngineRequests) -> None:
        self._engine = engine
        self._store = store
        self._requests = requests

    async def open(self, job_id: str | None) -> list[GateRecord]:
        """Every open question (of `job_id`, when given), oldest first."""
        await self._requests.ready()
        if job_id is None:
            return self._engine.open_gates()
        jid = JobId(job_id)
        if self._engine.view(jid) is None:
            if self._store.get_job(jid) is None:
                raise not_found(jid)
            return []
        return self._engine.open_gates(jid)

    async def answer(
        self,
        job_id: str,
        sheet: int,
        answer: Answer,
        *,
        note: str | None = None,
        prompt: str | None = None,
        replace_prompt: bool = False,
    ) -> str:
        """The engine's word on the answer; refused when the sheet waits for none."""
        await self._requests.ready()
        jid, num = JobId(job_id), SheetNum(sheet)
        if prompt is not None and answer is not Answer.APPROVE:
            raise InvalidState("a new prompt goes with approve only (--prompt)")
        if self._engine.view(jid) is None:
            self._refuse_ended(jid, num)
        return await self._requests.message(
            lambda r: AnswerGate(r, jid, num, answer, note, prompt, replace_prompt)
        )

    def _refuse_ended(self, job_id: JobId, sheet: SheetNum) -> None:
        """A job that left the engine waits for nothing: say what it was answered, if it was."""
        stored = self._store.get_job(job_id)
        if stored is None:
            raise not_found(job_id)
        gate = next((g for g in stored.gates if g.sheet == sheet), None)
        said = (
            f"; sheet {sheet} was answered: {gate.answer} by {gate.answered_by}"
            if gate is not None and gate.answer is not None
            else ""
        )
        raise InvalidState(
            f"job '{job_id}' has {stored.record.status}: it waits for no answer{said}"
        )
