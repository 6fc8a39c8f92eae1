"""The stream's changes (`podium.domain.feed`) to the wire: each event's `data`, whole."""

from dataclasses import asdict
from typing import Any

from podium.domain.feed import (
    Change,
    FleetMoved,
    Numbered,
    OutputLine,
    WindowCleared,
)
from podium.domain.gates import GateRecord
from podium.domain.pressure import Pressure
from podium.domain.records import (
    AttemptRecord,
    HookRecord,
    JobNote,
    JobRecord,
    RateLimitRecord,
    SheetRecord,
)
from podium.ipc.approval_convert import approval_info
from podium.ipc.convert import attempt_info, hook_info, job_info
from podium.ipc.schema import StreamEvent


def stream_event(event: Numbered[Change]) -> StreamEvent:
    change = event.item
    return StreamEvent(
        seq=event.seq,
        at=event.at,
        kind=change.kind,
        job_id=change.job_id,
        data=_data(change),
    )


def _data(change: Change) -> dict[str, Any]:  # noqa: C901, PLR0911 - a shape per subject
    subject = change.subject
    match subject:
        case JobRecord():
            return dict(job_info(subject))
        case SheetRecord():
            return _sheet(subject)
        case AttemptRecord() if change.kind == "checks":
            info = attempt_info(subject)
            return {"sheet": subject.sheet, "attempt": subject.attempt, "results": info["checks"]}
        case AttemptRecord():
            return {
                "sheet": subject.sheet,
                **attempt_info(subject),
                "exited_at": subject.exited_at,
                "error": subject.error,
            }
        case JobNote():
            return {"text": subject.text}
        case HookRecord():
            return dict(hook_info([subject])[0])
        case RateLimitRecord():
            return asdict(subject)
        case WindowCleared():
            return {**asdict(subject), "until": None, "reason": "cleared"}
        case Pressure():
            return _pressure(subject)
        case FleetMoved():
            return {**asdict(subject), "status": subject.status.value}
        case OutputLine():
            return {"sheet": change.sheet, **asdict(subject)}
        case GateRecord():
            return dict(approval_info(subject))
    raise TypeError(f"no wire shape for {type(subject).__name__}")


def _sheet(sheet: SheetRecord) -> dict[str, Any]:
    return {
        "num": sheet.num,
        "status": sheet.status.value,
        "attempts": sheet.attempts,
        "error": sheet.error,
        "blocked_by": sheet.blocked_by,
        "due": sheet.due,
        "wait": sheet.wait,
        "cost": sheet.cost,
        "updated_at": sheet.updated_at,
    }


def _pressure(pressure: Pressure) -> dict[str, Any]:
    sample = pressure.sample
    return {
        "level": pressure.level.value,
        "reason": pressure.reason,
        "memory_mb": None if sample is None else round(sample.memory_mb, 1),
        "processes": None if sample is None else sample.processes,
    }
