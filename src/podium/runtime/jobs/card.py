"""Each job's card in its folder (`jobs/<job>/job.json`): what the job was asked to do, as it
was committed — its id, name, score, workspace, submission time and frozen score text. The
database is the record; the card is what lets `podium doctor --repair` register a job again
when the database was lost. Written in a thread, never in the engine loop; a card that cannot
be written is logged and never affects the job."""

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from podium.domain.commands import Persist
from podium.domain.records import JobRecord, JobSpec
from podium.runtime.conductor_log import job_fields
from podium.runtime.layout import Layout

log = logging.getLogger(__name__)

CARD_FILE = "job.json"


class JobCards:
    """An engine-loop observer that writes the card of each job accepted or modified."""

    def __init__(self, layout: Layout, tasks: asyncio.TaskGroup) -> None:
        self._layout = layout
        self._tasks = tasks
        self._cards: list[tuple[Path, str]] = []
        self._writer: asyncio.Task[None] | None = None

    def committed(self, batch: Sequence[Persist]) -> None:
        for persist in batch:
            records = {j.job_id: j for j in persist.jobs}
            for spec in persist.specs:
                record = records.get(spec.job_id)
                if record is not None:
                    self._cards.append(self._card(record, spec))
        if self._cards and (self._writer is None or self._writer.done()):
            self._writer = self._tasks.create_task(self._write(), name="job cards")

    def _card(self, record: JobRecord, spec: JobSpec) -> tuple[Path, str]:
        card = {
            "job_id": record.job_id,
            "name": record.name,
            "score_path": record.score_path,
            "workspace": record.workspace,
            "submitted_at": record.submitted_at,
            "chain_depth": record.chain_depth,
            "total_sheets": record.total_sheets,
            "snapshot": spec.snapshot,
        }
        return self._layout.jobs_dir / record.job_id / CARD_FILE, json.dumps(card)

    async def _write(self) -> None:
        while self._cards:
            cards, self._cards = self._cards, []
            await asyncio.to_thread(_write_cards, cards)


def _write_cards(cards: list[tuple[Path, str]]) -> None:
    for path, text in cards:
        partial = path.with_name(path.name + ".partial")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            partial.replace(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            job = path.parent.name
            log.warning(
                "job %s: cannot write its card %s: %s", job, path, exc, extra=job_fields(job)
            )
