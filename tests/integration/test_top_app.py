"""`podium top`'s screen driven by Textual's pilot: its keys on recorded data, then its
stream and its actions on a real conductor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from podium.cli.top import source
from podium.cli.top.app import Settings, TopApp
from podium.cli.top.model import TopModel
from podium.cli.top.widgets import Confirm, Filter
from podium.ipc.methods import JOB_STATUS
from podium.testing.conductor import ConductorProcess
from tests.unit.cli.top.recorded import NOW, job, job_event, sheet_event, snapshot

GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo working on {{ sheet_num }}
        while [ ! -e go ]; do sleep 0.02; done
"""


class Recording(TopApp):
    """The screen, keeping what it told the user and how often it rebuilt its rows."""

    def __init__(self, settings: Settings, model: TopModel | None = None) -> None:
        super().__init__(settings, model)
        self.said: list[str] = []
        self.rebuilds = 0

    def notify(self, message: str, **kwargs: Any) -> None:
        self.said.append(message)
        super().notify(message, **kwargs)

    def _rebuild(
        self, table: DataTable[Any], found: list[Any], selected: str | None = None
    ) -> None:
        self.rebuilds += 1
        super()._rebuild(table, found, selected)


def recorded_app(readonly: bool = False) -> Recording:
    model = TopModel()
    model.load_snapshot(
        snapshot(job("alpha"), job("beta", "paused", total=4, done=1), job("gamma", "completed"))
    )
    model.apply(sheet_event(11, "alpha", 1, "running"))
    model.apply(sheet_event(12, "alpha", 2, "failed"))
    return Recording(Settings(None, readonly=readonly, clock=lambda: NOW), model)


