"""The Dockerfile, checked without Docker: what it copies is in the build context, it runs the
conductor the CLI has, in the foreground, as a user of its own, with its state on the volume
where docs/container.md tells the host to find the socket; its entry point, run here as the
container runs it, serves a client through that socket and stops on `docker stop`'s SIGTERM;
the build context builds; hadolint passes it."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from podium.cli.main import build_parser
from podium.host.locations import defaults
from tests.install.conftest import REPO, run

DOCKERFILE = REPO / "Dockerfile"
PODIUM = str(Path(sys.executable).parent / "podium")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def stages() -> list[list[Instruction]]:
    """The Dockerfile's build stages, each its instructions (continued lines joined, comments
    and parser directives left out)."""
    logical = DOCKERFILE.read_text().replace("\\\n", " ")
    found: list[list[Instruction]] = []
    for line in logical.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            found.append([])
        found[-1].append(Instruction(keyword.upper(), arguments.strip()))
    return found


def final(keyword: str) -> list[str]:
    """The arguments of every `keyword` instruction of the image's (last) stage."""
    return [i.arguments for i in stages()[-1] if i.keyword == keyword]


def copied_from_context() -> list[str]:
    """What the COPY instructions take from the build context (not from another stage)."""
    sources: list[str] = []
    for stage in stages():
        for i in stage:
            words = i.arguments.split()
            if i.keyword == "COPY" and not any(w.startswith("--from") for w in words):
                sources += words[:-1]
    return sources


def test_what_the_dockerfile_copies_is_in_the_build_context() -> None:
    allowed = {
        line[1:].strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    sources = copied_from_context()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # The package's build reads its readme besides pyproject.toml and the sources.
    assert {"pyproject.toml", project["readme"], "src"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is left out by .dockerignore"


def entrypoint() -> list[str]:
    (last,) = final("ENTRYPOINT")[-1:]
    argv: list[str] = json.loads(last)
    assert argv[:2] == ["tini", "--"], "tini runs as PID 1, the conductor under it"
    return argv[2:]


def test_the_image_runs_the_conductor_in_the_foreground() -> None:
    argv = entrypoint()
    assert argv[:2] == ["podium", "start"]
    args = build_parser("start").parse_args(argv[1:])
    assert args.command == "start"
    assert args.foreground


def test_the_image_runs_as_a_user_of_its_own() -> None:
    users = final("USER")
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}


def state_folder() -> str:
    environment = " ".join(final("ENV"))
    (home,) = [w.split("=", 1)[1] for w in environment.split() if w.startswith("PODIUM_HOME=")]
    return home


def test_the_state_and_the_socket_are_on_the_volume() -> None:
    home = state_folder()
    assert json.loads(final("VOLUME")[-1]) == [home]
    socket = defaults({"PODIUM_HOME": home}).socket
    relative = os.path.relpath(socket, home)
    assert not relative.startswith("..")
    assert f"/{relative}" in (REPO / "docs" / "container.md").read_text()


@pytest.fixture
def container_state() -> Iterator[Path]:
    """The folder mounted at the image's state folder (short: the socket is under it)."""
    folder = Path(tempfile.mkdtemp(prefix="podium-state-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(240)  # a conductor's start, a job and a drain, on a machine that may be busy
def test_the_entrypoint_serves_the_host_through_the_mounted_socket(
    container_state: Path, tmp_path: Path
) -> None:
    inside = {**os.environ, "PODIUM_HOME": str(container_state)}
    inside.pop("PODIUM_SOCKET", None)
    conductor = subprocess.Popen(
        [PODIUM, *entrypoint()[1:]], env=inside, stderr=subprocess.PIPE, text=True
    )
    socket = Path(defaults({"PODIUM_HOME": str(container_state)}).socket)
    host = {**os.environ, "PODIUM_HOME": str(tmp_path / "host"), "PODIUM_SOCKET": str(socket)}
    try:
        wait_for(lambda: status(host) == 0 or conductor.poll() is not None)
        assert conductor.poll() is None, conductor.communicate()[1]
        score = tmp_path / "hello.yaml"
        shutil.copy(REPO / "examples" / "hello.yaml", score)
        out = run([PODIUM, "run", str(score), "--wait", "--no-start"], env=host, cwd=tmp_path)
        assert "job hello completed: 3/3 sheets" in out
        conductor.send_signal(signal.SIGTERM)  # as `docker stop` does, through tini
        _, log = conductor.communicate(timeout=30)
    finally:
        if conductor.poll() is None:
            conductor.kill()
            conductor.communicate()
    assert conductor.returncode == 0, log
    assert "SIGTERM received" in log
    assert not (tmp_path / "host").exists(), "the host's own state folder stays unused"


def status(env: dict[str, str]) -> int:
    return subprocess.run(
        [PODIUM, "conductor-status", "--json"], env=env, capture_output=True, check=False
    ).returncode


def wait_for(condition: Callable[[], bool], limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still not so after {limit} s")
        time.sleep(0.05)


def test_the_build_context_builds(tools: Path, tmp_path: Path) -> None:
    context = tmp_path / "context"
    for source in copied_from_context():
        if (REPO / source).is_dir():
            shutil.copytree(REPO / source, context / source)
        else:
            context.mkdir(exist_ok=True)
            shutil.copy(REPO / source, context / source)
    run([str(tools / "uv"), "build", "--wheel", "--out-dir", str(tmp_path / "out"), str(context)])
    assert list((tmp_path / "out").glob("podium-*.whl"))


def test_hadolint_passes_the_dockerfile(tools: Path) -> None:
    run([str(tools / "hadolint"), str(DOCKERFILE)])
