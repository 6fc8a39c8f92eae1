"""A database lost or damaged after a crash is never taken for an empty registry: the start
stops with what it found and the way out, and `podium doctor --repair` brings the jobs back
from the newest sound backup and from the job folders."""

import contextlib
import os
import shutil
import signal
import sqlite3
import stat
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.domain.commands import Persist
from podium.domain.ids import JobId
from podium.domain.records import JobRecord, JobSpec
from podium.domain.status import JobStatus
from podium.store.backups import KEEP, backups, problem_of, take_backup
from podium.store.integrity import StateDamaged, check_readable
from podium.store.sqlite import SqliteStore
from podium.store.upkeep import Upkeep
from podium.testing.conductor import ConductorProcess
from podium.testing.harness import make_plan
from tests.faults.cli import podium


@pytest.fixture
def conductor(tmp_path: Path) -> Iterator[ConductorProcess]:
    running = ConductorProcess(tmp_path / "state", {"kill_grace_seconds": 1})
    try:
        yield running
    finally:
        running.stop()


def score(folder: Path, name: str, sheets: int, gate: str = "") -> Path:
    """Sheets one after the other; each counts its runs; the last waits for `gate`."""
    wait = f'[ "{{{{ sheet_num }}}}" = "{sheets}" ] && while [ ! -e {gate} ]; do sleep 0.02; done'
    path = folder / f"{name}.yaml"
    path.write_text(
        textwrap.dedent(f"""
            name: {name}
            workspace: {folder}/ws-{name}
            instrument: cli
            sheet: {{size: 1, total_items: {sheets}}}
            prompt:
              template: |
                echo "{name}-{{{{ sheet_num }}}}" >> {folder}/runs.txt
                {wait if gate else "true"}
                exit 0
        """)
    )
    return path


def runs(folder: Path) -> list[str]:
    path = folder / "runs.txt"
    return path.read_text().split() if path.exists() else []


