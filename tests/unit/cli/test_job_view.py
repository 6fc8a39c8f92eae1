"""What `podium status JOB` shows, rendered from hand-built `job.status` answers."""

import io
import time
from typing import Any, cast

import pytest

from podium.cli import exits
from podium.cli.job_view import eta, render_job
from podium.cli.watch import Screen, fit, watch
from podium.ipc.schema import JobStatusResult, SheetInfo

NOW = time.mktime((2020, 1, 2, 15, 0, 0, 0, 0, -1))
"""Not today: times show with their date, the same on any day the tests run."""


def sheet(num: int, status: str = "pending", **changes: Any) -> SheetInfo:
    found = {
        "num": num,
        "status": status,
        "movement": num,
        "voice": None,
        "voice_count": 1,
        "instrument": "cli",
        "model": None,
        "depends_on": [],
        "description": None,
        "attempts": 0 if status == "pending" else 1,
        "max_attempts": 3,
        "error": None,
        "blocked_by": None,
        "updated_at": NOW - 30,
        "due": None,
        "wait": None,
        "cost": 0.0,
        "logs": f"/logs/{num}" if status != "pending" else "",
        "last_attempt": None,
    }
    return cast("SheetInfo", {**found, **changes})


def job(status: str, *sheets: SheetInfo, **changes: Any) -> JobStatusResult:
    found = {
        "job_id": "demo",
        "name": "demo",
        "status": status,
        "score_path": "/s/demo.yaml",
        "workspace": "/w/demo",
        "submitted_at": NOW - 600,
        "started_at": NOW - 600,
        "finished_at": None if status in ("running", "paused", "queued") else NOW - 10,
        "error": None,
        "detail": None,
        "resume_when_idle": False,
        "total_sheets": len(sheets),
        "completed_sheets": sum(s["status"] == "completed" for s in sheets),
        "chain_depth": 0,
        "cost": 0.0,
        "sheets": list(sheets),
        "history": [],
        "rate_limits": [],
        "usage": {
            "input_tokens": None,
            "output_tokens": None,
            "cost": None,
            "cost_estimated": False,
        },
    }
    return cast("JobStatusResult", {**found, **changes})


def shown(j: JobStatusResult, **options: Any) -> list[str]:
    return render_job(j, False, NOW, **options).splitlines()


def test_the_header_shows_progress_elapsed_time_and_the_pace() -> None:
    lines = shown(job("running", sheet(1, "completed"), sheet(2, "running"), sheet(3), sheet(4)))
    assert lines[0] == "demo  running  1/4 sheets completed  ██████░░░░░░░░░░░░░░░░░░ 25%"
    assert (
        lines[1] == "  started 2020-01-02 14:50, running for 10m00s, ~30m left at the pace so far"
    )


def test_no_pace_is_guessed_before_a_sheet_has_ended() -> None:
    assert eta(job("running", sheet(1, "running"), sheet(2)), NOW) is None
    assert eta(job("queued", sheet(1), started_at=None), NOW) is None
    assert eta(job("running", sheet(1, "completed"), sheet(2, "failed")), NOW) is None


def test_sheets_are_grouped_by_movement_with_their_voices() -> None:
    fan = {"movement": 2, "voice_count": 3, "depends_on": [1], "instrument": "claude-code"}
    lines = shown(
        job(
            "running",
            sheet(1, "completed"),
            sheet(2, "completed", voice=1, model="opus", **fan),
            sheet(3, "running", voice=2, **fan, updated_at=NOW - 75),
            sheet(4, "pending", voice=3, **fan),
            sheet(5, movement=3, depends_on=[2, 3, 4]),
        )
    )
    table = lines[lines.index("") + 1 : lines.index("") + 10]
    assert table == [
        "  SHEET  VOICE  STATUS     ATTEMPTS  INSTRUMENT          TIME                 AFTER  DETAIL",
        "movement 1  ██████████ 1/1",
        "  1      -      completed  1/3       cli                 at 2020-01-02 14:59  -",
        "movement 2 · 3 voices  ███░░░░░░░ 1/3",
        "  2      1/3    completed  1/3       claude-code (opus)  at 2020-01-02 14:59  1",
        "  3      2/3    running    1/3       claude-code         for 1m15s            1",
        "  4      3/3    pending    0/3       claude-code         -                    1",
        "movement 3  ░░░░░░░░░░ 0/1",
        "  5      -      pending    0/3       cli                 -                    2,3,4",
    ]


