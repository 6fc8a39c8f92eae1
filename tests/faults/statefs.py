"""File systems for the state folder that tests can fill up or turn read-only: a small tmpfs,
or a small ext4 image on a loop device (whose errors turn it read-only, as a failing disk
does). Mounting needs root: without it the tests that need one are skipped, saying why."""

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)


def _mount_or_skip(*argv: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a file system for the state folder needs root")
    done = _run("mount", *argv)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a file system here: {done.stderr.strip()}")


def _unmount(where: Path) -> None:
    if _run("umount", str(where)).returncode != 0:
        _run("umount", "-l", str(where))  # something still holds it: detach it anyway


@contextlib.contextmanager
def small_tmpfs(where: Path, size_mb: int) -> Iterator[Path]:
    """A private tmpfs of `size_mb` at `where`, unmounted afterwards whatever happened."""
    where.mkdir(parents=True, exist_ok=True)
    _mount_or_skip("-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(where))
    try:
        yield where
    finally:
        _unmount(where)


def make_ext4(image: Path, size_mb: int) -> Path:
    """An image file holding an empty ext4 file system of `size_mb`."""
    with image.open("wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    made = _run("mkfs.ext4", "-q", "-F", str(image))
    if made.returncode != 0:
        pytest.skip(f"cannot make an ext4 file system here: {made.stderr.strip()}")
    return image


@contextlib.contextmanager
def mounted_ext4(where: Path, image: Path) -> Iterator[Path]:
    """The ext4 in `image`, checked as a boot would (fsck), mounted private at `where` (on a
    loop device) to turn read-only at its first error (`fail_ext4`), and unmounted
    afterwards whatever happened."""
    where.mkdir(parents=True, exist_ok=True)
    _run("e2fsck", "-p", "-f", str(image))
    _mount_or_skip("-o", "loop,errors=remount-ro", str(image), str(where))
    try:
        where.chmod(0o700)
        yield where
    finally:
        _unmount(where)


def fail_ext4(where: Path) -> None:
    """Make the ext4 at `where` report an error, which turns it read-only at once (as the
    kernel does when a disk fails under a running program)."""
    device = _run("findmnt", "-n", "-o", "SOURCE", str(where)).stdout.strip()
    trigger = Path("/sys/fs/ext4") / Path(device).name / "trigger_fs_error"
    if not trigger.exists():
        pytest.skip(f"this kernel cannot fail an ext4 on purpose (no {trigger})")
    trigger.write_text("a test turns the state folder read-only\n")


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its file system is full; returns the file."""
    filler = folder / "filler"
    chunk = b"\0" * (256 * 1024)
    with filler.open("wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    for size in (64 * 1024, 4096, 1):  # the last crumbs too
        with contextlib.suppress(OSError), filler.open("ab", buffering=0) as f:
            while True:
                f.write(b"\0" * size)
    return filler