def test_a_database_lost_in_a_crash_stops_the_start_and_the_repair_brings_the_jobs_back(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    conductor.start()
    done = conductor.submit(score(tmp_path, "done", 1))
    conductor.wait_for_job(done, "completed")
    halfway = conductor.submit(score(tmp_path, "halfway", 2, gate=f"{tmp_path}/go"))
    conductor.wait_until(lambda: "halfway-2" in runs(tmp_path), 20, "sheet 2 to start")
    conductor.kill(signal.SIGKILL)
    conductor.kill_running_attempts()
    os.truncate(conductor.database, 0)  # its -wal file lost too: nothing of the jobs is left
    for suffix in ("-wal", "-shm"):
        Path(f"{conductor.database}{suffix}").unlink(missing_ok=True)

    refused = podium(conductor.env, "start")
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert f"the database {conductor.database} knows no job, but " in refused.stderr
    assert "holds the folders of 2 (done, halfway)" in refused.stderr
    assert "Run 'podium doctor --repair'" in refused.stderr

    repaired = podium(conductor.env, "doctor", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "registered job done (completed): 1 of 1 sheet(s) proven completed" in repaired.stdout
    assert "registered job halfway (paused): 1 of 2 sheet(s) proven completed" in repaired.stdout
    aside = list(conductor.home.glob("podium.db.damaged-*"))
    assert len(aside) == 1  # moved aside, never deleted

    conductor.start()
    assert conductor.status(done)["status"] == "completed"
    assert conductor.status(halfway)["status"] == "paused"
    assert "halfway" in podium(conductor.env, "status").stdout
    (tmp_path / "go").touch()
    assert podium(conductor.env, "resume", halfway).returncode == 0
    conductor.wait_for_job(halfway, "completed")
    assert runs(tmp_path) == ["done-1", "halfway-1", "halfway-2", "halfway-2"]


def test_a_garbled_database_is_refused_and_restored_from_its_newest_backup(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    conductor.start()
    done = conductor.submit(score(tmp_path, "done", 1))
    conductor.wait_for_job(done, "completed")
    conductor.kill(signal.SIGTERM)
    backup = take_backup(conductor.database, conductor.home / "backups", 2e9)
    with conductor.database.open("r+b") as db:
        db.write(b"garbage!" * 64)

    refused = podium(conductor.env, "start")
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert f"the database {conductor.database} is damaged (" in refused.stderr
    assert f"the newest backups:\n    {backup} (taken 2033-05-18 03:33:20 UTC)" in refused.stderr

    repaired = podium(conductor.env, "doctor", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert f"restored {backup} (taken 2033-05-18 03:33:20 UTC)" in repaired.stdout
    conductor.start()
    assert conductor.status(done)["status"] == "completed"
    refused_while_running = podium(conductor.env, "doctor", "--repair")
    assert refused_while_running.returncode == 2
    assert "a repair needs it stopped: 'podium stop'" in refused_while_running.stderr


def test_garbage_in_the_wal_after_a_crash_never_starts_an_empty_registry(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    conductor.start()
    done = conductor.submit(score(tmp_path, "done", 1))
    conductor.wait_for_job(done, "completed")
    conductor.kill(signal.SIGKILL)
    wal = Path(f"{conductor.database}-wal")
    size = wal.stat().st_size if wal.exists() else 0
    wal.write_bytes(os.urandom(max(size, 4096)))
    (conductor.home / "jobs" / "stray").mkdir()  # a folder no job of the database owns

    started = podium(conductor.env, "start")
    if started.returncode == 0:  # the job had been checkpointed into the database
        assert conductor.status(done)["status"] == "completed"
        conductor.wait_until(
            lambda: "1 job folder(s) in " in conductor.log, 20, "the stray folder in the log"
        )
        assert "are not in the database (stray)" in conductor.log
    else:  # it was only in the WAL: the start says so, it does not forget it
        assert "knows no job, but " in started.stderr
        assert "holds the folders of 2 (done, stray)" in started.stderr


def stored(path: Path, job_id: str) -> SqliteStore:
    store = SqliteStore(path)
    record = JobRecord(JobId(job_id), "plan", "/s/a.yaml", "/w", JobStatus.QUEUED, 1.0, 1)
    store.commit([Persist(jobs=(record,), specs=(JobSpec(record.job_id, make_plan(), ""),))])
    return store


def test_backups_are_private_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    with contextlib.closing(stored(tmp_path / "podium.db", "a")):
        folder = tmp_path / "backups"
        for day in range(KEEP + 2):
            take_backup(tmp_path / "podium.db", folder, 1e9 + day * 86400)
    kept = backups(folder)
    assert len(kept) == KEEP
    assert [b.taken_at for b in kept] == [1e9 + d * 86400 for d in range(KEEP + 1, 1, -1)]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(b.path.stat().st_mode) == 0o600 for b in kept)
    assert problem_of(kept[0].path) is None
    with contextlib.closing(sqlite3.connect(kept[0].path)) as db:
        assert db.execute("SELECT job_id FROM jobs").fetchall() == [("a",)]


def test_a_backup_cut_short_by_a_crash_is_removed_by_the_next_one(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / "podium-20010909T014640Z-000.db.partial"
    stale.write_bytes(b"\0" * 4096)  # what a crash in the middle of a copy leaves
    with contextlib.closing(stored(tmp_path / "podium.db", "a")):
        take_backup(tmp_path / "podium.db", folder, 1e9 + 86400)
    assert not stale.exists()
    assert len(backups(folder)) == 1


def test_a_checkpointed_store_loses_nothing_with_its_wal(tmp_path: Path) -> None:
    store = stored(tmp_path / "podium.db", "a")
    try:
        Upkeep(store, tmp_path / "backups").checkpoint()
        shutil.copyfile(tmp_path / "podium.db", tmp_path / "alone.db")  # without the -wal
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(tmp_path / "alone.db")) as db:
        assert db.execute("SELECT job_id FROM jobs").fetchall() == [("a",)]


def test_a_database_cut_short_is_found_by_its_header(tmp_path: Path) -> None:
    database = tmp_path / "podium.db"
    with contextlib.closing(stored(database, "a")):
        pass
    whole = database.stat().st_size
    os.truncate(database, whole // 2)
    with pytest.raises(StateDamaged) as found:
        check_readable(database, tmp_path / "backups")
    assert str(found.value).startswith(
        f"the database {database} is damaged (it is cut short: {whole // 2} bytes of the "
        f"{whole} it says it holds). The conductor does not start on it"
    )
    assert str(found.value).endswith(f"; there is no backup in {tmp_path / 'backups'}")
