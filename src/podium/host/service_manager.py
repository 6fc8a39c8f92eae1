"""The service manager that keeps the conductor running: systemd's user manager on Linux
(`systemctl --user`), launchd on macOS (`launchctl`). Each is asked for the service's state and
given its file; the commands are found on PATH, so a test stands a recording script in for the
OS. The file's text comes from `podium.host.service_files`.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from podium.domain.errors import UserError
from podium.host.private import make_private_dir, open_private
from podium.host.service_files import LAUNCHD_LABEL, UNIT_NAME, Platform

COMMAND_TIMEOUT_SECONDS = 60.0


class ServiceManagerError(UserError):
    """The service manager is missing, does not answer, or refused a command."""


@dataclass(frozen=True)
class ServiceState:
    """What the service manager says of the service. `enabled` and `active` are None when it
    could not be asked (`problem` says why); `pid` is the conductor's when it runs."""

    installed: bool
    loaded: bool
    enabled: bool | None
    active: bool | None
    detail: str
    pid: int | None = None
    problem: str | None = None


Command = tuple[str, ...]


class ServiceManager:
    """One platform's service manager: its state of the service, and the commands that
    install and remove it (`install_commands` and `uninstall_commands` show them first)."""

    kind: str
    """What the service is, for people: 'systemd user unit podium.service'."""

    def __init__(self, path: str) -> None:
        self.path = path

    def state(self) -> ServiceState:
        raise NotImplementedError

    def install_commands(self, now: ServiceState) -> list[Command]:
        """The commands that load the written file (again, when it was loaded) and start it."""
        raise NotImplementedError

    def uninstall_commands(self, now: ServiceState) -> list[Command]:
        """The commands that stop the service and unload it (before its file is removed)."""
        raise NotImplementedError

    def after_removal_commands(self) -> list[Command]:
        """The commands to run once the file is removed."""
        return []

    def install(self, text: str, now: ServiceState) -> None:
        """Write the service file (private: it may hold secrets) and start the service."""
        write_file(self.path, text)
        for command in self.install_commands(now):
            run(command)

    def uninstall(self, now: ServiceState) -> None:
        """Stop the service and remove its file."""
        for command in self.uninstall_commands(now):
            run(command)
        Path(self.path).unlink(missing_ok=True)
        for command in self.after_removal_commands():
            run(command)


class Systemd(ServiceManager):
    """systemd's user manager: `systemctl --user`."""

    kind = f"systemd user unit {UNIT_NAME}"

    def state(self) -> ServiceState:
        installed = Path(self.path).exists()
        try:
            shown = run(
                (
                    "systemctl",
                    "--user",
                    "show",
                    UNIT_NAME,
                    "--property=LoadState,UnitFileState,ActiveState,SubState,MainPID",
                )
            )
        except ServiceManagerError as exc:
            return ServiceState(installed, False, None, None, "unknown", problem=str(exc))
        return systemd_state(installed, shown)

    def install_commands(self, now: ServiceState) -> list[Command]:
        user = ("systemctl", "--user")
        return [
            (*user, "daemon-reload"),
            (*user, "enable", UNIT_NAME),
            (*user, "restart", UNIT_NAME),
        ]

    def uninstall_commands(self, now: ServiceState) -> list[Command]:
        known = now.installed or now.loaded
        return [("systemctl", "--user", "disable", "--now", UNIT_NAME)] if known else []

    def after_removal_commands(self) -> list[Command]:
        return [("systemctl", "--user", "daemon-reload")]


def systemd_state(installed: bool, shown: str) -> ServiceState:
    """The state in `systemctl show`'s KEY=VALUE lines."""
    properties = dict(line.partition("=")[::2] for line in shown.splitlines() if "=" in line)
    loaded = properties.get("LoadState") == "loaded"
    active = properties.get("ActiveState", "unknown")
    pid = int(properties.get("MainPID", "0") or 0)
    return ServiceState(
        installed,
        loaded,
        enabled=properties.get("UnitFileState") == "enabled",
        active=active in ("active", "activating", "reloading"),
        detail=f"{active} ({properties.get('SubState', 'unknown')})",
        pid=pid or None,
    )


