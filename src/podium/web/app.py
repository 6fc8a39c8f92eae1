"""The dashboard as an ASGI application: its routes, the guard every request passes, and
the pages for what went wrong (no conductor, no such job, a refusal)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podium.ipc.client import ConductorUnavailable
from podium.web import actions, pages
from podium.web.conductor import Conductor, NotFound, Refused
from podium.web.live import Interest, events
from podium.web.render import page
from podium.web.security import (
    COOKIE,
    COOKIE_SECONDS,
    CSRF_FIELD,
    CSRF_HEADER,
    Guard,
    bearer,
    origin_ok,
    without_token,
)

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class WebSettings:
    socket: str
    """The conductor's socket."""
    guard: Guard
    readonly: bool = False
    """Serve no action (every POST is refused)."""


def create_app(settings: WebSettings) -> Starlette:
    routes = [
        Route("/", pages.jobs),
        Route("/jobs", actions.bulk, methods=["POST"]),
        Route("/jobs/{job}", pages.job),
        Route("/jobs/{job}/sheets/{sheet:int}", pages.sheet),
        Route("/jobs/{job}/sheets/{sheet:int}/{action}", actions.sheet_action, methods=["POST"]),
        Route("/jobs/{job}/{action}", actions.job_action, methods=["POST"]),
        Route("/approvals", pages.approvals),
        Route("/costs", pages.costs),
        Route("/conductor", pages.conductor_page),
        Route("/conductor/clear-rate-limits", actions.clear_rate_limits, methods=["POST"]),
        Route("/fleets", pages.fleets),
        Route("/fleets/{fleet}", pages.fleet),
        Route("/fleets/{fleet}/{action}", actions.fleet_action, methods=["POST"]),
        Route("/events", live_events),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ConductorUnavailable: _no_conductor,
            NotFound: _not_found,
            Refused: _refused,
        },
    )
    app.state.conductor = Conductor(settings.socket)
    app.state.guard = settings.guard
    app.state.readonly = settings.readonly
    app.add_middleware(GuardMiddleware, guard=settings.guard, readonly=settings.readonly)
    # A job of hundreds of sheets is half a megabyte of SVG, a tenth of it compressed. The
    # event stream is never compressed (it would be held back until a block filled).
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    return app


async def live_events(request: Request) -> Response:
    job_id = request.query_params.get("job") or None
    sheet = request.query_params.get("sheet", "")
    interest = Interest(job_id, int(sheet) if sheet.isdigit() and job_id else None)
    return StreamingResponse(
        events(request.app.state.conductor.socket, interest),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _no_conductor(request: Request, exc: Exception) -> Response:
    return page(
        request,
        "problem.html",
        {
            "title": "The conductor is not answering",
            "text": f"{exc}. It may be restarting: this page tries again by itself. "
            "If it does not come back, start it with 'podium start'.",
            "retry": True,
        },
        status_code=503,
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return page(request, "problem.html", {"title": "Not found", "text": str(exc)}, 404)


async def _refused(request: Request, exc: Exception) -> Response:
    return page(request, "problem.html", {"title": "Refused", "text": str(exc)}, 409)


class GuardMiddleware:
    """Every request: a host name this server answers, and the access token (moved from the
    first link into a cookie). Every POST: the form token and, from a browser, this origin."""

    def __init__(self, app: ASGIApp, guard: Guard, readonly: bool) -> None:
        self.app = app
        self.guard = guard
        self.readonly = readonly

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        refusal = await self._refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if request.method in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        # The form was read here to check its token: the route reads it again from this copy.
        body = await request.body()
        await self.app(scope, _replay(body), send)

    async def _refusal(self, request: Request) -> Response | None:
        if not self.guard.host_allowed(request.headers.get("host")):
            return PlainTextResponse(
                "this dashboard answers only on its loopback address "
                "(start it with --host and --allow-remote to serve others)",
                status_code=421,
            )
        link_token = request.query_params.get("token")
        if link_token is not None and self.guard.token_ok(link_token):
            return self._keep_token(request)
        given = request.cookies.get(COOKIE) or bearer(request.headers.get("authorization"))
        if not self.guard.token_ok(given):
            return _unauthorized()
        if request.method in ("GET", "HEAD"):
            return None
        if self.readonly:
            return PlainTextResponse("read-only dashboard: actions are off", status_code=403)
        return await self._form_refusal(request)

    async def _form_refusal(self, request: Request) -> Response | None:
        if not origin_ok(
            request.headers.get("origin"), request.url.scheme, request.headers.get("host")
        ):
            return PlainTextResponse("refused: the request came from another site", 403)
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            await request.body()
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not self.guard.csrf_ok(given):
            return PlainTextResponse(
                "refused: the form's token is missing or stale; reload the page and try again",
                status_code=403,
            )
        return None

    def _keep_token(self, request: Request) -> Response:
        target = without_token(request.url.path, list(request.query_params.multi_items()))
        response = Response(status_code=303, headers={"location": target})
        response.set_cookie(
            COOKIE,
            self.guard.token,
            max_age=COOKIE_SECONDS,
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _unauthorized() -> Response:
    return HTMLResponse(
        "<!doctype html><title>Podium: token needed</title>"
        "<h1>This dashboard needs its token</h1>"
        "<p>Open the link <code>podium web</code> printed when it started (it ends with "
        "<code>?token=…</code>); the browser keeps it from then on. <code>podium web "
        "--print-url</code> prints the link again.</p>",
        status_code=401,
    )
