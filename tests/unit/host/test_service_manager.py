"""What the service managers' answers say of the service, and the commands that install and
remove it on each platform."""

from podium.host.service_files import LAUNCHD_LABEL
from podium.host.service_manager import (
    Launchd,
    ServiceState,
    Systemd,
    launchd_state,
    manager_for,
    systemd_state,
)

LABEL_TARGET = f"gui/501/{LAUNCHD_LABEL}"


def state(installed: bool = True, loaded: bool = True) -> ServiceState:
    return ServiceState(installed, loaded, True, True, "running")


def test_systemctl_show_gives_enabled_active_and_the_main_pid() -> None:
    shown = (
        "LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nSubState=running\n"
        "MainPID=4242\n"
    )
    assert systemd_state(True, shown) == ServiceState(
        True, True, enabled=True, active=True, detail="active (running)", pid=4242
    )
    stopped = "LoadState=loaded\nUnitFileState=disabled\nActiveState=failed\nSubState=failed\n"
    assert systemd_state(True, stopped + "MainPID=0\n") == ServiceState(
        True, True, enabled=False, active=False, detail="failed (failed)", pid=None
    )
    unknown = systemd_state(False, "LoadState=not-found\nActiveState=inactive\nMainPID=\n")
    assert (unknown.loaded, unknown.enabled, unknown.active, unknown.pid) == (
        False,
        False,
        False,
        None,
    )


def test_launchctl_print_gives_running_and_the_pid_and_print_disabled_enabled() -> None:
    printed = (
        f"{LABEL_TARGET} = {{\n\tactive count = 1\n\tstate = running\n\tpid = 77\n"
        "\tendpoints = {\n\t\tstate = waiting\n\t}\n}\n"
    )
    enabled = f'disabled services = {{\n\t"{LAUNCHD_LABEL}" => enabled\n\t"x.y" => disabled\n}}\n'
    assert launchd_state(True, printed, enabled) == ServiceState(
        True, True, enabled=True, active=True, detail="running", pid=77
    )
    for off in ("disabled", "true"):
        answer = f'disabled services = {{\n\t"{LAUNCHD_LABEL}" => {off}\n}}\n'
        assert launchd_state(True, printed, answer).enabled is False
    waiting = launchd_state(True, "x = {\n\tstate = not running\n}\n", None)
    assert (waiting.active, waiting.pid, waiting.enabled) == (False, None, True)
    assert launchd_state(False, None, None) == ServiceState(
        False, False, enabled=False, active=False, detail="not loaded"
    )


def test_systemd_reloads_enables_and_restarts_then_disables_and_reloads() -> None:
    manager = Systemd("/h/.config/systemd/user/podium.service")
    assert manager.install_commands(state()) == [
        ("systemctl", "--user", "daemon-reload"),
        ("systemctl", "--user", "enable", "podium.service"),
        ("systemctl", "--user", "restart", "podium.service"),
    ]
    assert manager.uninstall_commands(state()) == [
        ("systemctl", "--user", "disable", "--now", "podium.service")
    ]
    assert manager.uninstall_commands(state(installed=False, loaded=False)) == []
    assert manager.after_removal_commands() == [("systemctl", "--user", "daemon-reload")]


def test_launchd_boots_the_agent_out_before_bootstrapping_it_again() -> None:
    manager = Launchd("/Users/u/Library/LaunchAgents/a.plist", 501)
    fresh = [
        ("launchctl", "enable", LABEL_TARGET),
        ("launchctl", "bootstrap", "gui/501", "/Users/u/Library/LaunchAgents/a.plist"),
    ]
    assert manager.install_commands(state(loaded=False)) == fresh
    assert manager.install_commands(state()) == [("launchctl", "bootout", LABEL_TARGET), *fresh]
    assert manager.uninstall_commands(state()) == [("launchctl", "bootout", LABEL_TARGET)]
    assert manager.uninstall_commands(state(loaded=False)) == []
    assert manager.after_removal_commands() == []


def test_the_platform_picks_the_manager() -> None:
    assert isinstance(manager_for("linux", "/u"), Systemd)
    assert isinstance(manager_for("macos", "/p"), Launchd)
