"""The text of `podium top`'s panes besides the rows: the header (the conductor, its load,
the jobs and sheets by state, rate-limit windows), the selected sheet's detail and the
timeline. Pure: given the model, what was sampled and `now`, lines of text."""

from __future__ import annotations

from podium.cli.executor_view import executor_line, node_line
from podium.cli.output import duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections import Counter

    from podium.cli.top.model import Attempt, Job, TopModel
    from podium.cli.top.view import Processes
    from podium.ipc.schema import ConductorInfo

OUTPUT_TAIL = 8
"""Lines of the selected sheet's output in its detail."""

NODE_LINES = 6
"""Nodes of a Ray cluster listed in the header; `podium conductor-status` lists them all."""


def header(
    model: TopModel,
    conductor: ConductorInfo | None,
    processes: Processes,
    now: float,
    trouble: str | None = None,
) -> list[str]:
    """Four lines: the conductor; its load and its attempts'; jobs and sheets by state;
    the rate-limit windows open. Then where the attempts run (once the conductor said), and on
    a Ray cluster a line per node."""
    if conductor is None:
        first = f"conductor: {trouble or 'not reached yet'}"
    else:
        first = (
            f"conductor {conductor['version']} up {duration(conductor['uptime_seconds'])} "
            f"(pid {conductor['pid']}, {conductor['state']})"
        )
        if trouble:
            first += f" · {trouble}"
    pressure = model.pressure
    if pressure.level != "none" or pressure.reason:
        first += f" · pressure {pressure.level}: {pressure.reason}"
    else:
        first += f" · pressure {pressure.level}"
    lines = [first, _load(processes), _states(model), _windows(model, now)]
    return lines + _executor(conductor)


def _executor(conductor: ConductorInfo | None) -> list[str]:
    executor = None if conductor is None else conductor.get("executor")
    if executor is None:
        return []
    nodes = executor["nodes"]
    lines = [f"executor: {executor_line(executor)}"]
    lines += [f"  node {node_line(node)}" for node in nodes[:NODE_LINES]]
    if len(nodes) > NODE_LINES:
        lines.append(f"  … {len(nodes) - NODE_LINES} more node(s): podium conductor-status")
    return lines


def _load(processes: Processes) -> str:
    sampled = processes.sampled
    if sampled is None:
        return "load: not measured yet"
    own = sampled["conductor"]
    rows = sampled["processes"]
    cpu = sum(p["cpu_percent"] or 0.0 for p in rows)
    memory = sum(p["memory_mb"] for p in rows)
    return (
        f"conductor {own['memory_mb']:.0f} MB {(own['cpu_percent'] or 0.0):.0f}% CPU · "
        f"attempts {len(rows)} process(es) {memory:.0f} MB {cpu:.0f}% CPU"
    )


def _states(model: TopModel) -> str:
    line = f"jobs: {_counted(model.job_counts())} · sheets: {_counted(model.sheet_counts())}"
    waiting = len(model.approvals)
    if waiting:
        line += f" · {waiting} approval(s) waiting (A: the oldest; a approve, d reject, S skip)"
    return line


def _counted(counts: Counter[str]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


def _windows(model: TopModel, now: float) -> str:
    if not model.rate_limits:
        return "rate limits: none"
    parts = []
    for window in sorted(model.rate_limits.values(), key=lambda w: w.until):
        name = window.instrument if window.model is None else f"{window.instrument}/{window.model}"
        parts.append(f"{name} {duration(max(window.until - now, 0.0))} left")
    return "rate limits: " + ", ".join(parts)


QUESTION_LINES = 4
"""The lines of a question's context the detail pane shows."""


def detail(model: TopModel, job_id: str | None, sheet: int | None, now: float) -> list[str]:
    """The selected job, or the selected sheet: its attempts, the last one's checks, the
    tail of its output."""
    job = model.jobs.get(job_id) if job_id else None
    if job is None:
        return ["select a job (j/k, arrows); Enter shows its sheets"]
    if sheet is None:
        return _job_detail(job)
    found = model.sheets.get(job.job_id, {}).get(sheet)
    if found is None:
        return [f"job {job.job_id} sheet {sheet}: not known yet"]
    lines = [f"job {job.job_id} sheet {sheet}: {found.status}, {found.attempts} attempt(s)"]
    lines += _question(model, job.job_id, sheet, now)
    if found.wait:
        due = f" (again in {duration(max(found.due - now, 0.0))})" if found.due else ""
        lines.append(f"waiting for {found.wait}{due}")
    if found.error:
        lines.append(f"error: {found.error}")
    attempts = model.attempts_of(job.job_id, sheet)
    lines += [_attempt_line(a, now) for a in attempts]
    if attempts and attempts[-1].checks:
        lines.append(f"checks of attempt {attempts[-1].attempt}:")
        lines += [
            f"  {'ok ' if c.passed else 'NO '}{c.description}: expected {c.expected}, "
            f"found {c.found}"
            for c in attempts[-1].checks
        ]
    output = model.output_of(job.job_id, sheet)[-OUTPUT_TAIL:]
    lines.append("output:" if output else "output: none yet")
    lines += [f"  {line}" for line in output]
    return lines


def _question(model: TopModel, job_id: str, sheet: int, now: float) -> list[str]:
    """The question the sheet waits on a person for, with its context and the keys."""
    asked = model.approvals.get((job_id, sheet))
    if asked is None:
        return []
    lines = [f"waits for a person ({asked['name']}): {asked['message']}"]
    if asked["deadline"] is not None:
        left = duration(max(asked["deadline"] - now, 0.0))
        lines[0] += f" · {asked['on_timeout']} in {left}"
    lines += [f"  {line}" for line in asked["context"].splitlines()[:QUESTION_LINES]]
    if asked.get("changes"):
        lines.append(f"  {asked['changes']}")
    lines.append("a approve · d reject · S skip (or: " + asked["command"] + ")")
    return lines


def _job_detail(job: Job) -> list[str]:
    lines = [
        f"job {job.job_id} ({job.name}): {job.status}, "
        f"{job.completed_sheets}/{job.total_sheets} sheet(s), cost ${job.cost:.2f}",
        f"workspace: {job.workspace or '-'}",
    ]
    if job.detail:
        lines.append(f"detail: {job.detail}")
    if job.error:
        lines.append(f"error: {job.error}")
    return lines


def _attempt_line(attempt: Attempt, now: float) -> str:
    start = attempt.started_at
    end = attempt.ended_at or now
    took = duration(max(end - start, 0.0)) if start else "-"
    parts = [f"  attempt {attempt.attempt}: {attempt.outcome}", took]
    if attempt.instrument:
        parts.append(" ".join(p for p in (attempt.instrument, attempt.model) if p))
    if attempt.exit_code is not None:
        parts.append(f"exit {attempt.exit_code}")
    if attempt.error_code:
        parts.append(attempt.error_code)
    if attempt.input_tokens is not None or attempt.output_tokens is not None:
        parts.append(f"tokens {attempt.input_tokens or 0}/{attempt.output_tokens or 0}")
    if attempt.cost:
        parts.append(f"${attempt.cost:.2f}")
    return ", ".join(parts)


def timeline(model: TopModel, now: float, count: int) -> list[str]:
    """The latest `count` events, newest last, each with how long ago it was."""
    moments = list(model.timeline)[-count:] if count > 0 else []
    return [
        f"{duration(max(now - m.at, 0.0)):>5} {m.job_id or 'conductor'}: {m.text}" for m in moments
    ]
