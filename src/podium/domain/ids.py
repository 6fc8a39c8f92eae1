"""Typed identifiers shared by every layer."""

from typing import NewType

JobId = NewType("JobId", str)
"""One submitted run of a score: the score file's stem, de-duplicated as `name-2`, `name-3`."""

SheetNum = NewType("SheetNum", int)
"""A sheet's 1-based number within its job."""
