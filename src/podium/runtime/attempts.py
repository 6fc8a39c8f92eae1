"""Running attempts: start the process, enforce its timeout, report how it ended."""

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from podium.domain.commands import Launch
from podium.domain.errors import UserError
from podium.domain.events import AttemptExited, AttemptNotLaunched, Event
from podium.domain.ids import JobId, SheetNum
from podium.runtime.catalog import JobCatalog
from podium.runtime.file_checks import take_snapshot
from podium.runtime.layout import Layout
from podium.runtime.ports import Store
from podium.runtime.process import (
    Child,
    exit_status,
    group_exists,
    marked_env,
    spawn,
    stop_group,
)

log = logging.getLogger(__name__)

TAIL_BYTES = 4096

AttemptKey = tuple[JobId, SheetNum, int]


class AttemptFiles:
    """The files of one attempt."""

    def __init__(self, layout: Layout, cmd: Launch) -> None:
        self.folder = layout.sheet_dir(cmd.job_id, cmd.sheet)
        self.prompt = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "prompt")
        self.stdout = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "stdout.log")
        self.stderr = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "stderr.log")
        self.snapshot = layout.attempt_file(cmd.job_id, cmd.sheet, cmd.attempt, "snapshot.json")

    def output_tail(self) -> str:
        """The end of stderr, or of stdout when stderr is empty."""
        for path in (self.stderr, self.stdout):
            text = read_tail(path)
            if text.strip():
                return text
        return ""


class AttemptRunner:
    """Starts each `Launch` as a process in its own session and posts `AttemptExited`."""

    def __init__(
        self,
        *,
        catalog: JobCatalog,
        store: Store,
        layout: Layout,
        post: Callable[[Event], None],
        tasks: asyncio.TaskGroup,
        kill_grace_seconds: float,
    ) -> None:
        self._catalog = catalog
        self._store = store
        self._layout = layout
        self._post = post
        self._tasks = tasks
        self._grace = kill_grace_seconds
        self._running: dict[AttemptKey, Child] = {}

    def launch(self, cmd: Launch) -> None:
        files = AttemptFiles(self._layout, cmd)
        try:
            files.folder.mkdir(parents=True, exist_ok=True)
            job = self._catalog.get(cmd.job_id)
            work = job.work(cmd.sheet, files.prompt)
            files.prompt.write_text(work.prompt, encoding="utf-8")
            take_snapshot(job.validations(cmd.sheet), files.snapshot)
            cwd = Path(work.cwd)
            if not cwd.is_dir():
                cwd.mkdir(parents=True)
            marker = self._layout.marker(cmd.job_id, cmd.sheet, cmd.attempt)
            child = spawn(
                work.argv, cwd=cwd, stdout=files.stdout, stderr=files.stderr, env=marked_env(marker)
            )
        except (OSError, UserError) as exc:
            log.warning(
                "job %s sheet %s attempt %s could not start: %s",
                cmd.job_id,
                cmd.sheet,
                cmd.attempt,
                exc,
            )
            self._post(AttemptNotLaunched(cmd.job_id, cmd.sheet, cmd.attempt, str(exc)))
            return
        self._store.record_process(cmd.job_id, cmd.sheet, cmd.attempt, child.info)
        key = (cmd.job_id, cmd.sheet, cmd.attempt)
        self._running[key] = child
        self._tasks.create_task(
            self._watch(key, cmd.timeout_seconds, child, files),
            name=f"attempt {cmd.job_id}/{cmd.sheet}/{cmd.attempt}",
        )

    async def _watch(
        self, key: AttemptKey, timeout: float, child: Child, files: AttemptFiles
    ) -> None:
        timed_out = False
        try:
            code = await asyncio.wait_for(child.wait(), timeout)
        except TimeoutError:
            timed_out = True
            log.info(
                "attempt %s/%s/%s timed out after %gs; stopping its process group", *key, timeout
            )
            await stop_group(child.info.pgid, self._grace, leader=child)
            code = await child.wait()
        if group_exists(child.info.pgid):
            # No process of an attempt may outlive it (a sheet that starts a service for later
            # sheets must detach it with setsid).
            log.warning("attempt %s/%s/%s left processes behind; stopping them", *key)
            await stop_group(child.info.pgid, min(self._grace, 2.0))
        del self._running[key]
        status = exit_status(
            code, timed_out=timed_out, timeout_seconds=timeout if timed_out else None
        )
        tail = files.output_tail() if code != 0 or timed_out else ""
        self._post(AttemptExited(*key, status, tail))

    async def stop_all(self) -> None:
        """Stop every running attempt's process group (at shutdown)."""
        children = list(self._running.values())
        if children:
            log.info("stopping %d running attempt(s)", len(children))
        await asyncio.gather(*(stop_group(c.info.pgid, self._grace, leader=c) for c in children))


def read_tail(path: Path, limit: int = TAIL_BYTES) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
