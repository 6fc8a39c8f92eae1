"""`podium service install|uninstall|status`: the conductor as a service of its user, started
at login and again when it fails: a systemd user unit on Linux, a launchd agent on macOS.

The file is rendered by `podium.host.service_files` and handed to the service manager by
`podium.host.service_manager`; this module decides, from what they and the conductor say,
whether to go on, and tells the user what was done.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
import time

from podium.cli import exits
from podium.cli.arguments import Formatter
from podium.cli.connect import LOADING, client, conductor_info, daemon_argv
from podium.cli.output import duration
from podium.domain.errors import UserError
from podium.host.bounded import CONFIG_MAX_BYTES, RefusedFile, read_user_text
from podium.host.env_file import EnvFile, parse_env_file
from podium.host.locations import Locations, locate
from podium.host.private import open_private, secure_state_dir
from podium.host.service_files import (
    PLATFORMS,
    Platform,
    ServiceSpec,
    render,
    service_environment,
    service_file,
)
from podium.host.service_manager import ServiceManager, ServiceState, manager_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ConductorInfo

ANSWER_TIMEOUT_SECONDS = 20.0
"""How long `install` waits for the service's conductor to answer."""

INSTALL_NOTES = """\
The service runs this Python's conductor (python -m podium.conductor.daemon --detached) with
this shell's PATH and Podium locations (PODIUM_HOME, PODIUM_SOCKET, XDG_*); it restarts it
when it fails and leaves its attempts running when it stops. Its log is where 'podium logs'
reads it. Install refuses while a conductor runs outside the service ('podium stop' first),
and when the service is installed already (--force replaces it)."""

_ACTIONS = (
    (
        "install",
        "write the service file and start the conductor as a service: it starts at login "
        "and again when it fails; its log is where 'podium logs' reads it",
    ),
    ("uninstall", "stop the service's conductor and remove the service file"),
    ("status", "whether the service is installed, enabled and active, and its conductor"),
)


def declare(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    for name, summary in _ACTIONS:
        action = sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ". See docs/service.md.",
            formatter_class=Formatter,
        )
        action.add_argument(
            "--platform",
            choices=PLATFORMS,
            help="the service manager to use: linux, a systemd user unit (systemctl --user); "
            "macos, a launchd agent (launchctl). Default: this system's",
        )
        if name == "install":
            action.epilog = INSTALL_NOTES
            _declare_install(action)
        if name == "status":
            action.add_argument("--json", action="store_true", help="print JSON")


def _declare_install(action: argparse.ArgumentParser) -> None:
    action.add_argument(
        "--env-file",
        metavar="PATH",
        help="variables for the conductor, KEY=VALUE a line (API keys, proxies). systemd "
        "reads the file at each start ('systemctl --user restart podium' after a change); "
        "launchd gets its variables copied now ('podium service install --force' after a "
        "change)",
    )
    action.add_argument(
        "--no-path",
        action="store_true",
        help="do not copy this shell's PATH into the service (by default it is, so the agent "
        "CLIs on it are found)",
    )
    action.add_argument(
        "--force", action="store_true", help="replace an installed service and restart it"
    )
    action.add_argument(
        "--dry-run",
        action="store_true",
        help="print the file and the commands, and change nothing",
    )
    action.add_argument(
        "--config", metavar="FILE", help="conductor.yaml to use instead of the default"
    )
    action.add_argument(
        "--profile",
        "-p",
        choices=("dev", "intensive", "minimal"),
        help="a built-in profile laid over conductor.yaml (as with 'podium start')",
    )
    action.add_argument(
        "--log-level",
        "-l",
        choices=("debug", "info", "warning", "error"),
        help="overrides log_level (and the profile's)",
    )


def run(args: argparse.Namespace) -> int:
    platform: Platform = args.platform or this_platform(sys.platform)
    env = dict(os.environ)
    path = service_file(platform, _home(env), env.get("XDG_CONFIG_HOME"))
    manager = manager_for(platform, path)
    if args.service_command == "install":
        return install(args, platform, manager, env)
    if args.service_command == "uninstall":
        return uninstall(manager)
    return status(manager, as_json=args.json)


def this_platform(name: str) -> Platform:
    """The service platform of `sys.platform` `name`."""
    if name == "darwin":
        return "macos"
    if name.startswith("linux"):
        return "linux"
    raise UserError(
        f"Podium knows no service manager on {name}: it writes systemd user units (Linux) and "
        "launchd agents (macOS); run the conductor with 'podium start' instead"
    )