class Launchd(ServiceManager):
    """launchd, in the user's GUI domain: `launchctl … gui/<uid>`."""

    kind = f"launchd agent {LAUNCHD_LABEL}"

    def __init__(self, path: str, uid: int) -> None:
        super().__init__(path)
        self.domain = f"gui/{uid}"
        self.target = f"{self.domain}/{LAUNCHD_LABEL}"

    def state(self) -> ServiceState:
        installed = Path(self.path).exists()
        try:
            printed = ask(("launchctl", "print", self.target))
            disabled = ask(("launchctl", "print-disabled", self.domain))
        except ServiceManagerError as exc:
            return ServiceState(installed, False, None, None, "unknown", problem=str(exc))
        return launchd_state(installed, printed, disabled)

    def install_commands(self, now: ServiceState) -> list[Command]:
        replace = [("launchctl", "bootout", self.target)] if now.loaded else []
        return [
            *replace,
            ("launchctl", "enable", self.target),
            ("launchctl", "bootstrap", self.domain, self.path),
        ]

    def uninstall_commands(self, now: ServiceState) -> list[Command]:
        return [("launchctl", "bootout", self.target)] if now.loaded else []


def launchd_state(installed: bool, printed: str | None, disabled: str | None) -> ServiceState:
    """The state in `launchctl print`'s answer (None: the agent is not loaded) and in
    `launchctl print-disabled`'s (`"label" => disabled`, or `=> true` on older systems)."""
    if printed is None:
        return ServiceState(installed, False, enabled=False, active=False, detail="not loaded")
    facts = {}
    for line in printed.splitlines():
        key, arrow, value = line.strip().partition(" = ")
        if arrow and key not in facts:
            facts[key] = value.strip()
    off = any(
        f'"{LAUNCHD_LABEL}"' in line and line.rstrip().endswith(("disabled", "true"))
        for line in (disabled or "").splitlines()
    )
    state = facts.get("state", "unknown")
    pid = facts.get("pid", "")
    return ServiceState(
        installed,
        True,
        enabled=not off,
        active=state == "running",
        detail=state,
        pid=int(pid) if pid.isdigit() else None,
    )


def manager_for(platform: Platform, path: str) -> ServiceManager:
    """The service manager of `platform`, for the service file at `path`."""
    return Launchd(path, os.getuid()) if platform == "macos" else Systemd(path)


def write_file(path: str, text: str) -> None:
    """Write the file whole and private: a temporary file renamed over the old one."""
    target = Path(path)
    make_private_dir(target.parent)
    temporary = target.with_name(f"{target.name}.tmp")
    fd = open_private(temporary, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    temporary.replace(target)


def run(command: Command) -> str:
    """Run a service manager's command; its output. A failure is a ServiceManagerError that
    quotes the command's own words."""
    done = _run(command)
    if done.returncode == 0:
        return done.stdout
    said = (done.stderr or done.stdout).strip() or "no message"
    raise ServiceManagerError(
        f"'{' '.join(command)}' failed (exit code {done.returncode}): {said}{_hint(command)}"
    )


def ask(command: Command) -> str | None:
    """Run a service manager's question; its output, or None when it says no (`launchctl
    print` of an agent that is not loaded)."""
    done = _run(command)
    return done.stdout if done.returncode == 0 else None


def _run(command: Command) -> "subprocess.CompletedProcess[str]":
    found = shutil.which(command[0])
    if found is None:
        raise ServiceManagerError(
            f"'{command[0]}' is not on PATH: the service needs systemd's user manager (Linux) "
            "or launchd (macOS). Without one, run the conductor with 'podium start'"
        )
    try:
        return subprocess.run(
            [found, *command[1:]],
            capture_output=True,
            text=True,
            check=False,
            timeout=COMMAND_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ServiceManagerError(
            f"'{' '.join(command)}' did not answer within {COMMAND_TIMEOUT_SECONDS:g}s"
        ) from None


def _hint(command: Command) -> str:
    if command[:2] == ("systemctl", "--user"):
        return (
            "; systemd's user manager must be running for you (a login session; on a server, "
            "'loginctl enable-linger $USER' starts it at boot)"
        )
    return ""
