"""The dashboard's pages (GET): each asks the conductor what it shows, and fills its
template. Every address uses the CLI's ids, so a link can be shared and kept."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from podium.ipc.methods import (
    APPROVALS_LIST,
    DAEMON_CONFIG,
    DAEMON_PROCESSES,
    DAEMON_STATUS,
    FLEET_LIST,
    FLEET_STATUS,
    JOB_HISTORY,
    JOB_LIST,
    JOB_LOGS,
    JOB_STATUS,
)
from podium.web import conductor_view, jobs_view, pictures
from podium.web.conductor import Conductor, NotFound
from podium.web.render import page

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import AttemptDetailInfo, JobInfo, SheetInfo

JOBS_LIMIT = 1000
"""The most jobs the jobs page lists (the newest)."""
TIMELINE_ATTEMPTS = 2000
"""The most attempts a job's timeline draws (the newest)."""
SHEET_ATTEMPTS = 50
OUTPUT_LINES = 200
PROMPT_CHARS = 20_000
COST_JOBS = 50
"""The costs page's chart and tables cover the newest jobs that spent something, this many."""


def conductor(request: Request) -> Conductor:
    found: Conductor = request.app.state.conductor
    return found


async def jobs(request: Request) -> Response:
    chosen = jobs_view.Filter.of(request.query_params)
    found = await choose(conductor(request), chosen)
    return page(
        request,
        "jobs.html",
        {
            "jobs": found.shown,
            "total": found.total,
            "counts": jobs_view.counts(found.listed, found.review),
            "tabs": jobs_view.TABS,
            "filter": chosen,
            "review": found.review,
            "actions": sorted(jobs_view.ACTIONS),
        },
    )


@dataclass(frozen=True, slots=True)
class Chosen:
    listed: list[JobInfo]
    """The newest jobs, up to `JOBS_LIMIT`."""
    total: int
    review: frozenset[str]
    """The jobs with a question open."""
    shown: list[JobInfo]
    """Those the filter keeps."""


async def choose(ask: Conductor, chosen: jobs_view.Filter) -> Chosen:
    """The jobs the jobs page shows for `chosen` (and a bulk action on it touches)."""
    listed, questions = await asyncio.gather(
        ask.ask(JOB_LIST({"all": True, "limit": JOBS_LIMIT})),
        ask.ask(APPROVALS_LIST({})),
    )
    review = frozenset(q["job_id"] for q in questions["approvals"])
    shown = [job for job in listed["jobs"] if chosen.keeps(job, review)]
    if chosen.instrument:
        shown = await _playing(ask, shown, chosen.instrument)
    return Chosen(listed["jobs"], listed["total"], review, shown)


async def _playing(ask: Conductor, jobs: list[JobInfo], instrument: str) -> list[JobInfo]:
    """The jobs one of whose sheets `instrument` plays (or names it as its model)."""
    wanted = instrument.casefold()
    statuses = await asyncio.gather(
        *(ask.ask(JOB_STATUS({"job_id": job["job_id"]})) for job in jobs),
        return_exceptions=True,
    )
    kept = []
    for job, status in zip(jobs, statuses, strict=True):
        if isinstance(status, BaseException):
            continue
        names = {s["instrument"] for s in status["sheets"]}
        names |= {s["model"] for s in status["sheets"] if s["model"]}
        if any(wanted in name.casefold() for name in names):
            kept.append(job)
    return kept


async def job(request: Request) -> Response:
    job_id = request.path_params["job"]
    ask = conductor(request)
    status, history, questions = await asyncio.gather(
        ask.ask(JOB_STATUS({"job_id": job_id})),
        ask.ask(JOB_HISTORY({"job_id": job_id, "limit": TIMELINE_ATTEMPTS, "tail_lines": 0})),
        ask.ask(APPROVALS_LIST({"job_id": job_id})),
    )
    return page(
        request,
        "job.html",
        {
            "job": status,
            "attempts_total": history["total"],
            "attempts_shown": len(history["attempts"]),
            "dag": pictures.dag(status),
            "gantt": pictures.gantt(status, history["attempts"]),
            "questions": questions["approvals"],
            "live_job": job_id,
        },
    )


