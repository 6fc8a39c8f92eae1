"""What `status` reads of a job: its plan joined with its sheets' records."""

from podium.domain.ids import JobId, SheetNum
from podium.domain.records import JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.views import job_view
from podium.testing.harness import make_plan


def test_a_sheet_shows_its_model_until_it_moves_to_a_fallback() -> None:
    plan = make_plan(sheets=2, instrument="a", model="big", fallbacks=("b",))
    job = JobRecord(JobId("job"), "job", "/s.yaml", "/w", JobStatus.RUNNING, 10.0, 2)
    moved = SheetRecord(JobId("job"), SheetNum(2), SheetStatus.RUNNING, 11.0, fallback=1)
    view = job_view(job, plan, [moved])
    assert [(s.instrument, s.model, s.voice_count) for s in view.sheets] == [
        ("a", "big", 1),
        ("b", None, 1),
    ]