def test_a_score_of_one_sheet_per_movement_gets_a_plain_table() -> None:
    lines = shown(job("running", sheet(1, "completed"), sheet(2, "running")))
    assert lines[lines.index("") + 1].startswith("SHEET  STATUS  ")
    assert not any(line.startswith("movement") for line in lines)


def test_a_waiting_sheet_says_what_for_and_until_when() -> None:
    limited = sheet(1, "waiting", wait="rate_limit", due=NOW + 190, error="429 slow down")
    retrying = sheet(2, "waiting", wait="retry", due=NOW + 12, error="exit code 1: boom")
    lines = shown(job("running", limited, retrying))
    assert lines[6].endswith("rate limited until 2020-01-02 15:03 (in 3m): 429 slow down")
    assert lines[7].endswith("retry at 2020-01-02 15:00 (in 12s): exit code 1: boom")


def test_rate_limits_on_the_job_show_their_end_and_how_to_end_them_early() -> None:
    window = {"instrument": "claude-code", "model": "opus", "until": NOW + 250, "reason": "429"}
    lines = shown(job("running", sheet(1, "running"), rate_limits=[window]))
    assert (
        "  waiting    claude-code (opus): rate limited until 2020-01-02 15:04 (in 4m): 429" in lines
    )
    assert lines[-2:] == [
        "next:",
        "  podium clear-rate-limits claude-code  end the wait now, if the limit is over",
    ]


def test_cost_and_tokens_say_when_the_cost_is_estimated() -> None:
    usage = {"input_tokens": 12000, "output_tokens": 3400, "cost": 0.0123, "cost_estimated": True}
    lines = shown(job("running", sheet(1), cost=0.0123, usage=usage))
    assert "  usage      12,000 tokens in, 3,400 out, $0.0123 (estimated)" in lines
    exact = shown(job("running", sheet(1), cost=0.5, usage={**usage, "cost_estimated": False}))
    assert "  usage      12,000 tokens in, 3,400 out, $0.5000" in exact


def test_recent_errors_show_one_line_per_failed_attempt_with_its_code() -> None:
    attempt = {"error_code": "E009", "checks": [], "started_at": NOW - 50, "ended_at": NOW - 20}
    failed = sheet(2, "failed", attempts=3, error="exit code 3: boom", last_attempt=attempt)
    skipped = sheet(3, "skipped", error="not run: sheet 2 failed", blocked_by=2)
    lines = shown(job("failed", sheet(1, "completed"), failed, skipped))
    at = lines.index("recent errors (latest last):")
    assert lines[at + 1 : at + 3] == [
        "  2020-01-02 14:59  sheet 2  attempt 3/3  [E009] exit code 3: boom",
        "",
    ]
    assert "took 30s" in next(line for line in lines if line.startswith("2 "))
    assert "sheet 2 [E009]: exit code 3: boom" in lines
    assert "  logs: /logs/2" in lines


def test_a_failed_check_says_what_it_expected_found_and_how_to_fix_it() -> None:
    check = {
        "check": "report.md has findings",
        "passed": False,
        "checked": True,
        "expected": "the text `## Findings`",
        "actual": "text not found",
        "fix": "write the findings",
    }
    later = {**check, "checked": False}
    attempt = {"error_code": "E203", "checks": [check, later]}
    lines = shown(
        job("failed", sheet(1, "failed", error="validation failed", last_attempt=attempt))
    )
    at = lines.index("sheet 1 [E203]: validation failed")
    assert lines[at + 1 : at + 6] == [
        "  ✗ report.md has findings",
        "      expected  the text `## Findings`",
        "      found     text not found",
        "      fix       write the findings",
        "  (1 later-stage check(s) not run)",
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("paused", ["podium resume demo  go on where it stopped"]),
        ("paused_at_chain", ["podium resume demo  start the next job of its chain"]),
        (
            "failed",
            [
                "podium errors demo    every failed attempt, with its output",
                "podium diagnose demo  the full report: timeline, errors, logs",
                "podium resume demo    run the sheets that did not complete again",
            ],
        ),
        ("cancelled", ["podium resume demo  run the sheets that did not complete"]),
        ("completed", ["ls /w/demo  what the sheets made"]),
    ],
)
def test_the_next_steps_fit_the_jobs_state(status: str, expected: list[str]) -> None:
    lines = shown(job(status, sheet(1, "completed")))
    assert lines[lines.index("next:") + 1 :] == [f"  {line}" for line in expected]


