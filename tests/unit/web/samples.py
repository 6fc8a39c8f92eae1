"""Sheets and attempts as the conductor reports them, with only what a test cares about set."""

from collections.abc import Sequence

from podium.ipc.schema import AttemptDetailInfo, SheetInfo

T0 = 1_800_000_000.0


def sheet(
    num: int,
    depends_on: Sequence[int] = (),
    *,
    movement: int | None = None,
    voice: int | None = None,
    voice_count: int = 1,
    status: str = "pending",
    description: str | None = None,
) -> SheetInfo:
    return {
        "num": num,
        "status": status,
        "movement": num if movement is None else movement,
        "voice": voice,
        "instrument": "claude-code",
        "model": None,
        "voice_count": voice_count,
        "depends_on": list(depends_on),
        "description": description,
        "attempts": 1,
        "max_attempts": 3,
        "error": None,
        "blocked_by": None,
        "updated_at": T0,
        "due": None,
        "wait": None,
        "cost": 0.0,
        "logs": "",
        "last_attempt": None,
    }


def attempt(
    sheet: int,
    number: int,
    started_at: float,
    ended_at: float | None,
    *,
    outcome: str = "succeeded",
    error_type: str | None = None,
    error_code: str | None = None,
    instrument: str | None = "claude-code",
    model: str | None = None,
    cost: float | None = None,
    estimated: bool = False,
    tokens: tuple[int | None, int | None] = (None, None),
) -> AttemptDetailInfo:
    return {
        "sheet": sheet,
        "attempt": number,
        "outcome": outcome,
        "error_code": error_code,
        "exit_code": None,
        "instrument": instrument,
        "model": model,
        "input_tokens": tokens[0],
        "output_tokens": tokens[1],
        "cost": cost,
        "cost_estimated": estimated,
        "checks": [],
        "started_at": started_at,
        "ended_at": ended_at,
        "exited_at": ended_at,
        "signal": None,
        "error": None,
        "error_type": error_type,
        "mode": "normal",
        "stdout_tail": "",
        "stderr_tail": "",
        "logs": "",
    }
