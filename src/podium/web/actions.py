"""The dashboard's actions (POST): each asks the conductor to do one thing, then sends the
browser back to the page it came from, saying what was done (or why not). The conductor
writes each in the job's history, as for the same command from the CLI.

Every action needs the form token (`podium.web.security`); with `--readonly`, none is served.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal
from urllib.parse import quote, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from podium.ipc.methods import (
    APPROVALS_ANSWER,
    DAEMON_CLEAR_RATE_LIMITS,
    FLEET_CANCEL,
    FLEET_PAUSE,
    FLEET_RESUME,
    JOB_CANCEL,
    JOB_KILL,
    JOB_PAUSE,
    JOB_RESUME,
)
from podium.web import jobs_view
from podium.web.conductor import Conductor, NotFound, Refused
from podium.web.pages import choose, conductor
from podium.web.render import SAID

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.approval_schema import AnswerParams
    from podium.ipc.schema import ControlResult

Answer = Literal["approve", "reject", "skip"]
ANSWERS: tuple[Answer, ...] = ("approve", "reject", "skip")


async def job_action(request: Request) -> Response:
    job_id = request.path_params["job"]
    action = request.path_params["action"]
    form = await request.form()
    said = await _said(lambda: _control(conductor(request), action, job_id, form))
    return _back(form, f"/jobs/{quote(job_id)}", said)


async def _control(ask: Conductor, action: str, job_id: str, form: FormData) -> str:
    result: ControlResult
    if action == "pause":
        result = await ask.ask(JOB_PAUSE({"job_id": job_id, "force": bool(form.get("force"))}))
    elif action == "resume":
        result = await ask.ask(JOB_RESUME({"job_id": job_id}))
    elif action == "cancel":
        result = await ask.ask(JOB_CANCEL({"job_id": job_id}))
    else:
        raise NotFound(f"no action '{action}' for a job; pause, resume or cancel")
    return result["message"]


async def bulk(request: Request) -> Response:
    """One action on every job the jobs page's filter keeps (those it applies to)."""
    form = await request.form()
    action = str(form.get("action", ""))
    chosen = jobs_view.Filter.of({k: str(v) for k, v in form.items()})
    query = urlencode(chosen.query())
    back = f"/?{query}" if query else "/"
    if action not in jobs_view.ACTIONS:
        return _back(form, back, f"no bulk action '{action}'; pause, resume or cancel")
    if form.get("confirm") != "yes":
        return _back(form, back, f"nothing done: tick the box to {action} every job shown")
    ask = conductor(request)
    shown = (await choose(ask, chosen)).shown
    targets = jobs_view.acted_on(action, shown)

    async def one(job_id: str) -> str:
        return await _said(lambda: _control(ask, action, job_id, form))

    outcomes = await asyncio.gather(*(one(j) for j in targets))
    refused = [f"{j}: {o[1:]}" for j, o in zip(targets, outcomes, strict=True) if o[:1] == "!"]
    done = len(targets) - len(refused)
    said = f"{action}: {done} of {len(shown)} jobs shown"
    if len(shown) > len(targets):
        said += f" ({len(shown) - len(targets)} not {_applies(action)})"
    if refused:
        said += "; refused: " + "; ".join(refused)
    return _back(form, back, said)


def _applies(action: str) -> str:
    return {"pause": "running or queued", "resume": "paused, failed or cancelled"}.get(
        action, "unfinished"
    )


async def sheet_action(request: Request) -> Response:
    job_id = request.path_params["job"]
    num = int(request.path_params["sheet"])
    action = request.path_params["action"]
    form = await request.form()
    ask = conductor(request)

    async def act() -> str:
        if action == "retry":
            return (await ask.ask(JOB_RESUME({"job_id": job_id})))["message"]
        if action == "kill":
            return (await ask.ask(JOB_KILL({"job_id": job_id, "sheet": num})))["message"]
        if action == "answer":
            return (await ask.ask(APPROVALS_ANSWER(_answer(job_id, num, form))))["message"]
        raise NotFound(f"no action '{action}' for a sheet; retry, kill or answer")

    return _back(form, f"/jobs/{quote(job_id)}/sheets/{num}", await _said(act))


def _answer(job_id: str, num: int, form: FormData) -> AnswerParams:
    answer = str(form.get("answer", ""))
    if answer not in ANSWERS:
        raise Refused(f"no answer '{answer}'; approve, reject or skip")
    params: AnswerParams = {"job_id": job_id, "sheet": num, "answer": answer}
    for field in ("note", "prompt", "input"):
        value = str(form.get(field, "")).strip()
        if value:
            params[field] = value
    if params.get("prompt") and form.get("replace_prompt"):
        params["replace_prompt"] = True
    return params


async def clear_rate_limits(request: Request) -> Response:
    form = await request.form()
    instrument = str(form.get("instrument", "")).strip()
    ask = conductor(request)

    async def act() -> str:
        params = {"instrument": instrument} if instrument else {}
        return (await ask.ask(DAEMON_CLEAR_RATE_LIMITS(params)))["message"]  # type: ignore[arg-type]

    return _back(form, "/conductor", await _said(act))


async def fleet_action(request: Request) -> Response:
    fleet_id = request.path_params["fleet"]
    action = request.path_params["action"]
    form = await request.form()
    ask = conductor(request)

    async def act() -> str:
        if action == "pause":
            found = await ask.ask(FLEET_PAUSE({"fleet_id": fleet_id}))
        elif action == "resume":
            found = await ask.ask(FLEET_RESUME({"fleet_id": fleet_id}))
        elif action == "cancel":
            found = await ask.ask(FLEET_CANCEL({"fleet_id": fleet_id}))
        else:
            raise NotFound(f"no action '{action}' for a fleet; pause, resume or cancel")
        return found.get("message") or f"fleet {fleet_id}: {found['status']}"

    return _back(form, f"/fleets/{quote(fleet_id)}", await _said(act))


async def _said(act: Callable[[], Awaitable[str]]) -> str:
    """What the action did, or `!` and why the conductor refused it."""
    try:
        return await act()
    except (NotFound, Refused) as exc:
        return f"!{exc}"


def _back(form: FormData, default: str, said: str) -> RedirectResponse:
    """Back to the page the form was on (a path of this server only), saying `said`."""
    back = str(form.get("next", "")) or default
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = default
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{joiner}{urlencode({SAID: said})}", status_code=303)