def _home(env: dict[str, str]) -> str:
    return env.get("HOME") or os.path.expanduser("~")


# ---- install ------------------------------------------------------------------------------


def install(
    args: argparse.Namespace, platform: Platform, manager: ServiceManager, env: dict[str, str]
) -> int:
    locations = locate(env, config_file=args.config)
    spec = ServiceSpec(
        argv=(*daemon_argv(args.config, args.profile, args.log_level), "--detached"),
        environment=service_environment(env, capture_path=not args.no_path),
        env_file=_env_file(args.env_file) if args.env_file else None,
        output_file=locations.stderr_file,
    )
    if args.dry_run:
        _print_dry_run(manager, render(platform, _hidden(spec)))
        return exits.OK
    text = render(platform, spec)
    now = manager.state()
    _check_can_install(manager, now, locations, force=args.force)
    _prepare_output(locations)
    manager.install(text, now)
    print(f"{'replaced' if now.installed else 'wrote'} the {manager.kind}: {manager.path}")
    _describe(platform, spec, locations)
    return _report_answer(manager, locations)


def _env_file(path: str) -> EnvFile:
    absolute = os.path.abspath(os.path.expanduser(path))
    try:
        text = read_user_text(absolute, CONFIG_MAX_BYTES, "an environment file", "a text file")
    except RefusedFile as exc:
        raise UserError(f"--env-file: {exc}") from None
    except OSError as exc:
        raise UserError(
            f"--env-file: cannot read {absolute} ({exc.strerror or exc}); name a file of "
            "KEY=VALUE lines"
        ) from None
    except UnicodeDecodeError:
        raise UserError(f"--env-file: {absolute} is not UTF-8 text") from None
    return parse_env_file(absolute, text)


HIDDEN = "<from the env file>"
"""What a dry run shows of each value of the env file: it prints to a terminal."""


def _hidden(spec: ServiceSpec) -> ServiceSpec:
    if spec.env_file is None:
        return spec
    hidden = tuple((name, HIDDEN) for name, _ in spec.env_file.variables)
    return dataclasses.replace(spec, env_file=EnvFile(spec.env_file.path, hidden))


def _print_dry_run(manager: ServiceManager, text: str) -> None:
    print(f"would write {manager.path} ({manager.kind}):\n")
    print(text)
    print("would run:")
    for command in manager.install_commands(manager.state()):
        print(f"  {shlex.join(command)}")


def _check_can_install(
    manager: ServiceManager, now: ServiceState, locations: Locations, *, force: bool
) -> None:
    if now.problem is not None:
        raise UserError(
            f"cannot install the {manager.kind}: {now.problem}. Without a service manager, "
            "run the conductor with 'podium start'"
        )
    if now.installed and not force:
        raise UserError(
            f"the {manager.kind} is already installed ({manager.path}); "
            "'podium service install --force' replaces it, 'podium service uninstall' "
            "removes it"
        )
    with client(locations) as conductor:
        info = conductor_info(conductor)
    if info is not None and info["pid"] != now.pid:
        raise UserError(
            f"a conductor already runs outside the service (pid {info['pid']}, "
            f"{info['socket']}); stop it with 'podium stop', then run 'podium service "
            "install' again (its running attempts go on and the service's conductor picks "
            "them up)"
        )


def _prepare_output(locations: Locations) -> None:
    """Create the state folder and the output file private before the service manager opens
    the file (it would create it with its own modes)."""
    secure_state_dir(locations.state_dir)
    os.close(open_private(locations.stderr_file, os.O_WRONLY | os.O_APPEND))


def _describe(platform: Platform, spec: ServiceSpec, locations: Locations) -> None:
    print(f"  runs      {shlex.join(spec.argv)}")
    path = dict(spec.environment).get("PATH")
    if path is not None:
        print(
            f"  PATH      this shell's, so the agent CLIs on it are found: {path}\n"
            "            (after installing one elsewhere, 'podium service install --force')"
        )
    else:
        print("  PATH      the service manager's default (--no-path)")
    if spec.env_file is not None:
        print(f"  env file  {_env_file_note(platform, spec.env_file)}")
    if platform == "linux":
        print("  restarts  when it fails (not when conductor.yaml is wrong: fix it, then restart)")
    else:
        print("  restarts  when it fails (at most every 10 s)")
    print(
        f"  log       'podium logs': {locations.log_file}; its other output (a failed "
        f"start, a crash): {locations.stderr_file}"
    )
    if platform == "linux":
        print(
            "  at boot   only with lingering: 'loginctl enable-linger $USER' keeps it running "
            "when you log out"
        )


