"""The files that keep the conductor running as a service of its user: a systemd user unit
on Linux, a launchd agent on macOS. Pure: a `ServiceSpec` in, the file's text out, and where
that file goes; the service manager's commands are in `podium.host.service_manager`.

Both files run the conductor as `podium start` does in the background (`--detached`: its log
as JSON lines in its log file, where `podium logs` reads it), with the interpreter's absolute
path, so a venv or pipx install works; what it prints outside its log (a failed start, a
crash) goes to `conductor.stderr` beside it, as with `podium start`. Both restart it when it
fails, and both leave its attempts running when it stops, as the conductor is designed for:
the next start re-attaches them.
"""

import plistlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from podium.domain.errors import UserError
from podium.host.env_file import EnvFile

Platform = Literal["linux", "macos"]
PLATFORMS: tuple[Platform, ...] = ("linux", "macos")

UNIT_NAME = "podium.service"
"""The systemd user unit's name (`systemctl --user status podium`)."""
LAUNCHD_LABEL = "org.podium-conductor.podium"
"""The launchd agent's label, also its file's name."""

LOCATION_VARIABLES = (
    "PODIUM_HOME",
    "PODIUM_SOCKET",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
)
"""What decides where Podium keeps its files and its socket: each one set at install is
written into the service, so the service's conductor uses the user's current locations."""

NOT_RESTARTED_EXIT_CODES = (2, 3)
"""The conductor's exits that a restart does not mend: 2, it cannot start as configured (a bad
conductor.yaml, a state folder that takes no write); 3, another conductor holds the lock."""


_PLAIN_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
"""A word of ExecStart= that needs no quotes."""


class BadServiceValue(UserError):
    """A value that cannot be written into a service file (a line break in it)."""


@dataclass(frozen=True)
class ServiceSpec:
    """What the service runs and with which environment.

    `argv`: the conductor's command line, an absolute interpreter first. `environment`: the
    variables set for it. `env_file`: the user's environment file (systemd reads it at each
    start; launchd gets its variables copied at install, laid over `environment`).
    `output_file`: where the conductor's stdout and stderr go."""

    argv: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    env_file: EnvFile | None
    output_file: str


def service_environment(
    env: Mapping[str, str], *, capture_path: bool
) -> tuple[tuple[str, str], ...]:
    """The variables a service carries from the installing user's environment `env`: PATH
    (with `capture_path`: agent CLIs are found as in the user's shell) and the location
    variables that are set."""
    names = (("PATH",) if capture_path else ()) + LOCATION_VARIABLES
    return tuple((name, env[name]) for name in names if env.get(name))


def service_file(platform: Platform, home: str, xdg_config_home: str | None = None) -> str:
    """Where the service file goes: the user unit folder systemd reads
    (`$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`), or the user's
    LaunchAgents folder."""
    if platform == "macos":
        return f"{home}/Library/LaunchAgents/{LAUNCHD_LABEL}.plist"
    config = xdg_config_home or f"{home}/.config"
    return f"{config}/systemd/user/{UNIT_NAME}"


def render(platform: Platform, spec: ServiceSpec) -> str:
    """The service file's text for `platform`."""
    return render_plist(spec) if platform == "macos" else render_unit(spec)


# ---- systemd ------------------------------------------------------------------------------


def render_unit(spec: ServiceSpec) -> str:
    """The systemd user unit."""
    lines = [
        "# Written by 'podium service install'. To change it, run that again with --force;",
        "# 'podium service uninstall' stops the conductor and removes this file.",
        "[Unit]",
        "Description=Podium conductor",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(_exec_word(word) for word in spec.argv),
        *(f"Environment={_quoted(f'{name}={value}')}" for name, value in spec.environment),
    ]
    if spec.env_file is not None:
        lines += [
            "# Read at each start: after changing it, 'systemctl --user restart podium'.",
            f"EnvironmentFile={_specifiers(_one_line(spec.env_file.path))}",
        ]
    output = _specifiers(_one_line(spec.output_file))
    lines += [
        "Restart=on-failure",
        "RestartSec=5s",
        "# A bad conductor.yaml, or another conductor running: a restart would not mend it.",
        "RestartPreventExitStatus=" + " ".join(map(str, NOT_RESTARTED_EXIT_CODES)),
        "# Stop the conductor only: its attempts go on and are re-attached at the next start.",
        "KillMode=process",
        f"StandardOutput=append:{output}",
        f"StandardError=append:{output}",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise BadServiceValue(f"{value!r} holds a line break, which a service file cannot hold")
    return value


def _specifiers(value: str) -> str:
    """`value` with systemd's specifier sign escaped (`%h` would be the home folder)."""
    return value.replace("%", "%%")


def _quoted(value: str) -> str:
    """A double-quoted word of a unit file: backslashes and quotes escaped, specifiers too."""
    escaped = _one_line(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{_specifiers(escaped)}"'


def _exec_word(word: str) -> str:
    """A word of ExecStart=: quoted unless it is plain, and `$` doubled (systemd would expand
    `$NAME`)."""
    if _PLAIN_WORD.fullmatch(word):
        return _specifiers(word)
    return _quoted(word).replace("$", "$$")


# ---- launchd ------------------------------------------------------------------------------


def render_plist(spec: ServiceSpec) -> str:
    """The launchd agent's property list."""
    variables = dict(spec.environment)
    if spec.env_file is not None:
        variables.update(spec.env_file.variables)
    for value in (*spec.argv, *variables.values(), spec.output_file):
        _one_line(value)
    agent: dict[str, object] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(spec.argv),
        "EnvironmentVariables": variables,
        "RunAtLoad": True,
        # Started again when it exits with a failure; a clean stop ('podium stop') stays.
        "KeepAlive": {"SuccessfulExit": False},
        # Its attempts go on when it stops, and are re-attached at the next start.
        "AbandonProcessGroup": True,
        "StandardOutPath": spec.output_file,
        "StandardErrorPath": spec.output_file,
    }
    return plistlib.dumps(agent, sort_keys=False).decode()
