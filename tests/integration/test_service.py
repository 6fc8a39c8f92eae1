"""The systemd user unit against systemd itself: linted by `systemd-analyze verify` where that
is installed, and installed for real where `systemctl --user` answers (a login session; not
a container). Each skips, saying why, where its tool is missing."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podium.host.env_file import EnvFile
from podium.host.service_files import ServiceSpec, render_unit, service_environment

ANALYZE = shutil.which("systemd-analyze")


def verify(unit_text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze --user verify` of the unit, in a runtime folder of its own (it needs
    one, and a container has none)."""
    unit = folder / "podium.service"
    unit.write_text(unit_text)
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700)
    return subprocess.run(
        [ANALYZE or "systemd-analyze", "--user", "--man=no", "verify", str(unit)],
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def spec(tmp_path: Path) -> ServiceSpec:
    env_file = tmp_path / "my env"
    env_file.write_text("KEY=value\n")
    return ServiceSpec(
        argv=(sys.executable, "-m", "podium.conductor.daemon", "--detached", "--config", "/c/50%"),
        environment=(*service_environment(dict(os.environ), capture_path=True), ("Q", 'a "b"')),
        env_file=EnvFile(str(env_file), (("KEY", "value"),)),
        output_file=str(tmp_path / "state dir" / "conductor.stderr"),
    )


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verifies_the_unit_without_a_warning(tmp_path: Path) -> None:
    checked = verify(render_unit(spec(tmp_path)), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed here")
def test_the_lint_catches_what_systemd_would_ignore(tmp_path: Path) -> None:
    unit = render_unit(spec(tmp_path)).replace("Restart=on-failure", "Restart=sometimes")
    checked = verify(unit, tmp_path)
    assert "Failed to parse service restart specifier" in checked.stderr


def user_manager_answers() -> bool:
    if shutil.which("systemctl") is None:
        return False
    try:
        done = subprocess.run(
            ["systemctl", "--user", "show-environment"],
            capture_output=True,
            check=False,
            timeout=10,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


PODIUM = str(Path(sys.executable).parent / "podium")
REAL_UNIT = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "systemd/user"


@pytest.mark.skipif(not user_manager_answers(), reason="no systemd user manager answers here")
@pytest.mark.skipif(
    (REAL_UNIT / "podium.service").exists(), reason="this user has a podium service installed"
)
def test_a_real_user_unit_runs_the_conductor_until_uninstalled(tmp_path: Path) -> None:
    env = {**os.environ, "PODIUM_HOME": str(tmp_path / "home")}

    def podium(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PODIUM, *args], env=env, capture_output=True, text=True, check=False, timeout=90
        )

    installed = podium("service", "install")
    try:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert "the conductor answers" in installed.stdout
        shown = podium("service", "status")
        assert "active     yes" in shown.stdout and "conductor  running" in shown.stdout
    finally:
        removed = podium("service", "uninstall")
    assert removed.returncode == 0, removed.stderr
    deadline = time.monotonic() + 30
    while podium("conductor-status").returncode != 4:
        assert time.monotonic() < deadline, "the service's conductor did not stop"
        time.sleep(0.1)
