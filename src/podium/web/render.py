"""Pages from templates: the Jinja environment, its filters, and what every page is given
(the form token, the navigation, the message an action left)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from podium.cli import executor_view
from podium.cli.job_view import eta, rate_limit_text, usage_text
from podium.cli.output import duration, when
from podium.web.pictures import CSS
from podium.web.security import CSRF_FIELD, Guard

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Jobs"),
    ("/approvals", "Needs review"),
    ("/costs", "Costs"),
    ("/conductor", "Conductor"),
    ("/fleets", "Fleets"),
)

SAID = "said"
"""The query parameter that carries what an action did, to the page it returns to."""


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("podium.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        duration=duration,
        when=when,
        cost=cost_text,
        tokens=tokens_text,
        ago=ago,
    )
    env.globals.update(
        nav=NAV,
        csrf_field=CSRF_FIELD,
        eta=eta,
        rate_limit_text=rate_limit_text,
        usage_text=usage_text,
        pictures_css=CSS,
        executor_line=executor_view.executor_line,
        node_id=executor_view.short_id,
        offered=executor_view.offered,
        cpu_text=executor_view.cpu_text,
        memory_text=executor_view.memory_text,
    )
    return env


def page(
    request: Request,
    template: str,
    context: Mapping[str, object],
    status_code: int = 200,
) -> HTMLResponse:
    """`template` filled with `context` and what every page has."""
    guard: Guard = request.app.state.guard
    values = {
        "request": request,
        "path": request.url.path,
        "csrf": guard.csrf,
        "said": request.query_params.get(SAID, ""),
        "now": time.time(),
        "readonly": request.app.state.readonly,
        **context,
    }
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def cost_text(value: float | None, estimated: bool = False) -> str:
    if not value:
        return "-"
    text = f"${value:.4f}" if value < 1 else f"${value:,.2f}"
    return text + (" (est.)" if estimated else "")


def tokens_text(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def ago(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return f"{duration(max(0.0, time.time() - timestamp))} ago"
