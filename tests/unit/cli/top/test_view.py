"""What `podium top` shows of its model: the rows, their order and filter, the panes, one
plain frame."""

from __future__ import annotations

from podium.cli.top import panes
from podium.cli.top.model import TopModel
from podium.cli.top.plain import columns_for, fit, frame
from podium.cli.top.view import Options, Processes, rows
from podium.ipc.schema import ExecutorInfo, NodeInfo
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


def model_of_three() -> TopModel:
    model = TopModel()
    model.load_snapshot(
        snapshot(
            {**job("beta", "paused", total=4, done=1), "cost": 2.0},
            {**job("alpha", "running", total=2, done=0), "cost": 0.5},
            {**job("gamma", "completed", total=1, done=1), "submitted_at": NOW},
        )
    )
    model.apply(sheet_event(11, "alpha", 1, "running"))
    model.apply(sheet_event(12, "alpha", 2, "pending", attempts=0))
    return model


def keys(model: TopModel, options: Options, sampled: Processes | None = None) -> list[str]:
    return [r.key for r in rows(model, options, sampled or Processes(), NOW)]


def test_jobs_alone_until_one_is_expanded() -> None:
    model = model_of_three()
    assert keys(model, Options()) == ["j:alpha", "j:beta", "j:gamma"]
    assert keys(model, Options().toggled("alpha")) == [
        "j:alpha",
        "s:alpha:1",
        "s:alpha:2",
        "j:beta",
        "j:gamma",
    ]
    assert keys(model, Options().toggled("alpha").toggled("alpha")) == [
        "j:alpha",
        "j:beta",
        "j:gamma",
    ]


def test_a_running_sheet_shows_its_processes_under_it() -> None:
    sampled = Processes.of(processes(process("alpha", 1, 501), process("alpha", 1, 502)))
    shown = rows(model_of_three(), Options().toggled("alpha"), sampled, NOW)
    assert [r.key for r in shown[:4]] == ["j:alpha", "s:alpha:1", "p:alpha:1:501", "p:alpha:1:502"]
    job_row, sheet_row, first = shown[0], shown[1], shown[2]
    assert (job_row.cells[4], job_row.cells[5]) == ("24%", "40M")
    assert (sheet_row.cells[4], sheet_row.cells[5]) == ("24%", "40M")
    assert first.cells[0] == "    501 sleep 5"
    assert (first.cells[3], first.cells[6]) == ("cli", "20s")


def test_processes_are_indented_by_their_depth_in_the_tree() -> None:
    tree = [
        process("alpha", 1, 501, "sh -c run", ppid=99),
        process("alpha", 1, 502, "bash run.sh", ppid=501),
        process("alpha", 1, 503, "sleep 5", ppid=502),
        process("alpha", 1, 504, "tee out", ppid=501),
    ]
    shown = rows(model_of_three(), Options().toggled("alpha"), Processes.of(processes(*tree)), NOW)
    assert [r.cells[0] for r in shown[2:6]] == [
        "    501 sh -c run",
        "      502 bash run.sh",
        "        503 sleep 5",
        "      504 tee out",
    ]


def test_sorts_cycle_through_status_progress_cost_and_age() -> None:
    model = model_of_three()
    options = Options()
    seen = []
    for _ in range(5):
        seen.append((options.sort, keys(model, options)))
        options = options.next_sort()
    assert seen == [
        ("id", ["j:alpha", "j:beta", "j:gamma"]),
        ("status", ["j:alpha", "j:beta", "j:gamma"]),
        ("progress", ["j:alpha", "j:beta", "j:gamma"]),
        ("cost", ["j:beta", "j:alpha", "j:gamma"]),
        ("age", ["j:gamma", "j:alpha", "j:beta"]),
    ]
    assert options.sort == "id"


def test_a_filter_keeps_the_jobs_whose_id_name_or_status_holds_it() -> None:
    model = model_of_three()
    assert keys(model, Options().filtered(" PAUSED ")) == ["j:beta"]
    assert keys(model, Options().filtered("a")) == ["j:alpha", "j:beta", "j:gamma"]
    assert keys(model, Options().filtered("nothing")) == []


def test_following_a_job_shows_it_alone_with_its_sheets() -> None:
    model = model_of_three()
    options = Options().following("alpha")
    assert keys(model, options) == ["j:alpha", "s:alpha:1", "s:alpha:2"]
    assert keys(model, options.following("alpha")) == ["j:alpha", "j:beta", "j:gamma"]


def test_the_header_says_the_conductor_its_load_states_and_windows() -> None:
    model = model_of_three()
    model.load_conductor(conductor())
    sampled = Processes.of(processes(process("alpha", 1, 501)))
    assert panes.header(model, conductor(), sampled, NOW) == [
        "conductor 0.1.0 up 1h00m (pid 99, ready) · pressure low: memory 1 GB of 8 GB",
        "conductor 20 MB 12% CPU · attempts 1 process(es) 20 MB 12% CPU",
        "jobs: 1 completed, 1 paused, 1 running · sheets: 2 completed, 4 pending, 1 running",
        "rate limits: claude-code 5m00s left",
    ]
    assert panes.header(TopModel(), None, Processes(), NOW, "no such socket")[0] == (
        "conductor: no such socket · pressure none"
    )


