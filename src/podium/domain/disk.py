"""Room for the conductor's own state: when the state folder is nearly full, read-only, or
refused a write, no attempt and no queued job starts (the "disk" pressure level) until it
has room again, and the reason says what was found and what lets dispatch resume.

The conductor keeps a reserve file in the state folder. It is given up the moment a write
fails, so that the write waiting to be committed, a clean stop and the next recovery still
have room; while it is given up, the free space counted is what is left once it is back, so
that giving it up never looks like the disk recovering.
"""

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DiskRule:
    min_free_bytes: int
    """Below this much free space, dispatch stops."""
    reserve_bytes: int
    """The size of the reserve file."""


@dataclass(frozen=True, slots=True)
class DiskSample:
    """What the file system of the state folder says, and what the conductor saw of it."""

    folder: str
    free_bytes: int
    read_only: bool
    reserve_held: bool
    """The reserve file is in place (not given up, or made again)."""
    failed_write: str | None = None
    """The latest write that failed since the reserve was given up, in words."""


def disk_trouble(sample: DiskSample, rule: DiskRule) -> str | None:
    """Why the state folder stops dispatch, with what lets it resume; None when it does not."""
    folder = sample.folder
    if sample.read_only:
        return f"the state folder {folder} is read-only; dispatch resumes once it is writable"
    needed = rule.min_free_bytes + (0 if sample.reserve_held else rule.reserve_bytes)
    if sample.free_bytes < needed:
        return (
            f"the state folder {folder} has {size(sample.free_bytes)} free; dispatch resumes "
            f"when {size(needed)} are free"
        )
    if sample.failed_write is not None and not sample.reserve_held:
        return (
            f"the state folder {folder} could not be written ({sample.failed_write}); "
            "dispatch resumes once it can"
        )
    return None


def size(count: int) -> str:
    """A byte count in whole MB (or GB past 10 GB), as people read free space."""
    if count >= 10 * 1024 * MB:
        return f"{count / (1024 * MB):.0f} GB"
    return f"{count // MB} MB"
