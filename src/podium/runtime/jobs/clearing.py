"""`podium clear`: which finished jobs go, and removing their state folders.

A finished job is completed, failed or cancelled. Clearing removes its rows (sheets, attempts,
history and score snapshot go with them) and its folder under the state directory
(`jobs/<id>/`: prompts and output of its attempts); its workspace is the user's and stays.

The folders are moved aside (`jobs/.cleared-…/`, a rename) before the rows go, and removed
after: a clear cut short by a crash, or a folder that cannot be removed, never leaves a job
folder whose job the database does not know, which a start would take for a job a damaged
database forgot (and `podium doctor --repair` would bring back). What is left aside is removed
at the next start. A job id never starts with a dot, so no job folder is taken for one.
"""

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podium.domain.errors import InvalidState, JobNotFound, UserError
from podium.domain.ids import JobId
from podium.domain.records import JobRecord, StoredJob
from podium.domain.status import JobStatus

FINISHED = tuple(s for s in JobStatus if s.is_terminal)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which jobs to clear: every condition given must hold (none given: every finished job)."""

    job_ids: tuple[str, ...] = ()
    statuses: tuple[JobStatus, ...] = ()
    older_than: float | None = None
    """Finished at least this many seconds ago."""


@dataclass(frozen=True, slots=True)
class Cleared:
    jobs: list[JobRecord]
    problems: tuple[str, ...]
    """State folders that could not be removed, and why (their rows are gone); jobs left
    alone, and why (a job whose folder could not be moved aside stays)."""


class JobReader(Protocol):
    def get_job(self, job_id: JobId) -> StoredJob | None: ...

    def list_jobs(self, *, statuses: Sequence[JobStatus] | None, limit: int) -> list[JobRecord]: ...


def select_finished(
    store: JobReader,
    active: Callable[[JobId], bool],
    selection: Selection,
    now: float | None = None,
) -> list[JobRecord]:
    """The finished jobs `selection` names, newest first. A job named by id that is active
    (or unknown) is an error; one found by its status that is active is left out."""
    wrong = [s for s in selection.statuses if not s.is_terminal]
    if wrong:
        raise UserError(
            f"clear removes finished jobs only ({', '.join(FINISHED)}), not {wrong[0]} ones"
        )
    if selection.older_than is not None and selection.older_than < 0:
        raise UserError(f"--older-than must be 0 or more, got {selection.older_than:g}")
    if selection.job_ids:
        found = [_named(store, active, JobId(j)) for j in dict.fromkeys(selection.job_ids)]
    else:
        found = [r for r in store.list_jobs(statuses=FINISHED, limit=-1) if not active(r.job_id)]
    now = time.time() if now is None else now
    cutoff = None if selection.older_than is None else now - selection.older_than
    return [
        r
        for r in found
        if (not selection.statuses or r.status in selection.statuses)
        and (cutoff is None or (r.finished_at is not None and r.finished_at <= cutoff))
    ]


def _named(store: JobReader, active: Callable[[JobId], bool], job_id: JobId) -> JobRecord:
    stored = store.get_job(job_id)
    if stored is None:
        raise JobNotFound(f"no job '{job_id}'; 'podium list --all' shows every job")
    status = stored.record.status
    if active(job_id) and status.is_terminal:
        raise InvalidState(
            f"job '{job_id}' is being recovered or resumed; try again once that is done"
        )
    if active(job_id) or not status.is_terminal:
        raise InvalidState(
            f"job '{job_id}' is {status}: clear removes finished jobs only; cancel it first "
            f"('podium cancel {job_id}') or let it end"
        )
    return stored.record


CLEARED_PREFIX = ".cleared-"
"""The folders that hold job folders being removed by a clear."""


@dataclass(frozen=True, slots=True)
class SetAside:
    jobs: list[JobRecord]
    """The jobs whose folders are out of the way (or that have none): they may be forgotten."""
    folder: Path | None
    """Where their folders are now; removed by `remove_state`."""
    problems: tuple[str, ...]
    """Jobs not cleared, and why: their folder could not be moved."""

    def put_back(self, jobs_dir: Path) -> None:
        """The store refused to forget them: their folders go back (as far as they can)."""
        if self.folder is None:
            return
        for record in self.jobs:
            with contextlib.suppress(OSError):
                (self.folder / record.job_id).rename(jobs_dir / record.job_id)
        with contextlib.suppress(OSError):
            self.folder.rmdir()


def set_aside(jobs_dir: Path | None, jobs: Sequence[JobRecord]) -> SetAside:
    """Move each job's folder into one folder of `CLEARED_PREFIX` (renames: nothing is
    copied), before the store forgets the jobs."""
    if jobs_dir is None:
        return SetAside(list(jobs), None, ())
    aside: Path | None = None
    kept, problems = [], []
    for record in jobs:
        folder = jobs_dir / record.job_id
        if folder.parent != jobs_dir or not folder.exists():
            kept.append(record)  # an id is one path component; a job that never ran has none
            continue
        try:
            if aside is None:
                aside = Path(tempfile.mkdtemp(prefix=CLEARED_PREFIX, dir=jobs_dir))
            folder.rename(aside / record.job_id)
        except OSError as exc:
            problems.append(
                f"job {record.job_id} is not cleared: its folder {folder} could not be moved "
                f"aside ({exc.strerror or exc}); clear it again once that is fixed"
            )
            continue
        kept.append(record)
    return SetAside(kept, aside, tuple(problems))


def remove_state(aside: Path | None) -> tuple[str, ...]:
    """Remove the folders a clear set aside; what could not be removed, and why."""
    if aside is None:
        return ()
    try:
        shutil.rmtree(aside)
    except FileNotFoundError:
        pass  # gone already: what was wanted
    except OSError as exc:
        return (
            f"could not remove {exc.filename or aside}: {exc.strerror or exc}; what is left of "
            f"{aside} is removed at the next start",
        )
    return ()


def remove_cleared(jobs_dir: Path) -> tuple[str, ...]:
    """Remove what clears left aside (a clear cut short, or a file that could not be removed
    then); what still cannot be removed, and why."""
    try:
        found = [jobs_dir / e.name for e in jobs_dir.iterdir() if e.name.startswith(CLEARED_PREFIX)]
    except OSError:
        return ()
    return tuple(p for folder in found for p in remove_state(folder))


def statuses_named(names: Sequence[str]) -> tuple[JobStatus, ...]:
    """Job statuses from their names (each may also be a comma-separated list)."""
    found = []
    for name in (n.strip().lower() for group in names for n in group.split(",")):
        if not name:
            continue
        try:
            found.append(JobStatus(name))
        except ValueError:
            valid = ", ".join(s.value for s in JobStatus)
            raise UserError(f"there is no job status '{name}'; the statuses are {valid}") from None
    return tuple(dict.fromkeys(found))
