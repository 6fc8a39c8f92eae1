"""`podium doctor --repair` (run as `python -m podium.conductor.repair`): bring back a state
folder whose database was lost or damaged, with the conductor stopped.

1. The database, when it is unreadable or knows no job while job folders exist, is moved
   aside (with its -wal and -shm files), never deleted, and the newest backup that passes
   `PRAGMA quick_check` takes its place.
2. Every job folder the database does not know is registered again from what its files
   prove: its card (`job.json`: the score as submitted, see `podium.runtime.jobs.card`), and
   for each sheet, its attempts' exit files. A sheet counts as completed only when that is
   proven: it has no validations and its latest attempt exited 0; every other sheet is
   pending. A job with every sheet completed is registered completed; any other is paused,
   to be resumed by a person. A folder without a readable card, or whose score no longer
   compiles, is left as it is, and said so.
"""

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from podium.conductor.compiler import ScoreCompiler
from podium.conductor.daemon import AlreadyRunning, pid_lock
from podium.domain.commands import Persist
from podium.domain.errors import PodiumError
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import JobNote, JobRecord, JobSpec, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.host.locations import Locations, locate
from podium.runtime.jobs.card import CARD_FILE
from podium.runtime.layout import Layout
from podium.runtime.process import read_exit_file
from podium.store.backups import backups, problem_of
from podium.store.integrity import job_folders
from podium.store.sqlite import SqliteStore

NOTE = "registered again by 'podium doctor --repair' from its folder"


@dataclass
class Report:
    done: list[str]
    unproven: list[str]

    def print(self) -> None:
        for line in self.done:
            print(f"  ✓ {line}")
        for line in self.unproven:
            print(f"  ! {line}")


def repair(locations: Locations) -> Report:
    state = Path(locations.state_dir)
    database, jobs_dir = Path(locations.database), Path(locations.jobs_dir)
    report = Report([], [])
    problem = _problem(database, jobs_dir)
    if problem is not None:
        _restore(database, state / "backups", problem, report)
    with contextlib.closing(SqliteStore(database)) as store:
        _register(store, Layout(jobs_dir), report)
    if not report.done and not report.unproven:
        report.done.append(f"nothing to repair: {database} is sound and knows every job folder")
    return report


def _problem(database: Path, jobs_dir: Path) -> str | None:
    """Why the database is not to be trusted (see `podium.store.integrity`), or None."""
    folders = bool(job_folders(jobs_dir))
    if not database.exists():
        return "it is missing" if folders else None  # else a state folder never used
    problem = problem_of(database)
    if problem is not None:
        return problem
    with contextlib.closing(SqliteStore(database)) as store:
        known = store.count_jobs()
    return "it knows no job, but job folders exist" if folders and not known else None


def _restore(database: Path, backups_dir: Path, problem: str, report: Report) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for suffix in ("", "-wal", "-shm"):
        found = Path(f"{database}{suffix}")
        if found.exists():
            aside = found.with_name(f"{database.name}.damaged-{stamp}{suffix}")
            found.replace(aside)
            report.done.append(f"moved {found} aside to {aside} ({problem})")
    for backup in backups(backups_dir):
        if problem_of(backup.path) is None:
            shutil.copyfile(backup.path, database)
            database.chmod(0o600)
            report.done.append(f"restored {backup.path} (taken {backup.when()})")
            return
        report.unproven.append(f"backup {backup.path} is not sound; passed over")
    report.unproven.append(f"no sound backup in {backups_dir}: starting from an empty database")


def _register(store: SqliteStore, layout: Layout, report: Report) -> None:
    compiler = ScoreCompiler()
    with compiler.batch():
        for name in job_folders(layout.jobs_dir):
            if store.get_job(JobId(name)) is None:
                _register_folder(store, compiler, layout, JobId(name), report)


def _register_folder(
    store: SqliteStore, compiler: ScoreCompiler, layout: Layout, job_id: JobId, report: Report
) -> None:
    folder = layout.jobs_dir / job_id
    try:
        card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
        compiled = compiler.compile(Path(card["score_path"]), card["snapshot"])
        plan = compiled.plan
    except (OSError, ValueError, KeyError, TypeError, PodiumError) as exc:
        report.unproven.append(
            f"job folder {folder} left as it is: its card ({CARD_FILE}) cannot be read or its "
            f"score compiled ({exc})"
        )
        return
    now = time.time()
    sheets = []
    for sheet in plan.sheets:
        attempts = _attempt_numbers(layout.sheet_dir(job_id, sheet.num))
        proven = (
            bool(attempts)
            and not compiled.validations(sheet.num)
            and read_exit_file(layout.attempt_file(job_id, sheet.num, attempts[-1], "exit")) == 0
        )
        status = SheetStatus.COMPLETED if proven else SheetStatus.PENDING
        sheets.append(SheetRecord(job_id, SheetNum(sheet.num), status, now, len(attempts)))
    done = sum(s.status is SheetStatus.COMPLETED for s in sheets)
    whole = done == len(sheets)
    record = JobRecord(
        job_id,
        str(card.get("name", plan.name)),
        str(card["score_path"]),
        str(card.get("workspace", "")),
        JobStatus.COMPLETED if whole else JobStatus.PAUSED,
        float(card.get("submitted_at", now)),
        len(sheets),
        completed_sheets=done,
        started_at=float(card.get("submitted_at", now)),
        finished_at=now if whole else None,
        detail=None if whole else f"{NOTE}; resume it to go on",
        chain_depth=int(card.get("chain_depth", 0)),
    )
    spec = JobSpec(job_id, plan, str(card["snapshot"]))
    note = JobNote(job_id, now, f"{NOTE}: {done} of {len(sheets)} sheet(s) proven completed")
    store.commit([Persist(jobs=(record,), specs=(spec,), sheets=tuple(sheets), notes=(note,))])
    report.done.append(
        f"registered job {job_id} ({record.status}): {done} of {len(sheets)} sheet(s) proven "
        "completed" + ("" if whole else "; the others run again when you resume it")
    )


def _attempt_numbers(sheet_dir: Path) -> list[int]:
    """The numbers of the attempts whose files are in `sheet_dir`, in order."""
    found = set()
    with contextlib.suppress(OSError):
        for entry in os.scandir(sheet_dir):
            head = entry.name.split(".", 1)[0].removeprefix("attempt-")
            if entry.name.startswith("attempt-") and head.isdigit():
                found.add(int(head))
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m podium.conductor.repair").parse_args(argv)
    locations = locate()
    try:
        with pid_lock(Path(locations.pid_file)):
            report = repair(locations)
    except AlreadyRunning as exc:
        print(
            f"podium: {exc}; stop it first ('podium stop'), then repair again",
            file=sys.stderr,
        )
        return 2
    except (OSError, PodiumError) as exc:
        print(f"podium: the repair stopped: {exc}", file=sys.stderr)
        return 1
    print(f"repaired the state in {locations.state_dir}:")
    report.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
