"""Approval questions: listing the open ones, and a person's answer, which the engine takes
as one event (`AnswerGate`); the first answer wins.

A question is listed with what the person should look at, read when asked: the sheet's
rendered prompt, and the files of the workspace written since the sheet's latest attempt
started (since the job started, for a question asked before the sheet ran)."""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podium.domain.engine import Engine
from podium.domain.errors import InvalidState
from podium.domain.events import AnswerGate
from podium.domain.gates import Answer, GateRecord, GateWhen
from podium.domain.ids import JobId, SheetNum
from podium.runtime.jobs.requests import EngineRequests, not_found
from podium.runtime.jobs.workspace_changes import changed_since
from podium.runtime.ports import Store

PROMPT_CHARS = 4000
"""The most of a sheet's prompt a question shows (its end is cut)."""


@dataclass(frozen=True, slots=True)
class Asked:
    """An open question, with what the person should look at before answering."""

    gate: GateRecord
    prompt: str
    """The sheet's rendered prompt ("" when it is not known)."""
    changes: str
    """The files of the workspace written since the sheet (or the job) started, in words."""


class Approvals:
    """The questions of active jobs, and their answers."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: Store,
        requests: EngineRequests,
        prompt_of: Callable[[JobId, SheetNum], str] = lambda _job, _sheet: "",
    ) -> None:
        """`prompt_of`: a sheet's rendered prompt ("" when not known)."""
        self._engine = engine
        self._store = store
        self._requests = requests
        self._prompt_of = prompt_of

    async def open(self, job_id: str | None) -> list[Asked]:
        """Every open question (of `job_id`, when given), oldest first, each with what to
        look at."""
        gates = await self._gates(job_id)
        looks = [self._look(gate) for gate in gates]
        return [
            Asked(gate, prompt, await asyncio.to_thread(changes))
            for gate, (prompt, changes) in zip(gates, looks, strict=True)
        ]

    async def _gates(self, job_id: str | None) -> list[GateRecord]:
        await self._requests.ready()
        if job_id is None:
            return self._engine.open_gates()
        jid = JobId(job_id)
        if self._engine.view(jid) is None:
            if self._store.get_job(jid) is None:
                raise not_found(jid)
            return []
        return self._engine.open_gates(jid)

    def _look(self, gate: GateRecord) -> tuple[str, Callable[[], str]]:
        """The sheet's prompt, and how to tell what changed in the workspace (to be run in a
        thread: it reads the disk)."""
        view = self._engine.view(gate.job_id)
        prompt = self._prompt_of(gate.job_id, gate.sheet)[:PROMPT_CHARS]
        if view is None:
            return prompt, lambda: ""
        since, what = view.job.started_at or view.job.submitted_at, "the job started"
        if gate.point is GateWhen.AFTER_CHECKS:
            latest = self._store.latest_attempts(gate.job_id, [gate.sheet]).get(gate.sheet)
            if latest is not None:
                since, what = latest.started_at, f"attempt {latest.attempt} started"
        workspace = Path(view.job.workspace)

        def changes() -> str:
            if not workspace.is_dir():
                return f"the workspace {workspace} is not there"
            moment = time.strftime("%H:%M:%S", time.localtime(since))
            return changed_since(workspace, since).describe(f"{what} ({moment})")

        return prompt, changes

    async def answer(
        self,
        job_id: str,
        sheet: int,
        answer: Answer,
        *,
        note: str | None = None,
        prompt: str | None = None,
        replace_prompt: bool = False,
        supplied: str | None = None,
    ) -> str:
        """The engine's word on the answer; refused when the sheet waits for none. What the
        person `supplied` (JSON text) is checked against the question's schema; with approve,
        it goes to the sheet's next attempt after its prompt (and is kept in the note)."""
        await self._requests.ready()
        jid, num = JobId(job_id), SheetNum(sheet)
        if prompt is not None and answer is not Answer.APPROVE:
            raise InvalidState("a new prompt goes with approve only (--prompt)")
        if self._engine.view(jid) is None:
            self._refuse_ended(jid, num)
        note, prompt = self._with_input(
            jid, num, answer, supplied=supplied, note=note, prompt=prompt
        )
        return await self._requests.message(
            lambda r: AnswerGate(r, jid, num, answer, note, prompt, replace_prompt)
        )

    def _with_input(
        self,
        job_id: JobId,
        sheet: SheetNum,
        answer: Answer,
        *,
        supplied: str | None,
        note: str | None,
        prompt: str | None,
    ) -> tuple[str | None, str | None]:
        """The note and the prompt, with what the person supplied once it is checked."""
        asked = next((g for g in self._engine.open_gates(job_id) if g.sheet == sheet), None)
        if asked is None:
            return note, prompt
        checked = checked_input(asked.input_schema, supplied, answer)
        if checked is None:
            return note, prompt
        note = f"{note}; input: {checked}" if note else f"input: {checked}"
        if answer is Answer.APPROVE:
            added = f"# {INPUT_HEADING}\n# {checked}"
            prompt = added if prompt is None else f"{prompt}\n\n{added}"
        return note, prompt

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


INPUT_HEADING = "The person who approved this sheet supplied (JSON):"
"""Before the input, after the sheet's prompt: both on lines that begin with `#`, read by an
agent as a heading and by the `cli` instrument's shell as comments."""


def checked_input(schema: str | None, supplied: str | None, answer: Answer) -> str | None:
    """What the person supplied, as compact JSON, once it matches the question's `schema`
    (JSON text); None when nothing was supplied and nothing is asked. Raises InvalidState
    saying what does not match, or what to supply."""
    if supplied is None:
        if schema is not None and answer is Answer.APPROVE:
            raise InvalidState(
                f"this question asks for input matching {schema}: approve with "
                "--input JSON (or --input @FILE)"
            )
        return None
    try:
        value = json.loads(supplied)
    except ValueError as exc:
        raise InvalidState(f"--input is not JSON: {exc}") from None
    if schema is not None:
        from jsonschema import Draft202012Validator, validators  # noqa: PLC0415 - when asked

        parsed = json.loads(schema)
        checker = validators.validator_for(parsed, default=Draft202012Validator)(parsed)
        problems = sorted(checker.iter_errors(value), key=lambda e: list(e.path))
        if problems:
            said = "; ".join(
                ("".join(f"[{p!r}]" for p in e.path) + ": " if e.path else "") + e.message
                for e in problems[:5]
            )
            raise InvalidState(f"--input does not match the question's schema: {said}")
    return json.dumps(value, separators=(",", ":"))