def test_hints_name_only_commands_this_podium_has() -> None:
    lines = shown(job("failed", sheet(1, "failed")), commands={"resume", "status"})
    assert lines[lines.index("next:") + 1 :] == [
        "  podium resume demo  run the sheets that did not complete again"
    ]
    assert "next:" not in shown(job("running", sheet(1, "running")))


def test_a_large_job_is_summed_up_with_its_running_and_failed_sheets_listed() -> None:
    fan = {"movement": 2, "voice_count": 60}
    sheets = [sheet(1, "completed")]
    for voice in range(1, 61):
        status = "completed" if voice <= 40 else "running" if voice <= 43 else "pending"
        sheets.append(sheet(voice + 1, status, voice=voice, **fan))
    sheets[50] = {**sheets[50], "status": "failed", "error": "exit code 2"}
    lines = shown(job("running", *sheets))
    body = lines[lines.index("") + 1 :]
    assert body[:3] == [
        "sheets: 41 completed · 3 running · 16 pending · 1 failed",
        "  movement 1              ██████████  1/1",
        "  movement 2 · 60 voices  ██████░░░░  40/60  3 running · 16 pending · 1 failed",
    ]
    listed = body[body.index("running, waiting and failed sheets:") + 2 :][:4]
    assert [row.split()[0] for row in listed] == ["42", "43", "44", "51"]
    note = next(line for line in body if line.startswith("(61 sheets in short"))
    assert "'podium status demo --all-sheets' shows each one" in note
    assert len(shown(job("running", *sheets), all_sheets=True)) > 61


def test_fifty_sheets_still_get_one_row_each() -> None:
    lines = shown(job("running", *(sheet(n, "completed") for n in range(1, 51))))
    assert lines[lines.index("") + 1].startswith("SHEET")
    assert len(lines) == 4 + 1 + 1 + 50  # header, blank line, table header, rows


class FakeConductor:
    """Answers each fresh read with the next snapshot (the last one forever); a frame drawn
    again without a read shows the snapshot read last."""

    def __init__(self, *snapshots: JobStatusResult) -> None:
        self._snapshots = list(snapshots)
        self._read = False

    def frame(self, fresh: bool) -> tuple[str, JobStatusResult | None]:
        if fresh and self._read and len(self._snapshots) > 1:
            self._snapshots.pop(0)
        self._read = True
        current = self._snapshots[0]
        return f"{current['job_id']} {current['status']}", current


def test_watching_prints_a_snapshot_per_change_and_ends_with_the_job() -> None:
    out = io.StringIO()
    waited: list[float] = []
    changes = iter([False, True, False, True])

    def wait(seconds: float) -> bool:
        waited.append(seconds)
        return next(changes)

    conductor = FakeConductor(
        job("running", sheet(1, "running")),
        job("running", sheet(1, "running")),
        job("failed", sheet(1, "failed"), error="sheet 1 failed"),
    )
    code = watch(conductor.frame, Screen(out, live=False), 0.5, out=out, color=False, wait=wait)
    assert code == exits.JOB_FAILED
    assert waited == [0.5, 0.5, 0.5, 0.5]
    text = out.getvalue()  # nothing printed again while nothing changed
    assert text.startswith("demo running\n\ndemo running\n\ndemo failed\n\njob demo failed after")
    assert "\033" not in text


def test_a_live_screen_is_redrawn_when_nothing_changed_for_its_clocks() -> None:
    out = io.StringIO()
    changes = iter([False, True])
    conductor = FakeConductor(job("running", sheet(1, "running")), job("completed", sheet(1)))
    code = watch(
        conductor.frame,
        Screen(out, live=True),
        1,
        out=out,
        color=False,
        wait=lambda _: next(changes),
    )
    assert code == exits.OK
    assert out.getvalue().count("demo running") == 2


