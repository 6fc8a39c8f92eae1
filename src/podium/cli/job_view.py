"""What `podium status JOB` shows: how far the job got, its sheets by movement and voice
(`podium.cli.job_sheets`), what it waits for, what went wrong lately, and what to do next.

Pure: everything is rendered from one `job.status` answer and the time `now`, so that a test
can build the answer by hand.
"""

from __future__ import annotations

from podium.cli.attempt_view import feedback_text
from podium.cli.job_sheets import (
    DETAIL_WIDTH,
    FINISHED,
    bar,
    clip,
    sheet_table,
    short,
    summary,
    until,
)
from podium.cli.output import duration, paint, status_text, when

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from podium.cli.job_sheets import Sheet
    from podium.ipc.schema import (
        CheckInfo,
        HookInfo,
        JobStatusResult,
        NoteInfo,
        RateLimitInfo,
        UsageInfo,
        WorktreeInfo,
    )

COMPACT_ABOVE = 50
"""Jobs with more sheets get the summary instead of one row per sheet."""
HISTORY_SHOWN = 8
"""Notes shown under a job (`--json` has the last 50)."""
RECENT_ERRORS = 5
DETAILED_PROBLEMS = 5
"""Failed sheets whose checks and logs are spelled out."""


def render_job(
    job: JobStatusResult,
    color: bool,
    now: float,
    *,
    all_sheets: bool = False,
    commands: Collection[str] | None = None,
) -> str:
    """The whole view. `commands`: the podium commands hints may name (default: any)."""
    sheets = job["sheets"]
    compact = len(sheets) > COMPACT_ABOVE and not all_sheets
    return "\n".join(
        [
            *header(job, color, now),
            "",
            *(summary(job, color, now) if compact else sheet_table(sheets, color, now)),
            *recent_errors(sheets),
            *problems(sheets),
            *feedback(sheets),
            *hooks_block(job.get("hooks") or [], color, now),
            *history(job["history"]),
            *hints(job, commands),
        ]
    )


# ---- the header ---------------------------------------------------------------------------


def header(job: JobStatusResult, color: bool, now: float) -> list[str]:
    done, total = job["completed_sheets"], job["total_sheets"]
    share = done / total if total else 1.0
    lines = [
        f"{paint(job['job_id'], 'bold', color)}  {status_text(job['status'], color)}  "
        f"{done}/{total} sheets completed  {bar(share, 24, color)} {int(share * 100)}%"
    ]
    timing = _timing(job, now)
    if timing:
        lines.append(f"  {timing}")
    lines.append(f"  score      {job['score_path']}")
    lines.append(f"  workspace  {job['workspace']}")
    worktree = job.get("worktree")
    if worktree:
        lines.append(f"  worktree   {worktree_text(worktree)}")
    usage = usage_text(job["cost"], job.get("usage"))
    if usage:
        lines.append(f"  usage      {usage}")
    chain = chain_text(job)
    if chain:
        lines.append(f"  chain      {chain}")
    if job["detail"]:
        lines.append(f"  {paint('note', 'yellow', color)}       {job['detail']}")
    if job["error"]:
        lines.append(f"  {paint('error', 'red', color)}      {job['error']}")
    lines.extend(
        f"  {paint('waiting', 'yellow', color)}    {rate_limit_text(w, now)}"
        for w in job["rate_limits"]
    )
    return lines


def worktree_text(worktree: WorktreeInfo) -> str:
    """'/repo/.worktrees/build on branch podium/build', or once removed, the branch alone."""
    if worktree["removed"]:
        return f"removed; its work is on branch {worktree['branch']}"
    return f"{worktree['path']} on branch {worktree['branch']}"


def _timing(job: JobStatusResult, now: float) -> str:
    start = job["started_at"]
    if not start:
        return f"queued since {when(job['submitted_at'])}"
    if job["finished_at"]:
        return f"started {when(start)}, took {duration(job['finished_at'] - start)}"
    if job["status"] != "running":
        return f"started {when(start)}, {duration(now - start)} ago"
    text = f"started {when(start)}, running for {duration(now - start)}"
    left = eta(job, now)
    return text if left is None else f"{text}, ~{short(left)} left at the pace so far"


