"""Fixtures shared by every test suite."""

import os
import shutil
import signal
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from podium.testing.conductor import ConductorProcess
from podium.testing.ray_cluster import LOOPBACK_ENV

# Property tests judge results, never time: a loaded CI machine must not fail one for taking
# longer than hypothesis's default 200 ms per example.
settings.register_profile("podium", deadline=None)
settings.load_profile("podium")

# A suite started in the background by a script (`pytest … &`) inherits Ctrl-C ignored, and so
# would every `podium` it starts (an ignored signal stays ignored across exec). The tests that
# press Ctrl-C need it as a terminal gives it: handled here, it is at its default in children.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parent.parent

SHARED = Path(os.environ.get("PODIUM_SHARED_DIR") or REPO.parent / "shared")
"""The team's shared material beside the clone (real scores, profiles, recorded runs). Tests
that read it skip when it is absent; `PODIUM_SHARED_DIR=/nonexistent` runs them as a clone
without it would, which CI does to keep the coverage gate independent of it."""

# Ray reads these when it is imported: a driver (this process, a conductor it starts) then
# speaks from 127.0.0.1 to the loopback cluster of the Ray suite, never from an outward address.
for _name, _value in LOOPBACK_ENV.items():
    os.environ.setdefault(_name, _value)

RAY_TEST_SECONDS = 300
"""A Ray test's time limit: the first one also waits for the session's cluster to start."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("ray") is not None:
            item.add_marker(pytest.mark.timeout(RAY_TEST_SECONDS))


AUTOJUMP_SECONDS = 0.1
"""Real idleness after which a conductor on virtual time jumps to its next timer (its threads
and processes at rest): long enough that a test asking every 10 ms holds its time still."""


@pytest.fixture
def write_score(tmp_path: Path) -> Callable[..., Path]:
    """Write a score (dedented) into the test's folder; its workspace defaults to ./ws."""

    def write(text: str, name: str = "score.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def conductors(tmp_path: Path) -> Iterator[Callable[..., ConductorProcess]]:
    """Start real conductors in this test's folder; all are stopped at the end."""
    started: list[ConductorProcess] = []

    def start(
        config: dict[str, Any] | None = None,
        home: Path | None = None,
        virtual: bool = False,
        autojump: float = AUTOJUMP_SECONDS,
    ) -> ConductorProcess:
        """A conductor; `virtual`: on virtual time (see `virtual_conductor`), its resource
        monitor looking hourly unless told (each look is real work virtual time waits for),
        its time jumping after `autojump` real seconds of idleness."""
        threshold = autojump if virtual else None
        if virtual:
            config = {"monitor_interval_seconds": 3600, **(config or {})}
        conductor = ConductorProcess(home or tmp_path / "home", config, threshold)
        started.append(conductor)
        return conductor.start()

    yield start
    for conductor in started:
        conductor.stop()


@pytest.fixture
def conductor(conductors: Callable[..., ConductorProcess]) -> ConductorProcess:
    """One real conductor with a short kill grace."""
    return conductors({"kill_grace_seconds": 1.0})


@pytest.fixture
def virtual_conductor(conductors: Callable[..., ConductorProcess]) -> ConductorProcess:
    """One real conductor on virtual time (see `podium.testing.virtual_conductor`), with a
    short kill grace: its retry backoffs, rate-limit windows and timeouts pass without
    waiting, its processes and its store stay real."""
    return conductors({"kill_grace_seconds": 1.0}, virtual=True)


NODE_BIN = "node-bin"
"""The folder (in the Ray test cluster's) on the PATH of its nodes alone."""

NODE_ONLY_ENV = {"PROBE_API_KEY": "node-own-key", "NODE_ONLY_TOKEN": "node-own-token"}
"""Variables in the environment of the Ray test cluster's nodes alone."""


def need_ray() -> None:
    """Skip the test where Ray is not installed, or fail it under CI."""
    try:
        import ray  # noqa: F401
    except ImportError:
        reason = "Ray is not installed (pip install 'podium[ray]'); the Ray suite needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def ray_folder() -> Path:
    """A new folder for a test cluster's files: short, since a node's Unix sockets live under
    it (107 bytes at most)."""
    return Path(tempfile.mkdtemp(prefix="podray-", dir="/tmp"))


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two Ray nodes on loopback, started once for the session: node `cli` offers the resource
    `instrument:cli`, node `fake` the resource `instrument:fake`, and both `instrument:both`
    (`podium.testing.ray_cluster`). This process is
    connected to it as a driver. Without Ray the test skips, or fails under CI."""
    need_ray()
    import ray

    from podium.testing.ray_cluster import LoopbackCluster

    folder = ray_folder()
    nodes = {
        "cli": {"instrument:cli": 100.0, "instrument:both": 100.0},
        "fake": {"instrument:fake": 100.0, "instrument:both": 100.0},
    }
    # The nodes' own environment differs from a conductor's: a folder of programs on their
    # PATH, and variables of their own.
    bin_dir = folder / NODE_BIN
    bin_dir.mkdir()
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **NODE_ONLY_ENV}
    with LoopbackCluster(folder, nodes, env) as cluster:
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        try:
            yield cluster
        finally:
            ray.shutdown()
    shutil.rmtree(folder, ignore_errors=True)