def test_the_header_ends_with_where_the_attempts_run_and_a_line_per_ray_node() -> None:
    node: NodeInfo = {
        "node_id": "3f2a1b2c4d5e" + "0" * 44,
        "address": "10.0.0.2",
        "alive": True,
        "instruments": ["cli"],
        "resources": [],
        "attempts": 1,
        "cpu": 0.0,
        "cpu_total": 8.0,
        "memory_mb": 0.0,
        "memory_total_mb": 16384.0,
    }
    executor: ExecutorInfo = {
        "type": "ray",
        "running": 1,
        "address": "head:6379",
        "namespace": "podium",
        "nodes": [node] * (panes.NODE_LINES + 2),
        "nodes_age_seconds": 1.0,
        "error": None,
    }
    info = conductor()
    info["executor"] = executor
    shown = panes.header(TopModel(), info, Processes(), NOW)
    assert shown[4:6] == [
        "executor: ray at head:6379 (namespace podium): 1 attempt running; "
        f"{panes.NODE_LINES + 2} node(s) alive of {panes.NODE_LINES + 2}, read 1s ago",
        "  node 3f2a1b2c4d5e 10.0.0.2 alive · offers cli · 1 attempt · CPU 0/8 · "
        "memory 0.0/16.0 GB",
    ]
    assert len(shown) == 5 + panes.NODE_LINES + 1
    assert shown[-1] == "  … 2 more node(s): podium conductor-status"
    info["executor"] = {**executor, "type": "local", "nodes": []}
    assert panes.header(TopModel(), info, Processes(), NOW)[4:] == [
        "executor: local (this machine): 1 attempt running"
    ]


def test_the_detail_of_a_sheet_has_its_attempts_checks_and_output() -> None:
    model = model_of_three()
    model.apply(
        event(
            13,
            "attempt",
            "alpha",
            sheet=1,
            attempt=1,
            outcome="failed",
            started_at=NOW - 50,
            ended_at=NOW - 40,
            exit_code=1,
            error_code="E001",
            instrument="cli",
            model=None,
            input_tokens=10,
            output_tokens=20,
            cost=0.25,
            checks=[],
        )
    )
    model.apply(
        event(
            14,
            "checks",
            "alpha",
            sheet=1,
            attempt=1,
            results=[
                {
                    "check": "file_exists: out.txt",
                    "passed": False,
                    "expected": "out.txt exists",
                    "actual": "missing",
                }
            ],
        )
    )
    model.set_output("alpha", 1, [f"line {i}" for i in range(12)])
    lines = panes.detail(model, "alpha", 1, NOW)
    assert lines[:4] == [
        "job alpha sheet 1: running, 1 attempt(s)",
        "  attempt 1: failed, 10s, cli, exit 1, E001, tokens 10/20, $0.25",
        "checks of attempt 1:",
        "  NO file_exists: out.txt: expected out.txt exists, found missing",
    ]
    assert lines[-9:] == ["output:", *[f"  line {i}" for i in range(4, 12)]]


def test_the_detail_of_a_job_names_its_workspace() -> None:
    lines = panes.detail(model_of_three(), "beta", None, NOW)
    assert lines == [
        "job beta (beta): paused, 1/4 sheet(s), cost $2.00",
        "workspace: /work/beta",
    ]
    assert panes.detail(model_of_three(), None, None, NOW)[0].startswith("select a job")


def test_the_timeline_is_the_latest_events_newest_last() -> None:
    model = model_of_three()
    assert panes.timeline(model, NOW, 1) == [" 5.0s alpha: sheet 2 pending"]
    assert panes.timeline(model, NOW, 0) == []


def test_columns_give_way_to_the_names_below_120_characters() -> None:
    assert [i for i, _ in columns_for(80)] == [0, 1, 2, 4, 5, 6]
    assert sum(w + 1 for _, w in columns_for(80)) - 1 == 80
    assert [i for i, _ in columns_for(160)] == list(range(8))
    assert [i for i, _ in columns_for(120, padded=True)] == list(range(8))
    assert sum(w + 2 for _, w in columns_for(120, padded=True)) + 2 == 120
    assert fit("abcdef", 4) == "abc…"
    assert fit("ab", 4) == "ab  "


def test_a_frame_fits_its_size_and_says_what_it_left_out() -> None:
    model = model_of_three()
    text = frame(model, conductor(), Processes(), NOW, size=(80, 9))
    lines = text.splitlines()
    assert len(lines) == 9
    assert all(len(line) <= 80 for line in lines)
    assert lines[5].startswith("JOB / SHEET / PID")
    assert lines[6].split() == ["alpha", "running", "0/2", "1m40s"]
    assert lines[-1] == "… 3 more row(s): a taller terminal shows them"


def test_a_frame_shows_the_sheets_of_the_jobs_not_finished() -> None:
    text = frame(model_of_three(), None, Processes(), NOW, size=(80, 24))
    assert "  sheet 1" in text
    assert text.count("sheet ") == 2
