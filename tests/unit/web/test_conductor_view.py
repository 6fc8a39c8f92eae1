from typing import Any

from podium.ipc.schema import ConductorInfo
from podium.web.conductor_view import DEFAULT_CAP, instruments
from podium.web.render import NAV, environment
from tests.unit.cli.top.recorded import NOW
from tests.unit.cli.top.recorded import conductor as conductor_info


def row(job: str, sheet: int, instrument: str | None, model: str | None, pid: int) -> Any:
    return {
        "job_id": job,
        "sheet": sheet,
        "attempt": 1,
        "pid": pid,
        "ppid": 1,
        "command": "x",
        "cpu_percent": None,
        "memory_mb": 1.0,
        "started_at": 0.0,
        "instrument": instrument,
        "model": model,
    }


def config(instruments: object) -> Any:
    return {"settings": {"instruments": instruments}}


def processes(*rows: Any) -> Any:
    return {"conductor": row("", 0, None, None, 1), "processes": list(rows), "sampled_at": 0.0}


def test_caps_beside_what_runs_counting_each_attempt_once() -> None:
    found = instruments(
        config({"claude-code": {"max_concurrent": 2, "models": {"opus": 1}}}),
        processes(
            row("a", 1, "claude-code", "opus", 10),
            row("a", 1, "claude-code", "opus", 11),  # a child of the same attempt
            row("a", 2, "claude-code", "sonnet", 12),
            row("b", 1, "cli", None, 13),
        ),
    )
    by_name = {i.name: i for i in found}
    claude = by_name["claude-code"]
    assert (claude.cap, claude.cap_set, claude.running) == (2, True, 2)
    assert [(m.model, m.cap, m.running) for m in claude.models] == [
        ("opus", 1, 1),
        ("sonnet", None, 1),
    ]
    cli = by_name["cli"]
    assert (cli.cap, cli.cap_set, cli.running, cli.models) == (DEFAULT_CAP, False, 1, ())


def test_a_capped_instrument_shows_when_idle_and_odd_settings_are_ignored() -> None:
    found = instruments(config({"aider": {"max_concurrent": None}, "bad": 3}), processes())
    assert [(i.name, i.cap, i.running) for i in found] == [("aider", DEFAULT_CAP, 0)]
    assert instruments(config(None), processes()) == []


def test_the_conductor_page_has_the_executor_and_a_row_per_ray_node() -> None:
    info = conductor_info()
    info["executor"] = {
        "type": "ray",
        "running": 1,
        "address": "head:6379",
        "namespace": "podium",
        "nodes": [
            {
                "node_id": "3f2a1b2c4d5e" + "0" * 44,
                "address": "10.0.0.2",
                "alive": True,
                "instruments": ["claude-code"],
                "resources": ["instrument:gpu"],
                "attempts": 1,
                "cpu": 2.0,
                "cpu_total": 8.0,
                "memory_mb": 1024.0,
                "memory_total_mb": 16384.0,
            },
            {
                "node_id": "9" * 56,
                "address": "10.0.0.3",
                "alive": False,
                "instruments": [],
                "resources": [],
                "attempts": 0,
                "cpu": None,
                "cpu_total": 4.0,
                "memory_mb": None,
                "memory_total_mb": None,
            },
        ],
        "nodes_age_seconds": 3.0,
        "error": None,
    }
    html = rendered(info)
    assert "ray at head:6379 (namespace podium): 1 attempt running" in html
    rows = [r for r in html.split("<tr>") if "10.0.0." in r]
    assert len(rows) == 2
    assert all(
        shown in rows[0]
        for shown in ("3f2a1b2c4d5e<", "alive", "claude-code, instrument:gpu", "2/8", "1.0/16.0 GB")
    )
    assert all(shown in rows[1] for shown in ("999999999999<", "dead", "no instrument", "?/4"))


def test_the_conductor_page_of_a_local_executor_lists_no_node() -> None:
    info = conductor_info()
    info["executor"] = {
        "type": "local",
        "running": 0,
        "address": "",
        "namespace": "",
        "nodes": [],
        "nodes_age_seconds": None,
        "error": None,
    }
    html = rendered(info)
    assert "local (this machine): 0 attempts running" in html
    assert "<h2>Nodes</h2>" not in html


def rendered(info: ConductorInfo) -> str:
    values = {"nav": NAV, "path": "/conductor", "csrf": "x", "now": NOW, "readonly": True}
    return (
        environment()
        .get_template("conductor.html")
        .render({**values, "info": info, "instruments": [], "config": config({})})
    )