def drive(app: TopApp, script: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


def confirming(app: TopApp) -> bool:
    """A question is on the screen (a function: mypy keeps no narrowing across key presses)."""
    return isinstance(app.screen, Confirm)


def shown(app: TopApp) -> list[str]:
    return list(app.order)


def test_keys_move_expand_sort_filter_and_follow() -> None:
    app = recorded_app()

    async def script(pilot: Pilot[None]) -> None:
        assert shown(app) == ["j:alpha", "j:beta", "j:gamma"]
        await pilot.press("enter")
        assert shown(app)[:3] == ["j:alpha", "s:alpha:1", "s:alpha:2"]
        await pilot.press("j", "j")
        selected = app.selection()
        assert selected is not None
        assert (selected.job_id, selected.sheet, selected.sheet_status) == ("alpha", 2, "failed")
        await pilot.press("k", "k", "enter")
        assert shown(app) == ["j:alpha", "j:beta", "j:gamma"]
        await pilot.press("s", "s", "s")  # id, status, progress, cost
        assert app.options.sort == "cost"
        await pilot.press("slash")
        assert isinstance(app.screen, Filter)
        await pilot.press(*"paused", "enter")
        assert shown(app) == ["j:beta"]
        await pilot.press("slash", "ctrl+u", "enter")
        await pilot.press("f")
        assert app.options.follow is not None
        assert len([k for k in shown(app) if k.startswith("j:")]) == 1

    drive(app, script)


def test_a_wider_terminal_shows_more_columns_and_keeps_the_selection() -> None:
    app = recorded_app()

    async def script(pilot: Pilot[None]) -> None:
        table = app.query_one(DataTable)
        assert len(table.columns) == 6
        await pilot.press("j")
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert len(table.columns) == 8
        assert len(table.get_row("j:beta")) == 8
        selected = app.selection()
        assert selected is not None
        assert selected.job_id == "beta"

    drive(app, script)


def test_an_event_redraws_its_row_in_place() -> None:
    app = recorded_app()

    async def script(pilot: Pilot[None]) -> None:
        before = app.rebuilds
        app.receive(source.Event(job_event(20, job("beta", "running", total=4, done=2))))
        app.refresh_view()
        await pilot.pause()
        table = app.query_one(DataTable)
        assert str(table.get_row("j:beta")[1]) == "running"
        assert str(table.get_row("j:beta")[2]) == "2/4"
        assert app.rebuilds == before
        app.receive(source.Event(job_event(21, job("delta"))))
        app.refresh_view()
        assert app.rebuilds == before + 1
        assert "j:delta" in shown(app)

    drive(app, script)


def test_an_action_asks_first_and_no_sends_nothing() -> None:
    app = recorded_app()

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("p")
        assert isinstance(app.screen, Confirm)
        assert app.screen.question == "Pause job alpha?"
        await pilot.press("n")
        assert not confirming(app)
        await pilot.press("x")
        assert app.said[-1] == (
            "select a running sheet (or one of its processes) to kill its attempt"
        )
        await pilot.press("o")
        assert app.said[-1] == "job alpha's workspace: /work/alpha"

    drive(app, script)


def test_read_only_refuses_every_action_and_says_so() -> None:
    app = recorded_app(readonly=True)

    async def script(pilot: Pilot[None]) -> None:
        for key in ("p", "r", "c", "R", "x"):
            await pilot.press(key)
            assert not confirming(app)
        assert len(app.said) == 5
        assert all(s.startswith("read-only (--readonly): ") for s in app.said)

    drive(app, script)


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await pilot.pause(0.05)


def test_the_stream_shows_a_job_and_p_pauses_it_on_a_real_conductor(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job_id = conductor.submit(write_score(GATED))
    app = Recording(Settings(str(conductor.socket), tick=0.05))

    async def script(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: job_id in app.model.jobs, "the job to be shown")
        await until(pilot, lambda: app.conductor is not None, "the conductor's sample")
        await pilot.press("enter")
        await until(pilot, lambda: f"s:{job_id}:1" in app.order, "its sheets")
        await until(
            pilot, lambda: app.model.sheets[job_id][1].status == "running", "sheet 1 to run"
        )
        await pilot.press("j")
        await until(pilot, lambda: "working on 1" in app.model.output_of(job_id, 1), "output")
        await until(pilot, lambda: bool(app.model.attempts_of(job_id, 1)), "its attempts")
        await pilot.press("k", "p")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await until(pilot, lambda: any("pause" in s for s in app.said), "the answer")
        (tmp_path / "ws" / "go").touch()
        await until(pilot, lambda: app.model.jobs[job_id].status == "paused", "the job paused")

    drive(app, script)
    assert conductor.request(JOB_STATUS({"job_id": job_id}))["status"] == "paused"


def test_x_kills_a_running_attempt_and_its_sheet_runs_again_on_a_real_conductor(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job_id = conductor.submit(write_score(GATED))
    app = Recording(Settings(str(conductor.socket), tick=0.05))

    async def script(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: job_id in app.model.jobs, "the job to be shown")
        await pilot.press("enter")
        await until(pilot, lambda: f"s:{job_id}:1" in app.order, "its sheets")
        await until(
            pilot, lambda: app.model.sheets[job_id][1].status == "running", "sheet 1 to run"
        )
        await pilot.press("j", "x")
        assert isinstance(app.screen, Confirm)
        assert app.screen.question.startswith(
            f"Kill the running attempt of sheet 1 of job {job_id}"
        )
        await pilot.press("y")
        await until(pilot, lambda: any("stopping attempt 1" in s for s in app.said), "answer")
        await until(pilot, lambda: app.model.sheets[job_id][1].attempts == 2, "attempt 2")

    drive(app, script)
    (tmp_path / "ws" / "go").touch()
    conductor.wait_for_job(job_id, "completed")
    history = conductor.query(
        "SELECT attempt, outcome FROM attempts WHERE job_id = ? AND sheet = 1 ORDER BY attempt",
        job_id,
    )
    assert history == [(1, "stopped"), (2, "succeeded")]


ASKING = """
    name: asking
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 1}
    prompt: {template: "echo approved and ran"}
    checkpoints:
      enabled: true
      triggers:
        - {name: go-ahead, sheet_nums: [1], message: nothing runs before someone says go}
"""


def test_a_question_is_shown_and_a_approves_it_on_a_real_conductor(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job_id = conductor.submit(write_score(ASKING))
    app = Recording(Settings(str(conductor.socket), tick=0.05))

    async def script(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: (job_id, 1) in app.model.approvals, "the question")
        assert "1 approval(s) waiting" in str(app.query_one("#header", Static).render())
        await pilot.press("A")  # the oldest question: its job's sheets shown, the sheet chosen
        await until(pilot, lambda: app._cursor_key() == f"s:{job_id}:1", "the sheet chosen")
        assert app.model.sheets[job_id][1].status == "awaiting_approval"
        detail = str(app.query_one("#detail", Static).render())
        assert "waits for a person (go-ahead): nothing runs before someone says go" in detail
        await pilot.press("a")
        assert isinstance(app.screen, Confirm)
        assert app.screen.question == f"Approve sheet 1 of job {job_id}?"
        await pilot.press("y")
        await until(pilot, lambda: (job_id, 1) not in app.model.approvals, "the answer")
        await until(pilot, lambda: app.model.jobs[job_id].status == "completed", "the job")

    drive(app, script)
    assert conductor.request(JOB_STATUS({"job_id": job_id}))["status"] == "completed"


def test_the_feed_takes_a_fresh_snapshot_after_the_conductor_restarts(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    first = conductor.submit(write_score(GATED))
    stop = False
    feed = source.Feed(str(conductor.socket), idle=0.1, retry=0.1)
    items = feed.items(lambda: stop)
    seen = next(items)
    assert isinstance(seen, source.Snapshot)
    assert [j["job_id"] for j in seen.answer.get("jobs", [])] == [first]
    conductor.stop()
    conductor.start()
    kinds = []
    for item in items:
        kinds.append(type(item).__name__)
        if isinstance(item, source.Snapshot):
            assert item.answer["stream"] != seen.answer["stream"]
            break
    stop = True
    assert "Lost" in kinds
    (tmp_path / "ws" / "go").touch()
