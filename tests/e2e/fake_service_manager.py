"""A stand-in for the operating system's service manager, `systemctl --user` or `launchctl`,
for tests that drive `podium service` where neither runs (a container). Run as
`python fake_service_manager.py systemctl|launchctl ARGS…` (see `install_fakes`).

It records every call, one shell-quoted line each, in `$FAKE_SERVICE_DIR/calls`, and does
what the real one would with the file Podium wrote: it reads the unit's `ExecStart=`,
`Environment=`, `EnvironmentFile=` and `StandardOutput=append:` (or the plist's
`ProgramArguments`, `EnvironmentVariables` and `StandardOutPath`) and starts that command
with that environment in a session of its own; it stops it with SIGTERM. So a test sees the
conductor the service file starts answer, or not. Only the words Podium uses are known.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

LABEL = "org.podium-conductor.podium"
BASE_ENV = {"PATH": "/usr/bin:/bin"}
"""What a service manager gives a service of its own: a plain PATH, and HOME (added below)."""


def install_fakes(bin_dir: Path) -> None:
    """Put `systemctl` and `launchctl` in `bin_dir`, each running this file."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("systemctl", "launchctl"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{__file__}" {name} "$@"\n')
        script.chmod(0o755)


class Fake:
    """The manager's state: the calls, the service's pid, whether it is enabled/loaded."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pid_file = folder / "pid"

    def record(self, argv: list[str]) -> None:
        with (self.folder / "calls").open("a") as calls:
            calls.write(shlex.join(argv) + "\n")

    def flag(self, name: str, on: bool | None = None) -> bool:
        path = self.folder / name
        if on is True:
            path.touch()
        elif on is False:
            path.unlink(missing_ok=True)
        return path.exists()

    def pid(self) -> int | None:
        """The service's process while it runs (a zombie has ended)."""
        try:
            pid = int(self.pid_file.read_text())
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, ValueError):
            return None
        return None if state in ("Z", "X") else pid

    def start(self, argv: list[str], env: dict[str, str], output: str) -> None:
        self.stop()
        with Path(output).open("ab") as out:
            child = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True, cwd="/",
            )  # fmt: skip
        self.pid_file.write_text(str(child.pid))

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.05)


def service_env(home: str, pairs: dict[str, str]) -> dict[str, str]:
    return {**BASE_ENV, "HOME": home, **pairs}


# ---- systemctl --user ---------------------------------------------------------------------


def unit_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or f"{os.environ['HOME']}/.config"
    return Path(config) / "systemd" / "user" / "podium.service"


def unescape(word: str) -> str:
    return word.replace("%%", "%").replace("$$", "$")


def read_unit(path: Path) -> tuple[list[str], dict[str, str], str]:
    """The unit's command line, environment and output file."""
    argv: list[str] = []
    pairs: dict[str, str] = {}
    output = ""
    env_files: list[str] = []
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "ExecStart":
            argv = [unescape(word) for word in shlex.split(value)]
        elif key == "Environment":
            name, _, setting = shlex.split(value.replace("%%", "%"))[0].partition("=")
            pairs[name] = setting
        elif key == "EnvironmentFile":
            env_files.append(value.replace("%%", "%"))
        elif key == "StandardOutput":
            output = value.removeprefix("append:").replace("%%", "%")
    for env_file in env_files:  # systemd lays them over Environment=
        for entry in Path(env_file).read_text().splitlines():
            name, equals, setting = entry.partition("=")
            if equals and not entry.lstrip().startswith(("#", ";")):
                pairs[name.strip()] = setting.strip().strip("\"'")
    return argv, pairs, output


def systemctl(fake: Fake, args: list[str]) -> int:
    if os.environ.get("FAKE_SYSTEMCTL_NO_BUS"):
        print("Failed to connect to bus: No medium found", file=sys.stderr)
        return 1
    if args[:1] != ["--user"]:
        print("the fake knows --user alone", file=sys.stderr)
        return 1
    verb, rest = args[1], args[2:]
    if verb == "show":
        pid = fake.pid()
        print(f"LoadState={'loaded' if unit_path().exists() else 'not-found'}")
        print(f"UnitFileState={'enabled' if fake.flag('enabled') else 'disabled'}")
        print(f"ActiveState={'active' if pid else 'inactive'}")
        print(f"SubState={'running' if pid else 'dead'}")
        print(f"MainPID={pid or 0}")
    elif verb == "enable":
        fake.flag("enabled", on=True)
    elif verb == "restart":
        argv, pairs, output = read_unit(unit_path())
        fake.start(argv, service_env(os.environ["HOME"], pairs), output)
    elif verb == "disable":
        fake.flag("enabled", on=False)
        if "--now" in rest:
            fake.stop()
    elif verb != "daemon-reload":
        print(f"the fake does not know {verb}", file=sys.stderr)
        return 1
    return 0


# ---- launchctl ----------------------------------------------------------------------------


def launchctl(fake: Fake, args: list[str]) -> int:
    verb = args[0]
    if verb == "print":
        if not fake.flag("loaded"):
            print(f"Could not find service {LABEL!r} in domain", file=sys.stderr)
            return 113
        pid = fake.pid()
        print(f"{args[1]} = {{\n\tstate = {'running' if pid else 'not running'}")
        if pid:
            print(f"\tpid = {pid}")
        print("}")
    elif verb == "print-disabled":
        print(f'disabled services = {{\n\t"{LABEL}" => enabled\n}}')
    elif verb == "bootstrap":
        agent = plistlib.loads(Path(args[2]).read_bytes())
        env = service_env(os.environ["HOME"], agent["EnvironmentVariables"])
        fake.start(agent["ProgramArguments"], env, agent["StandardErrorPath"])
        fake.flag("loaded", on=True)
    elif verb == "bootout":
        fake.stop()
        fake.flag("loaded", on=False)
    elif verb != "enable":
        print(f"the fake does not know {verb}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    fake = Fake(Path(os.environ["FAKE_SERVICE_DIR"]))
    fake.record(argv)
    return systemctl(fake, argv[1:]) if argv[0] == "systemctl" else launchctl(fake, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