def eta(job: JobStatusResult, now: float) -> float | None:
    """Seconds until every sheet has ended, if the job keeps the pace it has had so far; None
    before any sheet has ended (there is no pace to go by yet)."""
    start: float | None = job["started_at"]
    ended = sum(1 for s in job["sheets"] if s["status"] in FINISHED)
    left = len(job["sheets"]) - ended
    if not start or not ended or not left:
        return None
    return (now - start) / ended * left


def rate_limit_text(window: RateLimitInfo, now: float) -> str:
    """'claude-code (opus): rate limited until 15:04:10 (in 3m): 429 Too Many Requests'."""
    name = window["instrument"]
    if window["model"] is not None:
        name += f" ({window['model']})"
    return f"{name}: rate limited until {until(window['until'], now)}: {window['reason']}"


def usage_text(cost: float, usage: UsageInfo | None) -> str:
    """'12,000 tokens in, 3,400 out, $0.0123 (estimated)'; empty when nothing was measured."""
    parts = []
    tokens_in = usage.get("input_tokens") if usage else None
    tokens_out = usage.get("output_tokens") if usage else None
    if tokens_in or tokens_out:
        parts.append(f"{tokens_in or 0:,} tokens in, {tokens_out or 0:,} out")
    if cost:
        estimated = usage.get("cost_estimated") if usage else False
        parts.append(f"${cost:.4f}" + (" (estimated)" if estimated else ""))
    return ", ".join(parts)


# ---- what went wrong ------------------------------------------------------------------------


def recent_errors(sheets: Sequence[Sheet]) -> list[str]:
    """The latest failed attempts, one line each: when, which sheet, which try, code, why."""
    failing = [
        s
        for s in sheets
        if s["error"] and s["attempts"] and s["status"] != "completed" and not s["blocked_by"]
    ]
    if not failing:
        return []
    lines = ["", "recent errors (latest last):"]
    for s in sorted(failing, key=lambda s: s["updated_at"])[-RECENT_ERRORS:]:
        last = s.get("last_attempt")
        code = last.get("error_code") if last else None
        what = f"[{code}] {s['error']}" if code else str(s["error"])
        lines.append(
            f"  {when(s['updated_at'])}  sheet {s['num']}  attempt "
            f"{s['attempts']}/{s['max_attempts']}  {clip(what, DETAIL_WIDTH)}"
        )
    if len(failing) > RECENT_ERRORS:
        lines.append(f"  … and {len(failing) - RECENT_ERRORS} more (--json shows all)")
    return lines


def problems(sheets: Sequence[Sheet]) -> list[str]:
    """Each failed sheet's checks (what was expected, found, how to fix it) and its logs."""
    failed = [s for s in sheets if s["error"] and s["status"] not in ("completed", "waiting")]
    failed = [s for s in failed if s["logs"] or _checks(s)]
    lines: list[str] = []
    for sheet in failed[:DETAILED_PROBLEMS]:
        attempt = sheet.get("last_attempt")
        error_code = attempt.get("error_code") if attempt else None
        code = f" [{error_code}]" if error_code else ""
        lines += ["", f"sheet {sheet['num']}{code}: {sheet['error']}"]
        lines += failed_checks(_checks(sheet))
        if sheet["logs"]:
            lines.append(f"  logs: {sheet['logs']}")
    if len(failed) > DETAILED_PROBLEMS:
        lines.append(f"… and {len(failed) - DETAILED_PROBLEMS} more failed sheets (--json)")
    return lines


def feedback(sheets: Sequence[Sheet]) -> list[str]:
    """The feedback of each sheet's latest attempt that gave some (the score's `feedback`)."""
    given = [(s["num"], s["feedback"]) for s in sheets if "feedback" in s]
    if not given:
        return []
    return ["", "feedback:", *(f"  sheet {num}  {feedback_text(value)}" for num, value in given)]


def _checks(sheet: Sheet) -> list[CheckInfo]:
    """The checks of the sheet's latest attempt (none before its first)."""
    attempt = sheet.get("last_attempt")
    return (attempt.get("checks") or []) if attempt else []


def failed_checks(checks: Sequence[CheckInfo]) -> list[str]:
    """Each check that failed: what it expected, what was found, what would fix it."""
    lines = []
    for check in checks:
        if check["passed"] or not check["checked"]:
            continue
        lines += [
            f"  ✗ {check['check']}",
            f"      expected  {check['expected']}",
            f"      found     {check['actual']}",
            f"      fix       {check['fix']}",
        ]
    unchecked = sum(1 for c in checks if not c["checked"])
    if unchecked:
        lines.append(f"  ({unchecked} later-stage check(s) not run)")
    return lines


