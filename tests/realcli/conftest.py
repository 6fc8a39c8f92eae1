"""The real agent CLIs, each driven by a real conductor against the scripted provider, offline.

Runs only with PODIUM_REALCLI=1, after `tests/realcli/install`; then a CLI that is not
installed is a failure. For each CLI whose tests were selected, one conductor (with the CLI's
sealed home as its environment) gets that CLI's four scores at once; all CLIs start together,
so the scenarios run concurrently and each test only waits for its own job and reads what
happened.
"""

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from podium.ipc.client import ConductorClient, ConductorUnavailable
from podium.ipc.methods import DAEMON_RATE_LIMITS
from podium.ipc.schema import RateLimitInfo
from podium.testing.conductor import ConductorProcess
from podium.testing.provider import ScriptedProvider
from tests.realcli.hermetic import (
    CLIS,
    Cli,
    environment,
    missing_clis,
    realcli_root,
    warm_up,
)
from tests.realcli.scores import SCENARIOS, Staged, provider_scenario, stage

HERE = Path(__file__).resolve().parent
PODIUM = str(Path(sys.executable).parent / "podium")
HOW_TO_RUN = (
    "real agent CLIs: run tests/realcli/install, then PODIUM_REALCLI=1 pytest tests/realcli"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PODIUM_REALCLI") == "1":
        return
    skip = pytest.mark.skip(reason=HOW_TO_RUN)
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


class SealedConductor(ConductorProcess):
    """A conductor whose environment is the CLI's sealed one, not the test run's."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        super().__init__(home, {"kill_grace_seconds": 2.0})
        self.sealed_env = env

    @property
    def env(self) -> dict[str, str]:
        return {**self.sealed_env, "PODIUM_HOME": str(self.home), "PODIUM_SOCKET": str(self.socket)}

    def podium(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the `podium` command against this conductor, as its user would."""
        return subprocess.run(
            [PODIUM, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def podium_json(self, *args: str) -> Any:
        done = self.podium(*args, "--json")
        assert done.returncode == 0, f"podium {' '.join(args)}: {done.stdout}{done.stderr}"
        return json.loads(done.stdout)


@dataclass
class WindowWatch:
    """Every rate-limit window a conductor listed (`daemon.rate_limits`), polled in a thread
    while the jobs run: a window lasts seconds, and a test may look only once it is over."""

    socket: Path
    seen: dict[tuple[str, str | None], RateLimitInfo] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        client = ConductorClient(str(self.socket), timeout=10.0)
        try:
            while not self.stopping.wait(0.2):
                with contextlib.suppress(ConductorUnavailable):
                    for window in client.request(DAEMON_RATE_LIMITS({}))["rate_limits"]:
                        self.seen.setdefault((window["instrument"], window["model"]), window)
        finally:
            client.close()


@dataclass
class CliRun:
    """One CLI's conductor and its four jobs, by scenario."""

    cli: Cli
    conductor: SealedConductor
    scores: dict[str, Staged]
    jobs: dict[str, str]
    windows: WindowWatch


@pytest.fixture(scope="session")
def realcli_bin() -> Path:
    bin_dir = realcli_root() / "bin"
    missing = missing_clis(bin_dir)
    if missing:
        pytest.fail(
            f"agent CLIs not installed in {bin_dir}: {', '.join(missing)}; run "
            "tests/realcli/install (or set PODIUM_REALCLI_HOME to where it installed them)"
        )
    return bin_dir


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedProvider]:
    log = tmp_path_factory.mktemp("provider") / "requests.jsonl"
    with ScriptedProvider(log_path=log) as started:
        yield started


@pytest.fixture(autouse=True)
def nothing_leaves_loopback(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test: no CLI tried to reach anything beyond 127.0.0.1."""
    yield
    if "provider" in request.fixturenames:
        provider: ScriptedProvider = request.getfixturevalue("provider")
        attempts = provider.trap_attempts
        assert attempts == [], f"a CLI tried to reach beyond loopback: {attempts}"


START_ORDER = ("aider", "opencode", "codex", "gemini", "claude")
"""The CLIs whose scores take longest first: aider and opencode retry on their own for a minute
or more before Podium sees their errors, and codex's rate limit gives no reset time."""


@pytest.fixture(scope="session")
def runs(
    request: pytest.FixtureRequest,
    realcli_bin: Path,
    provider: ScriptedProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, CliRun]]:
    """Every selected CLI's conductor, started, with its four scores submitted."""
    prepared = {
        name: prepare(CLIS[name], provider, realcli_bin.parent, tmp_path_factory.mktemp(name))
        for name in selected_clis(request.session.items)
    }
    threads = [
        threading.Thread(target=run.windows.run, name=f"windows-{name}", daemon=True)
        for name, run in prepared.items()
    ]
    try:
        with ThreadPoolExecutor(max_workers=len(prepared) or 1) as pool:
            list(pool.map(start, prepared.values()))
        for thread in threads:
            thread.start()
        for run in prepared.values():
            for scenario, staged in run.scores.items():
                run.jobs[scenario] = run.conductor.submit(staged.path)
        yield prepared
    finally:
        for run in prepared.values():
            run.windows.stopping.set()
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=5)
        for run in prepared.values():
            run.conductor.stop()


def start(run: CliRun) -> None:
    warm_up(run.cli, run.conductor.sealed_env)
    run.conductor.start(timeout=60)


def selected_clis(items: list[pytest.Item]) -> list[str]:
    """The CLIs the selected tests are about (their `cli` parameter), in START_ORDER."""
    wanted = set()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and HERE in item.path.parents and "cli" in callspec.params:
            wanted.add(callspec.params["cli"])
    return [name for name in START_ORDER if name in wanted]


def prepare(cli: Cli, provider: ScriptedProvider, root: Path, folder: Path) -> CliRun:
    """`cli`'s sealed home, its four scores and its conductor (not started yet)."""
    env = environment(cli, folder / "sealed", root=root, trap_url=provider.trap_url)
    scores = {}
    for scenario in SCENARIOS:
        tag = f"{cli.name}-{scenario}"
        name, settings = provider_scenario(cli, scenario)
        url = provider.base_url(name, **settings, tag=tag) + cli.api_root
        scores[scenario] = stage(cli, scenario, folder / scenario, url, tag)
    conductor = SealedConductor(folder / "podium", env)
    return CliRun(cli, conductor, scores, {}, WindowWatch(conductor.socket))
