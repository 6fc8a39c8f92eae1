"""A real conductor in a folder of its own, for tests (Podium's and its users').

    with ConductorProcess(tmp_path / "home") as conductor:
        job = conductor.request(JOB_SUBMIT({"score_path": str(score)}))["job_id"]
        conductor.wait_for_job(job, "completed")

It runs `python -m podium.conductor.daemon` as a child process with `PODIUM_HOME` pointing at the
folder and the socket in a short private path (Unix socket paths are limited to 107 bytes).
With `virtual_time`, the conductor runs on virtual time (`podium.testing.virtual_conductor`):
its timers pass as soon as it has been idle for that many real seconds, so a test of a retry
backoff, a rate-limit window or a timeout does not wait for it.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from podium.domain.status import JobStatus
from podium.host import processes
from podium.ipc.client import ConductorClient, ConductorUnavailable
from podium.ipc.methods import DAEMON_STATUS, JOB_STATUS, JOB_SUBMIT, Call, P, R
from podium.ipc.schema import JobStatusResult
from podium.runtime.process import MARKER

TERMINAL = frozenset(s.value for s in JobStatus if s.is_terminal)


class ConductorProcess:
    def __init__(
        self,
        home: Path,
        config: Mapping[str, Any] | None = None,
        virtual_time: float | None = None,
    ) -> None:
        self.home = home
        self.virtual_time = virtual_time
        """The conductor's autojump threshold (real seconds) when it runs on virtual time."""
        self.home.mkdir(parents=True, exist_ok=True)
        self._socket_dir = Path(tempfile.mkdtemp(prefix="podium-"))
        self.socket = self._socket_dir / "podium.sock"
        if config is not None:
            (home / "conductor.yaml").write_text(yaml.safe_dump(dict(config)))
        self.process: subprocess.Popen[bytes] | None = None
        self._client: ConductorClient | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment under which `podium` commands talk to this conductor."""
        return {**os.environ, "PODIUM_HOME": str(self.home), "PODIUM_SOCKET": str(self.socket)}

    @property
    def database(self) -> Path:
        return self.home / "podium.db"

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        """Run SQL on the conductor's database (read it, or tamper with it in a crash test)."""
        with contextlib.closing(sqlite3.connect(self.database)) as db, db:
            return db.execute(sql, args).fetchall()

    @property
    def log(self) -> str:
        path = self.home / "conductor.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, timeout: float = 20.0) -> "ConductorProcess":
        """Start the conductor and wait until it is ready."""
        self.launch()
        self.wait_until(self._answers, timeout, "the conductor to answer")
        return self

    def launch(self) -> None:
        """Start the conductor's process, without waiting for it."""
        with (self.home / "conductor.log").open("ab") as log:
            self.process = subprocess.Popen(
                self._command(),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _command(self) -> list[str]:
        if self.virtual_time is None:
            return [sys.executable, "-m", "podium.conductor.daemon"]
        module = "podium.testing.virtual_conductor"
        return [sys.executable, "-m", module, str(self.virtual_time)]

    @property
    def poll(self) -> float:
        """How often to ask the conductor while waiting: on virtual time, seldom enough that
        it is idle in between (each question is an event that keeps its time still)."""
        return 0.01 if self.virtual_time is None else max(0.01, 2 * self.virtual_time)

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the conductor exited with {self.process.returncode}:\n{self.log}")
        try:
            state: str = self.request(DAEMON_STATUS({}))["state"]
        except ConductorUnavailable:
            self._drop_client()
            return False
        return state == "ready"

    def request(self, call: Call[P, R]) -> R:
        """Send a method of `podium.ipc.methods` with its params; its result."""
        return self.client.request(call)

    @property
    def client(self) -> ConductorClient:
        """The connection to this conductor, opened on first use."""
        if self._client is None:
            self._client = ConductorClient(str(self.socket), timeout=30.0)
        return self._client

    def podium(self, *args: str, timeout: float = 60.0) -> "subprocess.CompletedProcess[str]":
        """Run `podium …` as a user would, against this conductor."""
        return subprocess.run(
            [sys.executable, "-m", "podium.cli.main", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def submit(self, score: Path) -> str:
        job_id: str = self.request(JOB_SUBMIT({"score_path": str(score)}))["job_id"]
        return job_id

    def status(self, job_id: str) -> JobStatusResult:
        return self.request(JOB_STATUS({"job_id": job_id}))

    def wait_for_job(
        self,
        job_id: str,
        status: str | None = None,
        timeout: float = 30.0,
        poll: float | None = None,
    ) -> JobStatusResult:
        """Wait until the job is terminal (and, with `status`, check it is that one)."""
        found: list[JobStatusResult] = []

        def done() -> bool:
            found[:] = [self.status(job_id)]
            return found[-1]["status"] in TERMINAL

        self.wait_until(done, timeout, f"job {job_id} to finish", poll)
        last = found[-1]
        if status is not None and last["status"] != status:
            raise AssertionError(
                f"job {job_id} ended {last['status']}, not {status}:\n{json.dumps(last, indent=2)}"
            )
        return last

    def wait_until(
        self, condition: Callable[[], bool], timeout: float, what: str, poll: float | None = None
    ) -> None:
        """Wait (real seconds) until `condition()` holds, asking every `poll` seconds. On virtual
        time, asking more often than the autojump threshold holds the conductor's time still
        (each question is an event): a test does so to see a state that a timer ends."""
        poll = self.poll if poll is None else poll
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"gave up waiting for {what} after {timeout:g}s\nconductor log:\n{self.log}"
                )
            time.sleep(poll)

    def wait_for_recorded_attempt(self, sheet: int = 1, timeout: float = 15.0) -> tuple[int, int]:
        """The (pid, pgid) of the sheet's latest attempt once the conductor has recorded them.
        An attempt's process runs a moment before its pid is committed, so a test that saw the
        process start and needs the pid (to kill the conductor and find the process again)
        waits for this too."""
        sql = (
            "SELECT pid, pgid FROM attempts WHERE sheet = ? AND pgid IS NOT NULL"
            " ORDER BY attempt DESC LIMIT 1"
        )
        self.wait_until(lambda: bool(self.query(sql, sheet)), timeout, f"sheet {sheet}'s pid")
        [(pid, pgid)] = self.query(sql, sheet)
        return int(pid), int(pgid)

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> int:
        """Signal the conductor and wait for it to exit; return its exit code."""
        assert self.process is not None
        self._drop_client()
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)

    def stop(self) -> None:
        """Stop the conductor (gracefully) and remove its socket folder. Attempts and hooks
        still running outlive a conductor by design; a test leaves nothing behind, so they are
        killed too, whether this conductor still ran or not."""
        try:
            if self.process is not None and self.process.poll() is None:
                self.kill(signal.SIGTERM)
            self.kill_running_attempts()
            kill_leftovers(self.home / "jobs")
        finally:
            self._drop_client()
            with contextlib.suppress(OSError):
                self.socket.unlink(missing_ok=True)
                self._socket_dir.rmdir()

    def kill_running_attempts(self) -> None:
        """SIGKILL the process group of every attempt the store says is running."""
        if not self.database.exists():
            return
        rows = self.query("SELECT pgid FROM attempts WHERE outcome = 'running' AND pgid > 0")
        with contextlib.suppress(sqlite3.OperationalError):  # a store older than its hooks
            rows += self.query(
                "SELECT pgid FROM hook_results WHERE outcome = 'running' AND pgid > 0"
            )
        for (pgid,) in rows:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> "ConductorProcess":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def kill_leftovers(jobs_dir: Path) -> int:
    """SIGKILL the process group of every live process that an attempt or a hook of the
    conductor keeping its jobs in `jobs_dir` started (they carry its marker in their
    environment), however it got there. Returns how many groups there were."""
    prefix = f"{jobs_dir}:".encode()
    groups = set()
    for pid in processes.pids():
        value = processes.environ_value(pid, MARKER.encode())
        if value is not None and value.startswith(prefix):
            found = processes.stat(pid)
            if found is not None and found.running:
                groups.add(found.pgid)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return len(groups)
