"""A job's wire shape comes from its record: every field but the running hook, in `JobInfo`'s
order, with the status as its value."""

from podium.domain.ids import JobId
from podium.domain.records import JobRecord
from podium.domain.status import JobStatus
from podium.ipc.convert import job_info
from podium.ipc.schema import JobInfo


def _record() -> JobRecord:
    return JobRecord(
        JobId("demo-2"),
        "demo",
        "/s/demo.yaml",
        "/w",
        JobStatus.PAUSED,
        10.0,
        4,
        completed_sheets=2,
        started_at=11.0,
        error="sheet 3 failed",
        detail="paused by the user",
        chain_depth=1,
        cost=0.25,
        resume_when_idle=True,
        hook=1,
    )


def test_job_info_has_the_wire_keys_in_their_declared_order() -> None:
    assert list(job_info(_record())) == list(JobInfo.__annotations__)


def test_job_info_carries_the_record_values_and_the_status_as_text() -> None:
    assert job_info(_record()) == {
        "job_id": "demo-2",
        "name": "demo",
        "status": "paused",
        "score_path": "/s/demo.yaml",
        "workspace": "/w",
        "submitted_at": 10.0,
        "started_at": 11.0,
        "finished_at": None,
        "error": "sheet 3 failed",
        "detail": "paused by the user",
        "resume_when_idle": True,
        "total_sheets": 4,
        "completed_sheets": 2,
        "chain_depth": 1,
        "cost": 0.25,
    }