def _env_file_note(platform: Platform, env_file: EnvFile) -> str:
    names = ", ".join(name for name, _ in env_file.variables) or "no variables"
    if platform == "linux":
        return (
            f"{env_file.path} ({names}), read at each start: after changing it, "
            "'systemctl --user restart podium'"
        )
    return (
        f"{env_file.path}: copied now ({names}); after changing it, "
        "'podium service install --force'"
    )


def _report_answer(manager: ServiceManager, locations: Locations) -> int:
    info, now = _wait_for_answer(manager, locations)
    if info is not None:
        print(f"the conductor answers: pid {info['pid']}, socket {info['socket']}")
        return exits.OK
    print(
        f"the service is installed but its conductor does not answer (the service is "
        f"{now.detail}); 'podium service status' and 'podium logs' say why",
        file=sys.stderr,
    )
    return exits.NO_CONDUCTOR


def _wait_for_answer(
    manager: ServiceManager, locations: Locations
) -> tuple[ConductorInfo | None, ServiceState]:
    """The service's conductor's `daemon.status` once it answers past loading (it has read its
    settings and store, so it will not fail to start any more); None when the service stops
    (or does not start) first, or after ANSWER_TIMEOUT_SECONDS."""
    deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
    while True:
        now = manager.state()
        info = _conductor(locations)
        if info is not None and info["pid"] == now.pid and info["state"] != LOADING:
            return info, now
        if now.active is False or time.monotonic() > deadline:
            return None, now
        time.sleep(0.1)


def _conductor(locations: Locations) -> ConductorInfo | None:
    """The conductor's `daemon.status`, from the socket it names now."""
    found = locate(config_file=locations.config_file)
    with client(found, timeout=5.0) as conductor:
        return conductor_info(conductor)


# ---- uninstall ----------------------------------------------------------------------------


def uninstall(manager: ServiceManager) -> int:
    now = manager.state()
    if now.problem is not None and now.installed:
        raise UserError(f"cannot uninstall the {manager.kind}: {now.problem}")
    if not now.installed and not now.loaded:
        print(f"no {manager.kind} is installed ({manager.path}); nothing to do")
        return exits.OK
    manager.uninstall(now)
    stopped = f" and stopped its conductor (pid {now.pid})" if now.pid else ""
    print(f"removed the {manager.kind} ({manager.path}){stopped}")
    return exits.OK


# ---- status -------------------------------------------------------------------------------


def status(manager: ServiceManager, *, as_json: bool) -> int:
    now = manager.state()
    locations = locate()
    info = _conductor(locations)
    if as_json:
        print(json.dumps(_status_json(manager, now, info, locations), indent=2))
        return exits.OK
    print(manager.kind)
    print(f"  file       {manager.path} ({'installed' if now.installed else 'not installed'})")
    if now.problem is not None:
        print(f"  manager    cannot be asked: {now.problem}")
    else:
        print(f"  enabled    {_yes(now.enabled)}")
        print(f"  active     {_yes(now.active)}: {now.detail}")
    print(f"  conductor  {_conductor_line(now, info, locations)}")
    print(f"  log        'podium logs': {_log_file(info, locations)}")
    print(f"             its other output (a failed start, a crash): {locations.stderr_file}")
    if not now.installed:
        print("install it with 'podium service install'")
    return exits.OK


def _yes(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _conductor_line(now: ServiceState, info: ConductorInfo | None, locations: Locations) -> str:
    if info is None:
        return f"not answering on {locations.socket}"
    running = f"running: pid {info['pid']}, up {duration(info['uptime_seconds'])}, version "
    running += f"{info['version']}, {info['active_jobs']} active job(s)"
    if info["pid"] != now.pid:
        running += " (outside the service: started by 'podium start' or 'podium run')"
    return running


def _log_file(info: ConductorInfo | None, locations: Locations) -> str:
    return info["log_file"] if info is not None else locations.log_file


def _status_json(
    manager: ServiceManager, now: ServiceState, info: ConductorInfo | None, locations: Locations
) -> dict[str, object]:
    return {
        "kind": manager.kind,
        "file": manager.path,
        "installed": now.installed,
        "enabled": now.enabled,
        "active": now.active,
        "state": now.detail,
        "pid": now.pid,
        "problem": now.problem,
        "log_file": _log_file(info, locations),
        "output_file": locations.stderr_file,
        "conductor": info,
    }
