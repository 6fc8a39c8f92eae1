"""The state folder's room, as the file system tells it, and the reserve file kept there.

`podium.domain.disk` decides what the numbers mean; this module reads them (statvfs), keeps the
reserve file (`podium.reserve`, allocated with fallocate so it really holds blocks), gives it up
when a write fails and makes it again once there is room. Nothing here raises for a full or
read-only disk: that is what it reports.
"""

import contextlib
import errno
import logging
import os
from pathlib import Path

from podium.domain.disk import MB, DiskRule, DiskSample
from podium.domain.errors import StateUnwritable, refused_write

log = logging.getLogger(__name__)

RESERVE_FILE = "podium.reserve"


def no_room(exc: BaseException) -> bool:
    """Whether `exc` says the disk refused a write (full, read-only, failing)."""
    return isinstance(exc, StateUnwritable) or refused_write(exc)


def rule_of(min_free_mb: int, reserve_mb: int) -> DiskRule:
    return DiskRule(min_free_mb * MB, reserve_mb * MB)


class StateDisk:
    """The state folder's file system and the conductor's reserve file in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.reserve = folder / RESERVE_FILE
        self._failed_write: str | None = None
        self._warned = False

    def sample(self, rule: DiskRule) -> DiskSample:
        """Read the file system (in a thread: statvfs may block on a sick disk), making the
        reserve file again when there is room for it."""
        try:
            found = os.statvfs(self.folder)
        except OSError as exc:
            return DiskSample(str(self.folder), 0, False, False, exc.strerror or str(exc))
        free = found.f_bavail * found.f_frsize
        read_only = bool(found.f_flag & os.ST_RDONLY) or self._refuses_writes()
        held = self._reserve_held(rule)
        if not held and not read_only and free >= rule.min_free_bytes + rule.reserve_bytes:
            held = self._make_reserve(rule.reserve_bytes)
            if held:
                free = max(0, free - rule.reserve_bytes)
        return DiskSample(str(self.folder), free, read_only, held, self._failed_write)

    def failed(self, error: str) -> None:
        """A write in the state folder failed: give up the reserve, so that what must be
        written next (the batch waiting to be committed, a clean stop) has room."""
        self._failed_write = error
        try:
            self.reserve.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("could not give up the reserve file %s: %s", self.reserve, exc)
            return
        log.warning("gave up the reserve file %s to make room", self.reserve)

    def _refuses_writes(self) -> bool:
        """Whether the folder is read-only although mounted read-write: a file system the
        kernel turned read-only after an error keeps its mount flags, and `access` says
        nothing of it; opening a file for writing does (and needs no room)."""
        try:
            os.close(os.open(self.reserve, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            return exc.errno == errno.EROFS
        return False

    def _reserve_held(self, rule: DiskRule) -> bool:
        try:
            return self.reserve.stat().st_size >= rule.reserve_bytes
        except OSError:
            return False

    def _make_reserve(self, size: int) -> bool:
        """Allocate the reserve file; False, and nothing left behind, when the disk will not.
        Only a write the disk refuses (full, read-only, failing) counts as a failed write: a
        file system that cannot hold a reserve at all (no fallocate, say) goes without one,
        and dispatch goes on as long as there is room."""
        try:
            fd = os.open(self.reserve, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            self._not_made(exc)
            return False
        try:
            if size:
                os.posix_fallocate(fd, 0, size)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                self.reserve.unlink(missing_ok=True)
            self._not_made(exc)
            return False
        os.close(fd)
        self._failed_write = None
        return True

    def _not_made(self, exc: OSError) -> None:
        if refused_write(exc):
            self._failed_write = exc.strerror or str(exc)
            return
        # There is room (else no reserve is tried), which is all that a reserve made again
        # would have proven: a write that failed before is behind.
        self._failed_write = None
        if not self._warned:
            log.warning(
                "the reserve file %s cannot be made (%s): the conductor goes on without one, "
                "and needs the room it would have taken free",
                self.reserve,
                exc.strerror or exc,
            )
            self._warned = True
