"""What `podium top` shows, decided from the model: the rows of the main view (jobs, the
sheets of expanded jobs, the processes of their running attempts), in the order and with the
filter asked for. Pure: the screen and the plain renderer draw these rows, nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from podium.cli.output import duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from podium.cli.top.model import Job, Sheet, TopModel
    from podium.ipc.schema import ProcessesResult, ProcessRow

COLUMNS = ("JOB / SHEET / PID", "STATUS", "DONE", "INSTRUMENT", "CPU", "MEM", "AGE", "COST")
WIDTHS = (24, 15, 9, 18, 6, 8, 7, 7)
"""Each column's width at 80 columns and more (the first one takes what is left over)."""
SORTS = ("id", "status", "progress", "cost", "age")
"""What `s` cycles through: the order of the jobs."""
_STATUS_ORDER = {
    s: i
    for i, s in enumerate(
        ("running", "paused_at_chain", "paused", "queued", "failed", "cancelled", "completed")
    )
}


@dataclass(frozen=True, slots=True)
class Options:
    """How the user asked to see the jobs."""

    sort: str = "id"
    filter: str = ""
    """Only jobs whose id, name or status holds this text."""
    expanded: frozenset[str] = frozenset()
    """Jobs whose sheets are shown."""
    follow: str | None = None
    """One job alone, its sheets shown."""

    def next_sort(self) -> Options:
        return replace(self, sort=SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])

    def toggled(self, job_id: str) -> Options:
        return replace(self, expanded=self.expanded ^ {job_id})

    def filtered(self, text: str) -> Options:
        return replace(self, filter=text.strip())

    def following(self, job_id: str | None) -> Options:
        """Follow `job_id`, or stop following when it is the one followed already."""
        return replace(self, follow=None if job_id == self.follow else job_id)

    def shows_sheets(self, job_id: str) -> bool:
        return job_id in self.expanded or job_id == self.follow


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the main view. `key` names it for as long as it exists."""

    key: str
    kind: str
    """job, sheet or process."""
    job_id: str
    sheet: int | None
    status: str
    cells: tuple[str, ...]


@dataclass(slots=True)
class Processes:
    """The conductor's `daemon.processes`, by job and by sheet."""

    sampled: ProcessesResult | None = None
    by_job: dict[str, list[ProcessRow]] = field(default_factory=dict)
    by_sheet: dict[tuple[str, int], list[ProcessRow]] = field(default_factory=dict)

    @classmethod
    def of(cls, sampled: ProcessesResult | None) -> Processes:
        found = cls(sampled)
        for row in sampled["processes"] if sampled else ():
            found.by_job.setdefault(row["job_id"], []).append(row)
            found.by_sheet.setdefault((row["job_id"], row["sheet"]), []).append(row)
        return found


def visible_jobs(model: TopModel, options: Options) -> list[Job]:
    """The jobs the view shows, in its order."""
    if options.follow is not None and options.follow in model.jobs:
        return [model.jobs[options.follow]]
    needle = options.filter.lower()
    jobs = [
        j
        for j in model.jobs.values()
        if not needle or needle in f"{j.job_id} {j.name} {j.status}".lower()
    ]
    return sorted(jobs, key=_sort_key(options.sort))


def _sort_key(sort: str) -> Callable[[Job], tuple[Any, ...] | str]:
    if sort == "status":
        return lambda j: (_STATUS_ORDER.get(j.status, 99), j.job_id)
    if sort == "progress":
        return lambda j: (j.completed_sheets / max(j.total_sheets, 1), j.job_id)
    if sort == "cost":
        return lambda j: (-j.cost, j.job_id)
    if sort == "age":
        return lambda j: (-j.submitted_at, j.job_id)
    return lambda j: j.job_id


def rows(model: TopModel, options: Options, processes: Processes, now: float) -> list[Row]:
    """Every row of the main view, top to bottom."""
    found: list[Row] = []
    for job in visible_jobs(model, options):
        found.append(job_row(job, processes, now))
        if options.shows_sheets(job.job_id):
            found.extend(sheet_rows(model, job.job_id, processes, now))
    return found


def sheet_rows(model: TopModel, job_id: str, processes: Processes, now: float) -> list[Row]:
    """A job's sheets, each followed by its running attempt's processes."""
    found: list[Row] = []
    for num in sorted(model.sheets.get(job_id, {})):
        sheet = model.sheets[job_id][num]
        found.append(sheet_row(job_id, sheet, processes, now))
        tree = processes.by_sheet.get((job_id, num), [])
        found.extend(
            process_row(p, now, depth) for p, depth in zip(tree, depths(tree), strict=True)
        )
    return found


def depths(tree: list[ProcessRow]) -> list[int]:
    """How deep each process sits in its attempt's tree (listed parents first): 0 for the
    one whose parent is not in it."""
    found: dict[int, int] = {}
    for row in tree:
        found[row["pid"]] = found[row["ppid"]] + 1 if row["ppid"] in found else 0
    return [found[row["pid"]] for row in tree]


def job_key(job_id: str) -> str:
    return f"j:{job_id}"


def sheet_key(job_id: str, num: int) -> str:
    return f"s:{job_id}:{num}"


def job_row(job: Job, processes: Processes, now: float) -> Row:
    procs = processes.by_job.get(job.job_id, ())
    start = job.started_at
    age = duration((job.finished_at or now) - start) if start else "-"
    cells = (
        job.job_id,
        job.status,
        f"{job.completed_sheets}/{job.total_sheets}",
        "",
        *_usage(procs),
        age,
        _cost(job.cost),
    )
    return Row(job_key(job.job_id), "job", job.job_id, None, job.status, cells)


def sheet_row(job_id: str, sheet: Sheet, processes: Processes, now: float) -> Row:
    procs = processes.by_sheet.get((job_id, sheet.num), ())
    instrument = sheet.instrument or ""
    if sheet.model:
        instrument = f"{instrument} {sheet.model}".strip()
    status = sheet.status if sheet.wait is None else f"{sheet.status}:{sheet.wait}"
    cells = (
        f"  sheet {sheet.num}",
        status,
        f"try {sheet.attempts}",
        instrument,
        *_usage(procs),
        duration(max(now - sheet.updated_at, 0.0)) if sheet.updated_at else "-",
        _cost(sheet.cost),
    )
    return Row(sheet_key(job_id, sheet.num), "sheet", job_id, sheet.num, sheet.status, cells)


def process_row(process: ProcessRow, now: float, depth: int = 0) -> Row:
    model = process["model"] or ""
    cells = (
        f"    {'  ' * depth}{process['pid']} {process['command']}",
        "process",
        f"ppid {process['ppid']}",
        f"{process['instrument'] or ''} {model}".strip(),
        _percent(process["cpu_percent"]),
        f"{process['memory_mb']:.0f}M",
        duration(max(now - process["started_at"], 0.0)),
        "",
    )
    key = f"p:{process['job_id']}:{process['sheet']}:{process['pid']}"
    return Row(key, "process", process["job_id"], process["sheet"], "running", cells)


def _usage(procs: Iterable[ProcessRow]) -> tuple[str, str]:
    listed = list(procs)
    if not listed:
        return "", ""
    cpu = sum(p["cpu_percent"] or 0.0 for p in listed)
    memory = sum(p["memory_mb"] for p in listed)
    return f"{cpu:.0f}%", f"{memory:.0f}M"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _cost(cost: float) -> str:
    return f"${cost:.2f}" if cost else ""
