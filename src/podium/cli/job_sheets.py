"""The sheets of a job, as `podium status` lists them: a table grouped by movement and voice,
or, for a large job, a screenful: counts per status, one line per movement, and the sheets worth
a look (running, waiting, failed) one by one."""

from __future__ import annotations

from podium.cli.output import duration, paint, status_text, table, when

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from podium.ipc.schema import JobStatusResult, SheetInfo

    Sheet = SheetInfo

DETAIL_WIDTH = 72
IN_FLIGHT = frozenset({"running", "validating"})
FINISHED = frozenset({"completed", "failed", "skipped", "cancelled"})
BAR = ("█", "░")


def bar(share: float, width: int, color: bool) -> str:
    """`██████░░░░`: the share done, in `width` cells."""
    filled = min(width, max(0, int(share * width)))
    full, empty = BAR
    done, rest = full * filled, empty * (width - filled)
    return (paint(done, "green", color) if done else "") + (
        paint(rest, "dim", color) if rest else ""
    )


def short(seconds: float) -> str:
    """'12s', '3m', '1h05m': a coarse duration for things to come."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return duration(s)


def until(at: float, now: float) -> str:
    """'15:04:10 (in 3m)'."""
    return f"{when(at)} (in {short(at - now)})"


# ---- one row per sheet ---------------------------------------------------------------------


def sheet_table(sheets: Sequence[Sheet], color: bool, now: float) -> list[str]:
    """One row per sheet; under a heading per movement when a movement holds several sheets."""
    ordered = sorted(sheets, key=lambda s: (s["movement"], s["voice"] or 0, s["num"]))
    lines = sheet_rows(ordered, color, now)
    sizes: dict[int, int] = {}
    for s in ordered:
        sizes[s["movement"]] = sizes.get(s["movement"], 0) + 1
    if all(n == 1 for n in sizes.values()):
        return lines
    grouped = [f"  {lines[0]}"]
    for i, s in enumerate(ordered):
        if i == 0 or s["movement"] != ordered[i - 1]["movement"]:
            grouped.append(movement_heading(s["movement"], ordered, color))
        grouped.append(f"  {lines[i + 1]}")
    return grouped


def sheet_rows(sheets: Sequence[Sheet], color: bool, now: float) -> list[str]:
    """The table's header line, then one line per sheet, in the given order."""
    voices = any(s["voice"] is not None for s in sheets)
    headers = ["SHEET", *(["VOICE"] if voices else []), "STATUS", "ATTEMPTS", "INSTRUMENT"]
    headers += ["TIME", "AFTER", "DETAIL"]
    plain = [_row(s, False, now, voices) for s in sheets]
    rows = [_row(s, color, now, voices) for s in sheets] if color else plain
    return table(headers, rows, plain).splitlines()


def movement_heading(movement: int, sheets: Sequence[Sheet], color: bool) -> str:
    """'movement 2 · 3 voices  ███░░░░░░░ 1/3'."""
    members = [s for s in sheets if s["movement"] == movement]
    done = sum(1 for s in members if s["status"] == "completed")
    voices = max(s.get("voice_count", 1) for s in members)
    title = f"movement {movement}" + (f" · {voices} voices" if voices > 1 else "")
    progress = bar(done / len(members), 10, color)
    return f"{paint(title, 'bold', color)}  {progress} {done}/{len(members)}"


def _row(sheet: Sheet, color: bool, now: float, voices: bool) -> list[str]:
    voice = [f"{sheet['voice']}/{sheet.get('voice_count', 1)}" if sheet["voice"] else "-"]
    deps = ",".join(str(d) for d in sheet["depends_on"]) or "-"
    return [
        str(sheet["num"]),
        *(voice if voices else []),
        status_text(sheet["status"], color),
        f"{sheet['attempts']}/{sheet['max_attempts']}",
        instrument_text(sheet),
        time_text(sheet, now),
        clip(deps, 12),
        clip(detail_text(sheet, now), DETAIL_WIDTH),
    ]


def instrument_text(sheet: Sheet) -> str:
    """'claude-code (opus)', or the bare name when it runs the instrument's default model."""
    model = sheet.get("model")
    return f"{sheet['instrument']} ({model})" if model else sheet["instrument"]


