"""Whether an instrument can run on this machine: its binary, its version, its credentials.

`report` is pure; `which` and `read_version` are the two looks at the machine it needs.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from podium.host.private import user_umask
from podium.instruments.profile import InstrumentProfile

VERSION_TIMEOUT_SECONDS = 5.0

_CREDENTIAL = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS|_AUTH|USE_BEDROCK|USE_VERTEX")
"""Names of variables that hold (or select) credentials, as opposed to settings."""


def which(executable: str, path: str | None = None) -> str | None:
    """The absolute path of `executable`: on PATH (`path`, default this process's), else next
    to the running Python (a tool installed in the same environment as Podium)."""
    found = shutil.which(executable, path=path)
    if found is not None:
        return str(Path(found).absolute())
    beside = Path(sys.executable).parent / executable
    if "/" not in executable and beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return None


def read_version(binary: str) -> str | None:
    """The first line `BINARY --version` prints, or None if it fails or takes over 5 s."""
    try:
        done = subprocess.run(
            [binary, "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
            errors="replace",
            umask=user_umask(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    for line in (done.stdout + "\n" + done.stderr).splitlines():
        if line.strip():
            return line.strip()
    return None


@dataclass(frozen=True)
class CheckReport:
    """What `podium instruments check NAME` says about one instrument."""

    name: str
    display_name: str
    kind: str
    origin: str
    executable: str | None
    binary: str | None
    """Where the executable was found; None when it was not."""
    version: str | None
    models: tuple[str, ...]
    default_model: str | None
    capabilities: tuple[str, ...]
    credentials: tuple[str, ...]
    """The credential variables the profile passes to the instrument."""
    credentials_set: tuple[str, ...]
    missing: tuple[str, ...]
    """What stops it from running; empty when it can run."""
    warnings: tuple[str, ...]
    """What may stop it from running."""

    @property
    def runnable(self) -> bool:
        return not self.missing


def report(
    profile: InstrumentProfile,
    origin: str,
    binary: str | None,
    version: str | None,
    env: Mapping[str, str],
) -> CheckReport:
    """The report on `profile`, whose executable was found at `binary` (None: not found) and
    said `version`, for a conductor whose environment is `env`."""
    command = profile.cli.command if profile.cli is not None else None
    credentials = credential_variables(profile, env)
    present = tuple(name for name in credentials if env.get(name))
    missing: list[str] = []
    warnings: list[str] = []
    if command is None:
        missing.append(
            f"'{profile.name}' is an {profile.kind} instrument; Podium runs only cli instruments"
        )
    elif binary is None:
        missing.append(
            f"'{command.executable}' is not installed or not on PATH; install it, add its "
            "folder to PATH, or override the profile's cli.command.executable with a full path"
        )
    if credentials and not present:
        warnings.append(
            f"none of its credential variables is set ({', '.join(credentials)}); it may "
            f"still work if '{command.executable if command else profile.name}' is logged in "
            "on its own"
        )
    if profile.execution_status != "ready":
        detail = profile.execution_status_detail or "no reason given"
        warnings.append(f"the profile marks it '{profile.execution_status}': {detail}")
    return CheckReport(
        name=profile.name,
        display_name=profile.display_name,
        kind=profile.kind,
        origin=origin,
        executable=command.executable if command else None,
        binary=binary,
        version=version,
        models=tuple(m.name for m in profile.models),
        default_model=profile.default_model,
        capabilities=tuple(sorted(profile.capabilities)),
        credentials=credentials,
        credentials_set=present,
        missing=tuple(missing),
        warnings=tuple(warnings),
    )


def credential_variables(profile: InstrumentProfile, env: Mapping[str, str]) -> tuple[str, ...]:
    """The credential variables among the profile's `required_env`; a prefix entry (`AWS_*`)
    counts the matching variables that are set in `env`."""
    command = profile.cli.command if profile.cli is not None else None
    if command is None or command.required_env is None:
        return ()
    names: list[str] = []
    for entry in command.required_env:
        if entry.endswith("*"):
            names.extend(sorted(n for n in env if n.startswith(entry[:-1])))
        else:
            names.append(entry)
    return tuple(dict.fromkeys(n for n in names if _CREDENTIAL.search(n)))
