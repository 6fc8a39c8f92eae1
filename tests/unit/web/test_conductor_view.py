from typing import Any

from podium.web.conductor_view import DEFAULT_CAP, instruments


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