def chain_text(job: JobStatusResult) -> str:
    """Where the job stands in a chain of run_job hooks: its depth, the job that started it
    and the jobs it started; empty for a job outside any chain."""
    parts = []
    if job["chain_depth"]:
        parent = job.get("parent")
        started = f"started by {parent}" if parent else "started by a run_job hook"
        parts.append(f"depth {job['chain_depth']} ({started})")
    children = job.get("children") or []
    if children:
        parts.append(f"started {', '.join(children)}")
    return "; ".join(parts)


# ---- hooks ----------------------------------------------------------------------------------

HOOK_MARKS = {"succeeded": ("✓", "green"), "failed": ("✗", "red"), "running": ("…", "yellow")}


def hooks_block(found: Sequence[HookInfo], color: bool, now: float) -> list[str]:
    """The job's `on_success` hooks (of its latest run): how each ended, how long it took,
    why it failed, the job it started."""
    if not found:
        return []
    lines = ["", "hooks:"]
    for hook in found:
        mark, tint = HOOK_MARKS.get(hook["outcome"], ("?", None))
        facts = [hook["outcome"]]
        if hook["exit_code"] is not None:
            facts.append(f"exit {hook['exit_code']}")
        if hook["ended_at"] is not None:
            facts.append(f"took {duration(max(0.0, hook['ended_at'] - hook['started_at']))}")
        else:
            facts.append(f"running for {duration(max(0.0, now - hook['started_at']))}")
        title = hook["label"] + (f" ({hook['description']})" if hook["description"] else "")
        lines.append(
            f"  {paint(mark, tint, color)} {hook['num']}  {clip(title, DETAIL_WIDTH)}  "
            f"{' · '.join(facts)}"
        )
        if hook["error"]:
            lines.append(f"      {paint('error', 'red', color)}  {hook['error']}")
        if hook["chained_job"]:
            lines.append(f"      started job {hook['chained_job']}")
    return lines


def history(notes: Sequence[NoteInfo]) -> list[str]:
    if not notes:
        return []
    shown = notes[-HISTORY_SHOWN:]
    return ["", "history (latest last):", *(f"  {when(n['at'])}  {n['text']}" for n in shown)]


# ---- what to do next ------------------------------------------------------------------------


def hints(job: JobStatusResult, commands: Collection[str] | None = None) -> list[str]:
    """The commands that fit the job's state, each with what it does."""
    found = [
        (command, why)
        for command, why in _hints_for(job)
        if commands is None or command.split()[1] in commands
    ]
    worktree = job.get("worktree")
    if job["status"] == "completed" and worktree and worktree["removed"]:
        found.append(
            (
                f"git -C {worktree['repo']} show --stat {worktree['branch']}",
                "what the sheets made, committed to the job's branch",
            )
        )
    elif job["status"] == "completed":
        found.append((f"ls {job['workspace']}", "what the sheets made"))
    if not found:
        return []
    width = max(len(command) for command, _ in found)
    return ["", "next:", *(f"  {command.ljust(width)}  {why}" for command, why in found)]


def _hints_for(job: JobStatusResult) -> list[tuple[str, str]]:
    job_id = job["job_id"]
    resume = f"podium resume {job_id}"
    found = []
    match job["status"]:
        case "paused":
            found.append((resume, "go on where it stopped"))
        case "paused_at_chain":
            found.append((resume, "start the next job of its chain"))
        case "failed":
            found += [
                (f"podium errors {job_id}", "every failed attempt, with its output"),
                (f"podium diagnose {job_id}", "the full report: timeline, errors, logs"),
                (resume, "run the sheets that did not complete again"),
            ]
        case "cancelled":
            found.append((resume, "run the sheets that did not complete"))
    found += [
        (f"podium approve {job_id} {s['num']}", "it waits for you (or: reject, skip)")
        for s in job["sheets"]
        if s["status"] == "awaiting_approval"
    ]
    limited = [w["instrument"] for w in job["rate_limits"]]
    limited += [s["instrument"] for s in job["sheets"] if s["wait"] == "rate_limit"]
    found += [
        (f"podium clear-rate-limits {name}", "end the wait now, if the limit is over")
        for name in dict.fromkeys(limited)
    ]
    return found
