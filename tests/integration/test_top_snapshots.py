"""`podium top`'s screen as it looks, at 80x24 and 160x48, on fixed data and a fixed clock:
a change of layout shows as a changed picture (`pytest --snapshot-update` accepts it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from podium.cli.top import source
from podium.cli.top.app import Settings, TopApp
from podium.cli.top.model import TopModel
from tests.unit.cli.top.recorded import (
    NOW,
    conductor,
    event,
    job,
    process,
    processes,
    sheet_event,
    snapshot,
)

SnapCompare = Callable[..., bool]


def fixed_app() -> TopApp:
    model = TopModel()
    model.load_snapshot(
        snapshot(
            {**job("nightly-refactor", total=12, done=4), "cost": 3.25},
            job("docs-sweep", "paused", total=5, done=2),
            job("release-notes", "completed", total=2, done=2),
        )
    )
    for num, status in enumerate(["completed", "running", "failed", "pending"], start=1):
        model.apply(sheet_event(10 + num, "nightly-refactor", num, status))
    model.apply(
        event(
            20,
            "checks",
            "nightly-refactor",
            sheet=3,
            attempt=1,
            results=[
                {
                    "check": "file_exists: report.md",
                    "passed": False,
                    "expected": "report.md exists",
                    "actual": "no such file",
                }
            ],
        )
    )
    model.set_output("nightly-refactor", 2, ["reading src/", "editing podium/cli/top.py"])
    app = TopApp(Settings(None, clock=lambda: NOW), model)
    app.receive(source.Sampled(conductor(), processes(process("nightly-refactor", 2, 4242))))
    return app


async def expand_first(pilot: Pilot[None]) -> None:
    await pilot.press("j", "enter", "j", "j")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_the_screen_with_a_job_expanded(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(fixed_app(), terminal_size=size, run_before=expand_first)


def test_the_question_before_an_action(snap_compare: SnapCompare) -> None:
    assert snap_compare(fixed_app(), terminal_size=(80, 24), press=["j", "p"])
