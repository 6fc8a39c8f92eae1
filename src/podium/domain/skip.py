"""What a `skip_when` expression sees: `sheets` (by number) and `job`.

    sheets[3].status == "completed" and sheets[3].attempts > 1
    sheets.get(7) is None or job.failed_sheets > 0

Each sheet has `num`, `status`, `attempts`, `completed`, `failed`, `skipped`,
`validation_passed` (completed: its checks passed), `movement`, `voice` and `error`. The job
has `name`, `total_sheets`, `completed_sheets`, `failed_sheets`, `failed` (a sheet failed),
`cost` and `chain_depth`. Values are built when a sheet is looked up, so an expression costs
what it reads.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from podium.domain.ids import SheetNum
from podium.domain.live import LiveJob, LiveSheet
from podium.domain.status import SheetStatus


class _Sheets(Mapping[int, Mapping[str, Any]]):
    def __init__(self, job: LiveJob) -> None:
        self._job = job

    def __getitem__(self, num: int) -> Mapping[str, Any]:
        return _sheet(self._job.sheets[SheetNum(num)])

    def __iter__(self) -> Iterator[int]:
        return iter(self._job.sheets)

    def __len__(self) -> int:
        return len(self._job.sheets)


def _sheet(sheet: LiveSheet) -> Mapping[str, Any]:
    status = sheet.status
    return {
        "num": sheet.plan.num,
        "status": status.value,
        "attempts": sheet.attempts,
        "completed": status is SheetStatus.COMPLETED,
        "validation_passed": status is SheetStatus.COMPLETED,
        "failed": status is SheetStatus.FAILED,
        "skipped": status is SheetStatus.SKIPPED,
        "movement": sheet.plan.movement,
        "voice": sheet.plan.voice,
        "error": sheet.error,
    }


def skip_names(job: LiveJob) -> dict[str, Any]:
    failed = sum(1 for s in job.sheets.values() if s.status is SheetStatus.FAILED)
    return {
        "sheets": _Sheets(job),
        "job": {
            "name": job.plan.name,
            "total_sheets": job.plan.total_sheets,
            "completed_sheets": job.completed,
            "failed_sheets": failed,
            "failed": failed > 0,
            "cost": job.cost,
            "chain_depth": job.chain_depth,
        },
    }
