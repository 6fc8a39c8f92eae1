"""A running conductor re-reads conductor.yaml (SIGHUP, `daemon.reload`) and applies it without
stopping or restarting any job; a bad file changes nothing."""

import signal
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from podium.ipc.client import RemoteError
from podium.ipc.methods import DAEMON_CONFIG, DAEMON_RELOAD, DAEMON_STATUS
from podium.testing.conductor import ConductorProcess

WIDE = """
    name: wide
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    parallel: {enabled: true, max_concurrent: 5}
    sheet: {size: 1, total_items: 4, dependencies: {4: [1, 2, 3]}}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}
        while [ ! -e go ]; do sleep 0.02; done
"""


def set_config(conductor: ConductorProcess, **settings: object) -> None:
    path = conductor.home / "conductor.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    path.write_text(yaml.safe_dump({**data, **settings}))


def test_sighup_raises_the_sheet_limit_and_the_waiting_sheets_start_while_the_first_runs_on(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    conductor = conductors({"max_concurrent_sheets": 1, "kill_grace_seconds": 1.0})
    job = conductor.submit(write_score(WIDE))
    ws = tmp_path / "ws"

    def running() -> list[int]:
        return [s["num"] for s in conductor.status(job)["sheets"] if s["status"] == "running"]

    conductor.wait_until(lambda: running() == [1], 15, "sheet 1 to run")
    set_config(conductor, max_concurrent_sheets=3)
    assert conductor.process is not None
    conductor.process.send_signal(signal.SIGHUP)
    conductor.wait_until(lambda: running() == [1, 2, 3], 15, "three sheets to run at once")
    assert conductor.request(DAEMON_STATUS({}))["max_concurrent_sheets"] == 3
    assert conductor.request(DAEMON_CONFIG({}))["settings"]["max_concurrent_sheets"] == 3
    (ws / "go").touch()
    done = conductor.wait_for_job(job, "completed")
    assert [s["attempts"] for s in done["sheets"]] == [1, 1, 1, 1]
    assert (ws / "runs-1").read_text() == "run\n"
    assert "reload: max_concurrent_sheets: 1 → 3" in conductor.log


def test_an_invalid_file_on_reload_keeps_the_settings_in_force(
    conductors: Callable[..., ConductorProcess],
) -> None:
    conductor = conductors({"max_concurrent_sheets": 2, "kill_grace_seconds": 1.0})
    path = conductor.home / "conductor.yaml"
    path.write_text("max_concurrent_sheets: 0\nkill_grace_seconds: 3\n")
    with pytest.raises(RemoteError) as refused:
        conductor.request(DAEMON_RELOAD({}))
    assert "max_concurrent_sheets: Input should be greater than or equal to 1" in (
        refused.value.message
    )
    assert "the conductor keeps the settings in force" in refused.value.message
    path.write_text("max_concurrent_sheets: [\n")
    assert conductor.process is not None
    conductor.process.send_signal(signal.SIGHUP)
    conductor.wait_until(
        lambda: "not valid YAML" in conductor.log, 15, "the refused reload to be logged"
    )
    settings = conductor.request(DAEMON_CONFIG({}))["settings"]
    assert (settings["max_concurrent_sheets"], settings["kill_grace_seconds"]) == (2, 1.0)
    assert conductor.request(DAEMON_STATUS({}))["state"] == "ready"


def test_a_reload_reports_each_change_and_what_needs_a_restart(
    conductors: Callable[..., ConductorProcess],
) -> None:
    conductor = conductors({"kill_grace_seconds": 1.0, "observer": {"enabled": True}})
    set_config(
        conductor,
        kill_grace_seconds=2.5,
        log_level="debug",
        resource_limits={"max_memory_mb": 4096},
        socket={"path": "/elsewhere.sock"},
    )
    done = conductor.request(DAEMON_RELOAD({}))
    assert done["changed"] == [
        "kill_grace_seconds: 1.0 → 2.5",
        "resource_limits.max_memory_mb: 8192 → 4096",
        "log_level: 'info' → 'debug'",
        "socket.path: None → '/elsewhere.sock'",
    ]
    assert done["needs_restart"] == ["socket.path: None → '/elsewhere.sock'"]
    assert any("observer is a setting of Marianne's conductor" in w for w in done["warnings"])
    live = conductor.request(DAEMON_CONFIG({}))
    assert live["config_file"] == str(conductor.home / "conductor.yaml")
    assert live["profile"] is None
    assert live["socket"] == str(conductor.socket)
    assert live["settings"]["resource_limits"] == {
        "max_memory_mb": 4096,
        "max_processes": 256,
        "min_free_disk_mb": 64,
        "disk_reserve_mb": 8,
    }
    assert "socket.path: None → '/elsewhere.sock' needs a restart" in conductor.log
