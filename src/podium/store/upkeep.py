"""Keeping the database safe while the conductor runs: the WAL is checkpointed every few
seconds after commits (and emptied once the conductor is idle), so that a lost or broken
-wal file after a crash costs seconds of history at most, never every job; and a backup is
taken every day (`podium.store.backups`), in a thread."""

import asyncio
import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from podium.store.backups import EVERY_SECONDS, backups, take_backup
from podium.store.integrity import unknown_folders
from podium.store.sqlite import SqliteStore

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 5.0
"""How often the WAL is checkpointed while commits come."""

FIRST_BACKUP_SECONDS = 300.0
"""A conductor that just started spends its first minutes on recovery and new work, not on
copying the database: the first backup is looked at after this long, then every hour."""

BACKUP_MARGIN_BYTES = 256 * 2**20
"""Free space a backup leaves besides twice the database's size."""


class Upkeep:
    def __init__(
        self, store: SqliteStore, backups_dir: Path, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._backups_dir = backups_dir
        self._clock = clock
        self._checkpointed = store.commits
        self._emptied = False

    async def run(self, jobs_dir: Path | None = None) -> None:
        """Until cancelled: checkpoints, and a backup when the newest is a day old.
        With `jobs_dir`, say first which job folders the database does not know."""
        if jobs_dir is not None:
            await self.look_for_forgotten(jobs_dir)
        look_at = self._clock() + FIRST_BACKUP_SECONDS
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            self.checkpoint()
            if self._clock() >= look_at:
                look_at = self._clock() + 3600.0
                if self._backup_due():
                    await self.backup()

    def checkpoint(self) -> None:
        """On the engine's thread (the store's connection is used there): quick, and only
        when something was committed since the last one; empty the WAL at the first idle
        round."""
        commits = self._store.commits
        if commits != self._checkpointed:
            self._store.checkpoint()
            self._checkpointed, self._emptied = commits, False
        elif not self._emptied:
            self._store.checkpoint(truncate=True)
            self._emptied = True

    async def look_for_forgotten(self, jobs_dir: Path) -> None:
        try:
            unknown = await asyncio.to_thread(unknown_folders, self._store.path, jobs_dir)
        except (OSError, sqlite3.Error) as exc:
            log.warning("could not compare %s with the database: %s", jobs_dir, exc)
            return
        if unknown:
            shown = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
            log.warning(
                "%d job folder(s) in %s are not in the database (%s): left from a 'clear' "
                "that could not remove them, or forgotten by a damaged database; "
                "'podium doctor --repair' (with the conductor stopped) registers those it can",
                len(unknown),
                jobs_dir,
                shown,
            )

    async def backup(self) -> None:
        """Take a backup in a thread; not when it would leave the disk nearly full (a backup
        never takes the room the conductor needs to go on)."""
        try:
            size = self._store.path.stat().st_size
            free = shutil.disk_usage(self._store.path.parent).free
        except OSError:
            return
        if free < 2 * size + BACKUP_MARGIN_BYTES:
            log.warning(
                "no backup of the database today: %d MB free in %s, too little to copy it",
                free // 2**20,
                self._store.path.parent,
            )
            return
        try:
            path = await asyncio.to_thread(
                take_backup, self._store.path, self._backups_dir, self._clock()
            )
        except (OSError, sqlite3.Error) as exc:
            log.warning("could not back up the database into %s: %s", self._backups_dir, exc)
            return
        log.info("backed up the database to %s", path)

    def _backup_due(self) -> bool:
        newest = backups(self._backups_dir)[:1]
        return not newest or self._clock() - newest[0].taken_at >= EVERY_SECONDS
