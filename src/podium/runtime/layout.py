"""Where a job's files live under the state directory."""

from pathlib import Path

from podium.domain.ids import JobId, SheetNum


class Layout:
    def __init__(self, jobs_dir: Path) -> None:
        self.jobs_dir = jobs_dir

    def attempt_dir(self, job_id: JobId, sheet: SheetNum, attempt: int) -> Path:
        return self.jobs_dir / job_id / "sheets" / str(sheet) / f"attempt-{attempt}"