def time_text(sheet: Sheet, now: float) -> str:
    """How long the attempt in flight has run, how long the last one took, or when it ended."""
    status = sheet["status"]
    if status in IN_FLIGHT:
        return f"for {duration(max(0.0, now - sheet['updated_at']))}"
    if status not in FINISHED or not sheet["attempts"]:
        return "-"
    attempt = sheet.get("last_attempt")
    ended = attempt.get("ended_at") if attempt else None
    if attempt and attempt.get("started_at") and ended:
        return f"took {duration(ended - attempt['started_at'])}"
    return f"at {when(sheet['updated_at'])}"


def detail_text(sheet: Sheet, now: float) -> str:
    """What a waiting sheet waits for and until when, why one failed, or its description."""
    if sheet["status"] == "waiting":
        return waiting_text(sheet, now)
    if sheet["status"] in FINISHED and sheet["error"]:
        return str(sheet["error"])
    return sheet["description"] or ""


def waiting_text(sheet: Sheet, now: float) -> str:
    """'rate limited until 15:04:10 (in 3m): 429', 'retry at 15:04:10 (in 12s): exit code 1'."""
    at = until(sheet["due"], now) if sheet["due"] else "soon"
    match sheet["wait"]:
        case "rate_limit":
            text = f"rate limited until {at}"
        case "completion":
            text = f"completion attempt at {at}"
        case _:
            text = f"retry at {at}"
    return f"{text}: {sheet['error']}" if sheet["error"] else text


def clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ---- the summary of a large job ------------------------------------------------------------


STATUS_ORDER = (
    "completed",
    "running",
    "validating",
    "waiting",
    "ready",
    "pending",
    "failed",
    "skipped",
    "cancelled",
)
LISTED = ("running", "validating", "waiting", "failed")
"""The statuses whose sheets are listed one by one."""
LISTED_AT_MOST = 20


def summary(job: JobStatusResult, color: bool, now: float) -> list[str]:
    sheets = job["sheets"]
    listed = sorted(
        (s for s in sheets if s["status"] in LISTED),
        key=lambda s: (LISTED.index(s["status"]), s["num"]),
    )
    lines = [f"sheets: {counts(sheets, color)}", *movement_lines(sheets, color)]
    if listed:
        lines += ["", "running, waiting and failed sheets:"]
        lines += [f"  {line}" for line in sheet_rows(listed[:LISTED_AT_MOST], color, now)]
        if len(listed) > LISTED_AT_MOST:
            lines.append(f"  … and {len(listed) - LISTED_AT_MOST} more")
    lines.append(
        f"\n({len(sheets)} sheets in short; 'podium status {job['job_id']} --all-sheets' "
        "shows each one, --json everything)"
    )
    return lines


def counts(sheets: Sequence[Sheet], color: bool) -> str:
    """'40 completed · 3 running · 57 pending', in the order a job moves through them."""
    by_status = _count(sheets)
    return " · ".join(
        f"{by_status[status]} {status_text(status, color)}"
        for status in sorted(by_status, key=_order)
    )


def movement_lines(sheets: Sequence[Sheet], color: bool) -> list[str]:
    """'movement 2 · 10 voices  ████░░░░░░  4/10  3 running · 1 failed'."""
    movements: dict[int, list[Sheet]] = {}
    for s in sheets:
        movements.setdefault(s["movement"], []).append(s)
    columns = []
    for m in sorted(movements):
        members = movements[m]
        by_status = _count(members)
        done = by_status.pop("completed", 0)
        title = f"movement {m}" + (f" · {len(members)} voices" if _fans_out(members) else "")
        rest = " · ".join(
            f"{n} {status_text(status, color)}"
            for status, n in sorted(by_status.items(), key=lambda item: _order(item[0]))
        )
        columns.append((title, bar(done / len(members), 10, color), f"{done}/{len(members)}", rest))
    title_width = max(len(c[0]) for c in columns)
    done_width = max(len(c[2]) for c in columns)
    return [
        f"  {paint(title.ljust(title_width), 'bold', color)}  {progress}  "
        f"{done.ljust(done_width)}  {rest}".rstrip()
        for title, progress, done, rest in columns
    ]


def _count(sheets: Sequence[Sheet]) -> dict[str, int]:
    found: dict[str, int] = {}
    for s in sheets:
        found[s["status"]] = found.get(s["status"], 0) + 1
    return found


def _order(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def _fans_out(members: Sequence[Sheet]) -> bool:
    return any(s["voice"] is not None for s in members)
