"""The commands the documents show run as shown, against a real conductor of their own.

The convention (in full in `tests.docs.blocks`): an HTML comment just before a fenced block
says what the test does with it, and a document that marks any block must mark every
```sh, ```bash and ```console block of it:

    <!-- test: run -->              run it, in order with the document's other blocks
    <!-- test: run if claude -->    run it only when that program is installed
    <!-- test: background -->       start it (a server), wait for its output, stop it at the end
    <!-- test: file NAME -->        write the block (a score, say) to NAME
    <!-- test: skip REASON -->      never run it, for that reason

Every markdown file (README.md, docs/*.md) that marks a block takes part. The blocks run in
one bash session, in a temporary folder holding a copy of `examples/`, with a home, a
`PODIUM_HOME` and a `PODIUM_SOCKET` of their own, as the test fixtures isolate a conductor.
Each document runs once with what every machine has, and once more with the agent CLIs its
`run if PROGRAM` blocks need, when they are installed (on PATH, or where
`tests/realcli/install` puts them); without them that run is skipped, saying which.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import pytest

from podium.testing.conductor import kill_leftovers
from podium.testing.provider.__main__ import proxy_exports
from tests.docs import blocks
from tests.realcli.hermetic import realcli_root

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TESTED = [path for path in DOCUMENTS if blocks.takes_part(blocks.document(path, REPO))]


def _needs(path: Path) -> frozenset[str]:
    return frozenset(b.needs for b in blocks.document(path, REPO) if b.needs)


CASES = [
    *(pytest.param(path, False, id=str(path.relative_to(REPO))) for path in TESTED),
    *(
        pytest.param(
            path,
            True,
            id=f"{path.relative_to(REPO)} with {' '.join(sorted(needs))}",
            marks=pytest.mark.slow,
        )
        for path in TESTED
        if (needs := _needs(path))
    ),
]


def test_the_documents_that_must_be_run_take_part() -> None:
    names = {str(path.relative_to(REPO)) for path in TESTED}
    assert {"README.md", "docs/rehearsal.md"} <= names


def test_the_rehearsal_shows_the_proxy_settings_the_provider_prints() -> None:
    text = (REPO / "docs" / "rehearsal.md").read_text()
    for line in proxy_exports("http://127.0.0.1:8766"):
        assert f"\n{line}\n" in text
        assert f"\n  {line}\n" in text


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """Where the document runs: a copy of examples/, a home of its own for the user."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / "user").mkdir()
    yield tmp_path


@pytest.fixture
def socket_path() -> Iterator[Path]:
    """A short socket path in a private folder (a Unix socket's path is capped at 108 bytes)."""
    private = Path(tempfile.mkdtemp(prefix="podium-doc-"))
    yield private / "podium.sock"
    shutil.rmtree(private, ignore_errors=True)


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("path", "with_agents"), CASES)
def test_the_documented_commands_run(
    path: Path, with_agents: bool, folder: Path, socket_path: Path
) -> None:
    search = os.pathsep.join([str(BIN), str(realcli_root() / "bin"), os.environ["PATH"]])
    needs = _needs(path)
    missing = sorted(n for n in needs if shutil.which(n, path=search) is None)
    if with_agents and missing:
        pytest.skip(
            f"{', '.join(missing)} not installed (on PATH or by tests/realcli/install): "
            f"the blocks of {path.name} marked 'run if' are left out"
        )
    env = _environment(folder, socket_path, search)
    programs = needs if with_agents else frozenset()
    ports = {"8765": str(_free_port()), "8766": str(_free_port())}
    text = blocks.script(blocks.checked(blocks.document(path, REPO)), programs, ports)
    try:
        done = subprocess.run(
            ["bash", "-c", text],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=200,
            check=False,
        )
    finally:
        _tear_down(folder, env)
    assert done.returncode == 0, f"{path.name}: exit code {done.returncode}\n{done.stdout}"


def _environment(folder: Path, socket_path: Path, search: str) -> dict[str, str]:
    """A user's shell with nothing of this machine's but PATH: a home, state and socket of
    its own (as the test fixtures isolate a conductor)."""
    return {
        "PATH": search,
        "HOME": str(folder / "user"),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "TMPDIR": str(folder),
        "PODIUM_HOME": str(folder / "home"),
        "PODIUM_SOCKET": str(socket_path),
    }


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tear_down(folder: Path, env: dict[str, str]) -> None:
    """Stop what the document started: its background blocks, its conductor (whatever home
    the document chose, it listens on the test's socket) and the attempts it left."""
    pids = folder / ".doc" / "background.pids"
    for line in pids.read_text().split() if pids.exists() else []:
        with suppress(ProcessLookupError):
            os.killpg(int(line), signal.SIGTERM)
    subprocess.run(
        [str(BIN / "podium"), "stop", "--force"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    for jobs in folder.glob("**/jobs"):
        kill_leftovers(jobs)
