"""Reading what a test's processes write."""

from pathlib import Path


def written(path: Path) -> bool:
    """The file holds a whole line (what `echo` writes, newline last): a file exists as soon
    as the shell opens it for `>`, before `echo` has written to it."""
    return path.exists() and path.read_text().endswith("\n")
