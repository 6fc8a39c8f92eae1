"""`podium doctor`: whether this machine can run Podium, and what to do where it cannot.

Every check is a `Finding`; each look at the machine is a small function, so that the whole
report says in one place what is fine, what may bite later and what stops Podium now.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from podium import __version__
from podium.cli import exits
from podium.cli.connect import client, conductor_info
from podium.cli.output import paint, use_color
from podium.domain.errors import UserError
from podium.host import platform
from podium.host.locations import Locations, locate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from podium.instruments.check import CheckReport
    from podium.instruments.profile import InstrumentProfile

MIN_PYTHON = (3, 11)
DISK_WARN_BYTES = 1024**3
"""Below this much free space where the state lives, say so: attempt logs grow."""
DISK_FAIL_BYTES = 100 * 1024**2
"""Below this, SQLite and the logs may fail to write: the conductor cannot be trusted."""

OK, INFO, WARN, FAIL = "ok", "info", "warn", "fail"
_MARKS = {OK: ("✓", "green"), INFO: ("·", "dim"), WARN: ("!", "yellow"), FAIL: ("✗", "red")}


@dataclass(frozen=True)
class Finding:
    area: str
    level: str
    """ok, info (worth knowing), warn (may bite later) or fail (stops Podium now)."""
    message: str
    fix: str | None = None


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--repair",
        action="store_true",
        help="bring back a lost or damaged database (the conductor stopped; see below)",
    )
    p.epilog = (
        "When the conductor refuses to start because its database is damaged, or knows no\n"
        "job while job folders exist (a -wal file lost after a crash, say), stop it and run\n"
        "'podium doctor --repair'. It moves the database aside (never deletes it), restores\n"
        "the newest backup that passes an integrity check (the conductor keeps the last 7,\n"
        "one a day and one before each schema change, in <state>/backups/), then registers\n"
        "every job folder the database does not know from what its files prove: its card\n"
        "(job.json) and its attempts' exit files. Sheets it cannot prove completed are\n"
        "pending; such jobs are paused, to be resumed. It prints what it restored and what\n"
        "it could not prove.\n\n"
        "To restore a backup yourself instead: 'podium stop', move podium.db, podium.db-wal\n"
        "and podium.db-shm aside, copy the backup to <state>/podium.db, 'podium start'."
    )


def run(args: argparse.Namespace) -> int:
    locations = locate()
    if getattr(args, "repair", False):
        return repair(locations)
    findings = [
        *python_findings(sys.version_info[:3]),
        *platform_findings(),
        *state_findings(locations),
        *config_findings(Path(locations.config_file)),
        *conductor_findings(locations),
        *instrument_findings(os.environ),
    ]
    healthy = all(f.level != FAIL for f in findings)
    if args.json:
        print(json.dumps({"ok": healthy, "checks": [asdict(f) for f in findings]}, indent=2))
    else:
        print(render(findings, use_color()))
    return exits.OK if healthy else exits.INTERNAL


def repair(locations: Locations) -> int:
    """`--repair`, with the conductor stopped: run in a process of its own, as the conductor
    is (it opens the store, which this command never imports)."""
    with client(locations, timeout=5.0) as conductor:
        info = conductor_info(conductor)
    if info is not None:
        raise UserError(
            f"the conductor is running (pid {info['pid']}); a repair needs it stopped: "
            "'podium stop', then 'podium doctor --repair' again"
        )
    done = subprocess.run([sys.executable, "-m", "podium.conductor.repair"], check=False)
    return exits.OK if done.returncode == 0 else exits.USER


def render(findings: Iterable[Finding], color: bool) -> str:
    lines: list[str] = []
    area = None
    counts = {OK: 0, INFO: 0, WARN: 0, FAIL: 0}
    for f in findings:
        counts[f.level] += 1
        if f.area != area:
            area = f.area
            lines.append(f"{area}:")
        mark, hue = _MARKS[f.level]
        lines.append(f"  {paint(mark, hue, color)} {f.message}")
        if f.fix:
            lines.append(f"      {paint('→ ' + f.fix, 'dim', color)}")
    problems = counts[FAIL]
    verdict = (
        f"{problems} problem(s) stop Podium here; fix them and run 'podium doctor' again"
        if problems
        else "Podium can run here" + (f" ({counts[WARN]} warning(s) above)" if counts[WARN] else "")
    )
    lines += ["", paint(verdict, "red" if problems else "green", color)]
    return "\n".join(lines)


def python_findings(version: tuple[int, ...]) -> list[Finding]:
    text = ".".join(map(str, version))
    if tuple(version[:2]) < MIN_PYTHON:
        return [
            Finding(
                "python",
                FAIL,
                f"Python {text} is older than {'.'.join(map(str, MIN_PYTHON))}",
                "install Python 3.11 or newer and reinstall Podium with it",
            )
        ]
    return [Finding("python", OK, f"Python {text}, podium {__version__} ({sys.executable})")]


def platform_findings(chosen: platform.HostMode | None = None) -> list[Finding]:
    """Which way processes and socket peers are looked at here, and why (never a failure:
    every way keeps the same guarantees, docs/platforms.md)."""
    chosen = chosen or platform.mode()
    kind = "portable paths" if chosen.portable else "Linux fast paths"
    found = [Finding("system", OK, f"{kind}: {chosen.summary()}")]
    for what, choice in (
        ("processes", chosen.processes),
        ("exits", chosen.exits),
        ("peers", chosen.peers),
    ):
        found.append(Finding("system", INFO, f"{what}: {choice.way}, because {choice.reason}"))
    return found


def state_findings(locations: Locations) -> list[Finding]:
    state = Path(locations.state_dir)
    found: list[Finding] = []
    if not state.exists():
        found.append(
            Finding("state", INFO, f"{state} does not exist yet; the first start creates it")
        )
        probe = _existing_parent(state)
    else:
        mode = stat.S_IMODE(state.stat().st_mode)
        if not os.access(state, os.W_OK):
            found.append(Finding("state", FAIL, f"{state} is not writable", f"chmod u+w {state}"))
        elif mode & 0o077:
            found.append(
                Finding(
                    "state",
                    WARN,
                    f"{state} can be read by others (mode {mode:o}); prompts and outputs "
                    "are kept there",
                    f"chmod 700 {state}",
                )
            )
        else:
            found.append(Finding("state", OK, f"{state} (mode {mode:o})"))
        probe = state
    found.append(disk_finding(probe, shutil.disk_usage(probe).free))
    return found


def disk_finding(where: Path, free: int) -> Finding:
    text = f"{free / 1024**3:.1f} GB free on {where}"
    if free < DISK_FAIL_BYTES:
        return Finding(
            "state", FAIL, text, "free some space: the store and attempt logs need room to write"
        )
    if free < DISK_WARN_BYTES:
        return Finding(
            "state", WARN, text, "attempt logs grow with every run; 'podium clear' removes old jobs"
        )
    return Finding("state", OK, text)


def config_findings(path: Path) -> list[Finding]:
    if not path.exists():
        return [
            Finding(
                "config",
                INFO,
                f"no {path}; the conductor runs on its defaults",
                "'podium config init' writes one with every setting",
            )
        ]
    from podium.config import load_config  # noqa: PLC0415 - pydantic only when there is a file

    try:
        load_config(path, explicit=True)
    except UserError as exc:
        return [
            Finding("config", FAIL, str(exc), f"correct {path}; 'podium config check' says more")
        ]
    return [Finding("config", OK, f"{path} is valid")]


def conductor_findings(locations: Locations) -> list[Finding]:
    socket = locations.socket
    found = [_socket_folder_finding(Path(socket).parent)]
    if locations.socket_too_long():
        found.append(
            Finding(
                "conductor",
                FAIL,
                f"the socket path {socket} is too long for a Unix socket",
                "set PODIUM_SOCKET to a shorter path",
            )
        )
        return found
    with client(locations, timeout=5.0) as conductor:
        info = conductor_info(conductor)
    if info is None:
        left = os.path.exists(socket)
        found.append(
            Finding(
                "conductor",
                INFO,
                "not running"
                + (f" ({socket} was left by a conductor that crashed)" if left else ""),
                "'podium start' starts it ('podium run' does too)",
            )
        )
        return found
    found.append(
        Finding(
            "conductor",
            OK,
            f"running: pid {info['pid']}, {info['active_jobs']} active job(s), on {socket}",
        )
    )
    pressure = info["pressure"]
    if pressure["level"] == "disk":
        found.append(
            Finding(
                "conductor",
                FAIL,
                f"dispatch stopped: {pressure['reason']}",
                "free space in the state folder (or make it writable); the conductor goes on "
                "by itself once it can write there",
            )
        )
    if info["version"] != __version__:
        found.append(
            Finding(
                "conductor",
                WARN,
                f"the conductor runs podium {info['version']}, this command is {__version__}",
                "'podium restart' (running attempts go on and are re-attached)",
            )
        )
    mode = stat.S_IMODE(os.stat(socket).st_mode)
    if mode & 0o077:
        found.append(
            Finding(
                "conductor",
                WARN,
                f"the socket {socket} is open to others (mode {mode:o})",
                "'podium restart' creates it private again",
            )
        )
    return found


def _socket_folder_finding(folder: Path) -> Finding:
    if not folder.exists():
        return Finding(
            "conductor", INFO, f"{folder} does not exist yet; the first start creates it"
        )
    info = folder.stat()
    if info.st_uid != os.getuid():
        return Finding(
            "conductor",
            FAIL,
            f"the socket's folder {folder} belongs to another user (uid {info.st_uid})",
            "set PODIUM_SOCKET to a path in a folder of your own",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        return Finding(
            "conductor",
            WARN,
            f"others may write in the socket's folder {folder} (mode {mode:o})",
            "set PODIUM_SOCKET to a path in a private (0700) folder",
        )
    return Finding("conductor", OK, f"socket folder {folder} (mode {mode:o})")


def instrument_findings(env: Mapping[str, str]) -> list[Finding]:
    from podium.instruments import check  # noqa: PLC0415 - profiles only for this command
    from podium.instruments.registry import discover  # noqa: PLC0415

    registry = discover()
    found = [
        Finding("instruments", FAIL, problem, "correct or remove that profile file")
        for problem in registry.problems
    ]
    profiles = [registry.profiles[name] for name in registry.names()]

    def look(profile: InstrumentProfile) -> CheckReport:
        command = profile.cli.command if profile.cli is not None else None
        binary = check.which(command.executable) if command is not None else None
        version = check.read_version(binary) if binary else None
        return check.report(profile, registry.origin(profile.name) or "?", binary, version, env)

    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(look, profiles))
    found += [instrument_finding(r) for r in reports]
    return found + conductor_instrument_findings(profiles, reports)


def conductor_instrument_findings(
    profiles: list[InstrumentProfile], reports: list[CheckReport]
) -> list[Finding]:
    """Where the running conductor sees an instrument otherwise than this shell does (one
    started from another shell, or before a program was installed), and what that means for
    'podium run'; without a conductor, that the findings above are this shell's."""
    from podium.cli import conductor_view  # noqa: PLC0415 - profiles only for this command

    asked = conductor_view.ask([p for p in profiles if p.cli is not None], None)
    if asked is None:
        return [Finding("instruments", INFO, conductor_view.LOCAL_ONLY)]
    here = {r.name: r.binary is not None for r in reports}
    found = []
    for view in asked["instruments"]:
        judged = conductor_view.verdict(view)
        if here.get(view["name"]) and (not judged.ready or view["conductor_binary"] is None):
            level = OK if judged.ready else FAIL
            found.append(
                Finding("instruments", level, f"{view['name']}: {judged.text}", judged.fix)
            )
        elif not here.get(view["name"]) and view["conductor_binary"] is not None:
            found.append(
                Finding(
                    "instruments",
                    OK,
                    f"{view['name']}: {judged.text}; this shell's PATH lacks it",
                )
            )
    return found


def instrument_finding(report: CheckReport) -> Finding:
    if report.binary is None:
        return Finding(
            "instruments",
            INFO,
            f"{report.name}: not installed ('{report.executable}' not on PATH)",
            None,
        )
    what = f"{report.name}: {report.binary}" + (f" ({report.version})" if report.version else "")
    if report.warnings:
        return Finding("instruments", WARN, what, "; ".join(report.warnings))
    return Finding("instruments", OK, what)


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