async def sheet(request: Request) -> Response:
    job_id = request.path_params["job"]
    num = int(request.path_params["sheet"])
    ask = conductor(request)
    status, history, logs, questions = await asyncio.gather(
        ask.ask(JOB_STATUS({"job_id": job_id})),
        ask.ask(
            JOB_HISTORY({"job_id": job_id, "sheet": num, "limit": SHEET_ATTEMPTS, "tail_lines": 0})
        ),
        ask.ask(JOB_LOGS({"job_id": job_id, "sheet": num, "lines": OUTPUT_LINES})),
        ask.ask(APPROVALS_LIST({"job_id": job_id})),
    )
    found = _sheet_of(status["sheets"], job_id, num)
    latest = history["attempts"][0] if history["attempts"] else None
    return page(
        request,
        "sheet.html",
        {
            "job": status,
            "sheet": found,
            "attempts": history["attempts"],
            "attempts_total": history["total"],
            "output": logs["sheets"][0] if logs["sheets"] else None,
            "prompt": _prompt(latest),
            "question": next((q for q in questions["approvals"] if q["sheet"] == num), None),
            "live_job": job_id,
            "live_sheet": num,
        },
    )


def _sheet_of(sheets: list[SheetInfo], job_id: str, num: int) -> SheetInfo:
    for found in sheets:
        if found["num"] == num:
            return found
    raise NotFound(f"job '{job_id}' has no sheet {num}; its sheets are 1 to {len(sheets)}")


def _prompt(attempt: AttemptDetailInfo | None) -> str | None:
    """The rendered prompt the latest attempt was given, as the conductor kept it (masked);
    None before the sheet has run."""
    if attempt is None:
        return None
    path = Path(attempt["logs"]) / f"attempt-{attempt['attempt']}.prompt"
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            text = file.read(PROMPT_CHARS + 1)
    except OSError:
        return None
    if len(text) > PROMPT_CHARS:
        return text[:PROMPT_CHARS] + f"\n… (cut at {PROMPT_CHARS:,} characters; whole in {path})"
    return text


async def approvals(request: Request) -> Response:
    questions = await conductor(request).ask(APPROVALS_LIST({}))
    return page(request, "approvals.html", {"questions": questions["approvals"]})


async def costs(request: Request) -> Response:
    ask = conductor(request)
    only = request.query_params.get("job", "").strip()
    if only:
        chosen = [await ask.ask(JOB_STATUS({"job_id": only}))]
        listed: list[JobInfo] = list(chosen)
    else:
        listed = (await ask.ask(JOB_LIST({"all": True, "limit": JOBS_LIMIT})))["jobs"]
    spent = [j for j in listed if j["cost"] or j["status"] == "running"][:COST_JOBS]
    histories = await asyncio.gather(
        *(
            ask.ask(
                JOB_HISTORY({"job_id": j["job_id"], "limit": TIMELINE_ATTEMPTS, "tail_lines": 0})
            )
            for j in spent
        )
    )
    attempts = {h["job_id"]: h["attempts"] for h in histories}
    return page(
        request,
        "costs.html",
        {"jobs": listed, "covered": spent, "only": only, **pictures.costs(attempts)},
    )


async def conductor_page(request: Request) -> Response:
    ask = conductor(request)
    info, config, processes = await asyncio.gather(
        ask.ask(DAEMON_STATUS({})),
        ask.ask(DAEMON_CONFIG({})),
        ask.ask(DAEMON_PROCESSES({})),
    )
    return page(
        request,
        "conductor.html",
        {
            "info": info,
            "instruments": conductor_view.instruments(config, processes),
            "config": config,
        },
    )


async def fleets(request: Request) -> Response:
    listed = await conductor(request).ask(FLEET_LIST({"all": True}))
    return page(request, "fleets.html", {"fleets": listed["fleets"]})


async def fleet(request: Request) -> Response:
    found = await conductor(request).ask(FLEET_STATUS({"fleet_id": request.path_params["fleet"]}))
    return page(request, "fleet.html", {"fleet": found})
