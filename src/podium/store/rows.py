"""The store's tables as records: one codec per table of records, and the rows that carry a
process beside their record (an attempt, a hook)."""

import json
from collections.abc import Sequence
from typing import Any

from podium.domain.gates import GateRecord
from podium.domain.records import (
    AttemptRecord,
    Carried,
    HookOutcome,
    HookRecord,
    InFlightAttempt,
    InFlightHook,
    JobRecord,
    ProcessInfo,
    SheetRecord,
)
from podium.store.codec import RowCodec

JOBS = RowCodec(JobRecord)
SHEETS = RowCodec(SheetRecord, json_fields=("failed_checks",))
ATTEMPTS = RowCodec(AttemptRecord, json_fields=("validations",))
HOOKS = RowCodec(HookRecord)
GATES = RowCodec(GateRecord)


def carried(environment: Carried | None) -> str | None:
    return None if environment is None else json.dumps(dict(environment))


def carried_from(text: str) -> Carried:
    data = json.loads(text)
    return tuple((str(k), str(v)) for k, v in data.items())


def attempt_row(row: Sequence[Any]) -> InFlightAttempt:
    """An attempt's columns, then its pid, pgid and start ticks."""
    width = len(ATTEMPTS.columns)
    record = ATTEMPTS.record(row[:width])
    pid, pgid, ticks = row[width:]
    process = None if pid is None else ProcessInfo(int(pid), int(pgid), int(ticks))
    return InFlightAttempt(record, process)


def hook_row(row: Sequence[Any]) -> InFlightHook:
    """A hook's columns, then its pid, pgid and start ticks; its process while it runs."""
    record = HOOKS.record(row[: len(HOOKS.columns)])
    pid, pgid, ticks = row[len(HOOKS.columns) :]
    running = record.outcome is HookOutcome.RUNNING and pid is not None
    process = ProcessInfo(int(pid), int(pgid), int(ticks)) if running else None
    return InFlightHook(record, process)