def test_watching_ends_at_a_pause_and_goes_on_while_a_modify_waits() -> None:
    out = io.StringIO()
    conductor = FakeConductor(
        job("paused", sheet(1, "running"), resume_when_idle=True),
        job("completed", sheet(1, "completed")),
    )
    code = watch(conductor.frame, Screen(out, live=False), 1, out=out, color=False, wait=bool)
    assert code == exits.OK
    paused = FakeConductor(job("paused", sheet(1), detail="paused by the user"))
    assert watch(paused.frame, Screen(out, live=False), 1, out=out, color=False) == exits.JOB_FAILED


def test_ctrl_c_stops_watching_with_exit_0() -> None:
    def interrupted(_seconds: float) -> bool:
        raise KeyboardInterrupt

    out = io.StringIO()
    conductor = FakeConductor(job("running", sheet(1, "running")))
    code = watch(conductor.frame, Screen(out, live=True), 2, out=out, color=False, wait=interrupted)
    assert code == exits.OK
    assert out.getvalue() == "\033[?25l\033[2J\033[Hdemo running\033[K\033[J\033[?25h\n"


def test_a_live_screen_redraws_in_place_and_fits_the_terminal() -> None:
    out = io.StringIO()
    screen = Screen(out, live=True)
    screen.show("a\nb")
    screen.show("c")
    assert out.getvalue() == "\033[?25l\033[2J\033[Ha\033[K\nb\033[K\033[J\033[Hc\033[K\033[J"
    assert fit(["x" * 25, "\033[1my\033[0m", "z", "w"], (10, 6)) == [
        "x" * 25,
        "\033[1my\033[0m",
        "… 2 more lines: a taller terminal shows them",
    ]
    assert fit(["\033[1my\033[0m", "z"], (10, 6)) == ["\033[1my\033[0m", "z"]


def test_json_snapshots_come_one_per_line() -> None:
    out = io.StringIO()
    screen = Screen(out, live=False, gap=False)
    screen.show("{}")
    screen.show("{}")
    assert out.getvalue() == "{}\n{}\n"


def test_a_paused_job_says_why_and_shows_its_latest_history_last() -> None:
    notes = [{"at": NOW - 60 + n, "text": f"note {n}"} for n in range(10)]
    paused = job("paused", sheet(1), detail="cost limit reached", history=notes)
    lines = shown(paused)
    assert lines[1] == "  started 2020-01-02 14:50, 10m00s ago"
    assert "  note       cost limit reached" in lines
    at = lines.index("history (latest last):")
    assert [line.split()[-1] for line in lines[at + 1 : at + 9]] == [str(n) for n in range(2, 10)]
    assert lines[at + 9 :] == ["", "next:", "  podium resume demo  go on where it stopped"]


def hook(num: int, outcome: str, **changes: Any) -> dict[str, Any]:
    return {
        "num": num,
        "type": "run_command",
        "label": f"run_command: step {num}",
        "description": None,
        "outcome": outcome,
        "started_at": NOW - 20,
        "ended_at": None if outcome == "running" else NOW - 18,
        "exit_code": None,
        "error": None,
        "output": "",
        "chained_job": None,
        **changes,
    }


def test_hooks_show_how_each_ended_and_the_job_a_chain_started() -> None:
    hooks = [
        hook(1, "succeeded", exit_code=0, description="build"),
        hook(2, "failed", exit_code=3, error="exit 3: no rule"),
        hook(3, "succeeded", type="run_job", label="run_job: /s/next.yaml", chained_job="next"),
        hook(4, "running"),
    ]
    lines = shown(
        job("running", sheet(1, "completed"), hooks=hooks, chain_depth=2, children=["next"])
    )
    assert "  chain      depth 2 (started by a run_job hook); started next" in lines
    start = lines.index("hooks:")
    assert lines[start + 1 : start + 7] == [
        "  ✓ 1  run_command: step 1 (build)  succeeded · exit 0 · took 2.0s",
        "  ✗ 2  run_command: step 2  failed · exit 3 · took 2.0s",
        "      error  exit 3: no rule",
        "  ✓ 3  run_job: /s/next.yaml  succeeded · took 2.0s",
        "      started job next",
        "  … 4  run_command: step 4  running · running for 20s",
    ]


def test_a_chained_job_names_the_job_that_started_it() -> None:
    lines = shown(job("queued", sheet(1, "pending"), chain_depth=1, parent="first"))
    assert "  chain      depth 1 (started by first)" in lines
    assert not any(line.startswith("  chain") for line in shown(job("queued", sheet(1, "pending"))))
