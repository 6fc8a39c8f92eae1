"""`podium service` as a user runs it, with a fake HOME and, standing in for the operating
system, a `systemctl` or `launchctl` on PATH that records its calls and starts what the
written file says (tests/e2e/fake_service_manager.py)."""

import os
import plistlib
import shlex
import stat
from pathlib import Path

import pytest

from podium.host.service_files import LAUNCHD_LABEL
from tests.e2e.conftest import User
from tests.e2e.fake_service_manager import install_fakes


class ServiceUser:
    """The e2e user with a home of its own and the fake service managers on PATH."""

    def __init__(self, user: User, root: Path) -> None:
        self.user = user
        self.home = root / "userhome"
        self.fake = root / "fake"
        self.fake.mkdir()
        install_fakes(root / "bin")
        env = {k: v for k, v in user.env.items() if not k.startswith("XDG_CONFIG")}
        env |= {
            "HOME": str(self.home),
            "PATH": f"{root / 'bin'}:{env['PATH']}",
            "FAKE_SERVICE_DIR": str(self.fake),
        }
        user.env = env

    def calls(self) -> list[str]:
        path = self.fake / "calls"
        lines = path.read_text().splitlines() if path.exists() else []
        return [line for line in lines if " show " not in line and " print" not in line]

    def service_pid(self) -> int:
        return int((self.fake / "pid").read_text())

    def environ(self, pid: int) -> dict[str, str]:
        raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        return dict(e.decode().partition("=")[::2] for e in raw if e)


@pytest.fixture
def service(podium: User, tmp_path: Path) -> ServiceUser:
    return ServiceUser(podium, tmp_path)


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "podium.env"
    path.write_text("# for the agents\nFAKE_AGENT_KEY='sk-test-123'\n")
    return path


def unit_file(service: ServiceUser) -> Path:
    return service.home / ".config" / "systemd" / "user" / "podium.service"


