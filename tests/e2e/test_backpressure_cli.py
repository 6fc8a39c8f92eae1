"""Resource pressure as a user sees it: `conductor-status` shows it, `run` is told to wait."""

import json
import textwrap
from pathlib import Path
from typing import Any

from tests.e2e.conftest import User, wait_for

TIGHT = """
    kill_grace_seconds: 1
    monitor_interval_seconds: 0.2
    resource_limits: {max_processes: 4}
"""


def gated(folder: Path, name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        textwrap.dedent(f"""
            name: {name}
            workspace: ./ws-{name}
            instrument: cli
            sheet: {{size: 1, total_items: 1}}
            retry: {{max_retries: 0}}
            prompt:
              template: |
                echo run >> runs.txt
                while [ ! -e ../go ]; do sleep 0.02; done
        """)
    )
    return path


def pressure(podium: User) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(podium("conductor-status", "--json").stdout)["pressure"]
    return found


def test_run_under_high_pressure_is_refused_with_what_to_do(podium: User, tmp_path: Path) -> None:
    home = Path(podium.env["PODIUM_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "conductor.yaml").write_text(textwrap.dedent(TIGHT))
    assert podium("start").returncode == 0
    calm = pressure(podium)
    assert set(calm) == {"level", "reason", "memory_mb", "processes", "limits", "sampled_at"}
    assert calm["limits"] == {"max_memory_mb": 8192, "max_processes": 4}

    assert podium("run", str(gated(tmp_path, "older")), "--no-wait").returncode == 0
    wait_for((tmp_path / "ws-older" / "runs.txt").exists, "the older job to run")
    assert podium("run", str(gated(tmp_path, "newer")), "--no-wait").returncode == 0
    wait_for(lambda: pressure(podium)["level"] in ("high", "critical"), "the pressure to rise")

    refused = podium("run", str(gated(tmp_path, "third")), "--no-wait")
    assert refused.returncode == 2
    assert "\npodium: the conductor is under " in refused.stderr
    assert "of 4 processes" in refused.stderr
    assert "try again when the load drops (podium conductor-status shows it)" in refused.stderr
    shown = podium("conductor-status").stdout
    assert "  pressure        high (" in shown or "  pressure        critical (" in shown
    assert "\n  resource pressure " in podium("status").stdout

    (tmp_path / "go").touch()
    wait_for(lambda: status(podium, "older") == status(podium, "newer") == "completed", "the end")


def status(podium: User, job: str) -> str:
    found: str = json.loads(podium("status", job, "--json").stdout)["status"]
    return found
