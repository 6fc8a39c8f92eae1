"""Approval questions (`GateRecord`) to their wire shape."""

from podium.domain.gates import GateRecord, answer_command
from podium.ipc.approval_schema import Approval


def approval_info(gate: GateRecord) -> Approval:
    """The question, whole, with the command that answers it."""
    return Approval(
        job_id=gate.job_id,
        sheet=gate.sheet,
        name=gate.name,
        message=gate.message,
        point=gate.point.value,
        asked_at=gate.asked_at,
        deadline=gate.deadline,
        on_timeout=gate.on_timeout.value,
        context=gate.context,
        input_schema=gate.input_schema,
        answer=None if gate.answer is None else gate.answer.value,
        answered_at=gate.answered_at,
        answered_by=gate.answered_by,
        note=gate.note,
        prompt=gate.prompt,
        replace_prompt=gate.replace_prompt,
        expired=gate.expired,
        command=answer_command(gate.job_id, gate.sheet),
    )