def test_install_writes_the_unit_starts_its_conductor_and_uninstall_removes_it(
    service: ServiceUser, env_file: Path
) -> None:
    podium = service.user
    installed = podium("service", "install", "--env-file", str(env_file))
    assert installed.returncode == 0, installed.stderr
    unit = unit_file(service)
    assert f"wrote the systemd user unit podium.service: {unit}" in installed.stdout
    assert "PATH      this shell's, so the agent CLIs on it are found" in installed.stdout
    assert f"{env_file} (FAKE_AGENT_KEY), read at each start" in installed.stdout
    assert "the conductor answers: pid" in installed.stdout
    assert stat.S_IMODE(unit.stat().st_mode) == 0o600
    assert f"EnvironmentFile={env_file}\n" in unit.read_text()
    assert service.calls() == [
        "systemctl --user daemon-reload",
        "systemctl --user enable podium.service",
        "systemctl --user restart podium.service",
    ]
    # The conductor the unit started is the one the user's commands reach, with the user's
    # PATH and the env file's variables.
    pid = service.service_pid()
    running = podium("conductor-status")
    assert running.returncode == 0 and f"pid {pid}" in running.stdout, running.stdout
    environ = service.environ(pid)
    assert environ["FAKE_AGENT_KEY"] == "sk-test-123"
    assert environ["PATH"] == podium.env["PATH"]
    assert environ["PODIUM_HOME"] == podium.env["PODIUM_HOME"]

    shown = podium("service", "status")
    assert shown.returncode == 0, shown.stderr
    assert f"file       {unit} (installed)" in shown.stdout
    assert "enabled    yes" in shown.stdout and "active     yes: active (running)" in shown.stdout
    assert f"conductor  running: pid {pid}," in shown.stdout
    assert "outside the service" not in shown.stdout

    # Its log is where `podium logs` reads it, and `podium logs` says where that is.
    logs = podium("logs")
    assert logs.returncode == 0 and "ready on" in logs.stdout, logs.stderr
    assert f"(log: {podium.env['PODIUM_HOME']}/conductor.log" in logs.stderr

    again = podium("service", "install")
    assert again.returncode == 2
    assert "already installed" in again.stderr and "--force" in again.stderr

    removed = podium("service", "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert f"removed the systemd user unit podium.service ({unit})" in removed.stdout
    assert not unit.exists()
    assert service.calls()[-2:] == [
        "systemctl --user disable --now podium.service",
        "systemctl --user daemon-reload",
    ]
    assert podium("conductor-status").returncode == 4
    assert "nothing to do" in podium("service", "uninstall").stdout


def test_install_force_replaces_the_unit_and_restarts_its_conductor(
    service: ServiceUser,
) -> None:
    podium = service.user
    assert podium("service", "install").returncode == 0
    first = service.service_pid()
    replaced = podium("service", "install", "--force", "--no-path", "--log-level", "debug")
    assert replaced.returncode == 0, replaced.stderr
    assert "replaced the systemd user unit" in replaced.stdout
    assert "PATH      the service manager's default (--no-path)" in replaced.stdout
    assert service.service_pid() != first
    text = unit_file(service).read_text()
    assert 'Environment="PATH=' not in text and "--log-level debug" in text


def test_a_service_conductor_that_cannot_start_is_reported_with_its_output(
    service: ServiceUser,
) -> None:
    podium = service.user
    home = Path(podium.env["PODIUM_HOME"])
    home.mkdir(mode=0o700)
    (home / "conductor.yaml").write_text("max_concurrent_sheets: many\n")
    installed = podium("service", "install")
    assert installed.returncode == 4, installed.stdout + installed.stderr
    assert "the service is installed but its conductor does not answer" in installed.stderr
    output = home / "conductor.stderr"
    assert "max_concurrent_sheets" in output.read_text()
    logs = podium("logs")
    assert logs.returncode == 2
    assert f"what it printed outside its log (a failed start, a crash): {output}" in logs.stderr


def test_install_refuses_while_a_conductor_runs_outside_the_service(
    service: ServiceUser,
) -> None:
    podium = service.user
    assert podium("start").returncode == 0
    refused = podium("service", "install")
    assert refused.returncode == 2
    assert "a conductor already runs outside the service" in refused.stderr
    assert "'podium stop'" in refused.stderr
    assert not unit_file(service).exists() and service.calls() == []
    shown = podium("service", "status")
    assert "(not installed)" in shown.stdout and "outside the service" in shown.stdout


def test_dry_run_prints_the_unit_and_commands_and_changes_nothing(
    service: ServiceUser, env_file: Path
) -> None:
    podium = service.user
    dry = podium("service", "install", "--dry-run", "--env-file", str(env_file))
    assert dry.returncode == 0, dry.stderr
    assert f"would write {unit_file(service)}" in dry.stdout
    assert "ExecStart=" in dry.stdout and "Restart=on-failure" in dry.stdout
    assert "would run:\n  systemctl --user daemon-reload\n" in dry.stdout
    assert not unit_file(service).exists() and service.calls() == []
    macos = podium(
        "service", "install", "--dry-run", "--platform", "macos", "--env-file", str(env_file)
    )
    assert "<key>FAKE_AGENT_KEY</key>\n\t\t<string>&lt;from the env file&gt;</string>" in (
        macos.stdout
    )
    assert "sk-test-123" not in macos.stdout


def test_a_bad_env_file_is_refused_with_its_line(service: ServiceUser, tmp_path: Path) -> None:
    bad = tmp_path / "bad.env"
    bad.write_text("OK=1\nexport TOKEN=x\n")
    refused = service.user("service", "install", "--env-file", str(bad))
    assert refused.returncode == 2
    assert f"{bad}:2: 'export' is shell syntax that systemd ignores" in refused.stderr
    missing = service.user("service", "install", "--env-file", str(tmp_path / "none.env"))
    assert missing.returncode == 2 and "--env-file: cannot read" in missing.stderr
    assert not unit_file(service).exists()


def test_without_a_user_manager_install_says_so_and_changes_nothing(
    service: ServiceUser,
) -> None:
    service.user.env["FAKE_SYSTEMCTL_NO_BUS"] = "1"
    refused = service.user("service", "install")
    assert refused.returncode == 2
    assert "Failed to connect to bus" in refused.stderr
    assert "'loginctl enable-linger $USER'" in refused.stderr
    assert "run the conductor with 'podium start'" in refused.stderr
    assert not unit_file(service).exists() and service.calls() == []
    shown = service.user("service", "status")
    assert shown.returncode == 0 and "manager    cannot be asked: " in shown.stdout


def test_on_macos_install_writes_the_launch_agent_and_bootstraps_it(
    service: ServiceUser, env_file: Path
) -> None:
    podium = service.user
    installed = podium("service", "install", "--platform", "macos", "--env-file", str(env_file))
    assert installed.returncode == 0, installed.stderr
    plist = service.home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
    assert f"wrote the launchd agent {LAUNCHD_LABEL}: {plist}" in installed.stdout
    assert f"{env_file}: copied now (FAKE_AGENT_KEY)" in installed.stdout
    assert "'podium service install --force'" in installed.stdout
    assert stat.S_IMODE(plist.stat().st_mode) == 0o600  # it holds the env file's values
    agent = plistlib.loads(plist.read_bytes())
    assert agent["EnvironmentVariables"]["FAKE_AGENT_KEY"] == "sk-test-123"
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    target = f"gui/{os.getuid()}/{LAUNCHD_LABEL}"
    assert service.calls() == [
        f"launchctl enable {target}",
        f"launchctl bootstrap gui/{os.getuid()} {shlex.quote(str(plist))}",
    ]
    assert f"pid {service.service_pid()}" in podium("conductor-status").stdout
    shown = podium("service", "status", "--platform", "macos", "--json")
    assert '"active": true' in shown.stdout and '"installed": true' in shown.stdout

    removed = podium("service", "uninstall", "--platform", "macos")
    assert removed.returncode == 0, removed.stderr
    assert service.calls()[-1] == f"launchctl bootout {target}"
    assert not plist.exists()
    assert podium("conductor-status").returncode == 4
