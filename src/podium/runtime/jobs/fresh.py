"""A fresh run of a score: when the score changed since its last job completed, or `--fresh`
asks, the new job starts fresh and its workspace may be archived first (`workspace_lifecycle`).
"""

from datetime import datetime
from pathlib import Path

from podium.domain.engine import Engine
from podium.domain.errors import JobAlreadyRunning, UserError
from podium.domain.ids import JobId
from podium.domain.status import JobStatus
from podium.runtime.ports import CompiledJob, Store
from podium.runtime.worktrees.archive import archive_workspace


def changed_since(store: Store, path: Path, compiled: CompiledJob) -> JobId | None:
    """The job that last ran this score and completed, when the score has changed since: the
    new run is then a fresh one (its workspace archived, if the score says so)."""
    last = store.latest_job(str(path))
    if (
        last is None
        or last.status is not JobStatus.COMPLETED
        or last.workspace != str(compiled.workspace)
    ):
        return None
    if store.snapshot(last.job_id) == compiled.snapshot:
        return None
    return last.job_id


def archive(engine: Engine, path: Path, compiled: CompiledJob) -> Path | None:
    """Archive the workspace for a fresh run, unless a job is running this score in it. The
    caller must not await between this and its submission, so that no other submission of the
    score comes in between."""
    policy = compiled.archive_policy
    if policy is None:
        return None
    running = engine.job_running(str(path))
    if running is not None:
        raise JobAlreadyRunning(
            f"job '{running}' is already running this score ({path}); its workspace is not archived"
        )
    try:
        return archive_workspace(compiled.workspace, policy, datetime.now())
    except OSError as exc:
        raise UserError(f"cannot archive the workspace {compiled.workspace}: {exc}") from None


def fresh_note(changed: JobId | None, archived: Path | None) -> str | None:
    """The first line of a fresh job's history."""
    parts = []
    if changed is not None:
        parts.append(f"started fresh: the score changed since job {changed} completed")
    if archived is not None:
        parts.append(f"the workspace was archived to {archived}")
    if not parts:
        return None
    text = "; ".join(parts)
    return text if text.startswith("started fresh") else f"started fresh: {text}"
