"""A submission whose answer is lost: the conductor accepted the job, then stopped before the
client heard so. The client says the job may have been accepted, and asking again with the
submission's idempotency key gives back that job instead of submitting the score twice."""

import re
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.cli.connect import conductor_info
from podium.ipc.client import AnswerLate, AnswerLost, ConductorClient, RemoteError
from podium.ipc.methods import DAEMON_STATUS, JOB_SUBMIT
from podium.ipc.schema import SubmitParams
from podium.testing.conductor import ConductorProcess
from tests.faults.cli import podium

ONCE = """
    name: once
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 1}
    prompt:
      template: echo run >> runs.txt
"""


def runs(tmp_path: Path) -> list[str]:
    path = tmp_path / "ws" / "runs.txt"
    return path.read_text().splitlines() if path.exists() else []


def test_a_submission_asked_again_with_its_key_gives_back_the_same_job(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score(ONCE)
    asked: SubmitParams = {"score_path": str(score), "idempotency_key": "k-1"}
    first = conductor.request(JOB_SUBMIT(asked))
    again = conductor.request(JOB_SUBMIT(asked))
    assert again == {**first, "duplicate": True}
    assert first.get("duplicate") is False
    conductor.wait_for_job(first["job_id"], "completed")
    assert conductor.request(JOB_SUBMIT(asked))["job_id"] == first["job_id"]  # ended: still it
    assert conductor.query("SELECT job_id FROM jobs") == [(first["job_id"],)]
    assert runs(tmp_path) == ["run"]


def test_submissions_racing_with_one_key_make_one_job(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score(ONCE)
    answers: list[str] = []

    def submit() -> None:
        with ConductorClient(str(conductor.socket)) as client:
            asked: SubmitParams = {"score_path": str(score), "idempotency_key": "raced"}
            answers.append(client.request(JOB_SUBMIT(asked))["job_id"])

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(answers) == 4 and len(set(answers)) == 1
    conductor.wait_for_job(answers[0], "completed")
    assert runs(tmp_path) == ["run"]


def test_a_key_given_with_another_score_is_refused(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    conductor.request(JOB_SUBMIT({"score_path": str(write_score(ONCE)), "idempotency_key": "k"}))
    other = write_score(ONCE, "other.yaml")
    with pytest.raises(RemoteError, match=r"idempotency key 'k' was given with .*score\.yaml"):
        conductor.request(JOB_SUBMIT({"score_path": str(other), "idempotency_key": "k"}))


def test_podium_run_twice_with_one_idempotency_key_submits_one_job(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score(ONCE)
    argv = ("run", str(score), "--no-wait", "--idempotency-key", "nightly-1")
    first = podium(conductor.env, *argv, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = podium(conductor.env, *argv, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout
    assert second.stdout.startswith("job score submitted: 1 sheet(s)")
    assert "idempotency key nightly-1 was used before: job score is the one" in second.stderr
    conductor.wait_for_job("score", "completed")
    assert conductor.query("SELECT job_id FROM jobs") == [("score",)]


class LosingRelay:
    """Stands between the CLI and the conductor and passes requests on; once the conductor
    has answered a `job.submit` (the job is committed), it kills the conductor and closes the
    client's connection without the answer."""

    def __init__(self, path: Path, conductor: ConductorProcess) -> None:
        self.path = path
        self._conductor = conductor
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        with conn, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream:
            upstream.connect(str(self._conductor.socket))
            answers = upstream.makefile("rb")
            for line in conn.makefile("rb"):
                upstream.sendall(line)
                answer = answers.readline()
                if b'"job.submit"' in line:
                    self._conductor.kill(signal.SIGKILL)
                    return
                conn.sendall(answer)

    def close(self) -> None:
        self._server.close()
        self._thread.join(timeout=10)


@pytest.fixture
def relay_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="podium-"))  # short: socket paths are bounded
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_run_whose_answer_is_lost_says_the_job_may_be_accepted_and_a_retry_gets_it(
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
    relay_folder: Path,
) -> None:
    score = write_score(ONCE)
    first = conductors({"kill_grace_seconds": 0.5})
    relay = LosingRelay(relay_folder / "relay.sock", first)
    try:
        through_relay = {**first.env, "PODIUM_SOCKET": str(relay.path)}
        lost = podium(through_relay, "run", str(score), "--no-wait", cwd=tmp_path)
    finally:
        relay.close()
    assert lost.returncode == 6, lost.stderr
    assert "not running" not in lost.stderr
    assert "the conductor stopped before answering; the job may have been accepted" in lost.stderr
    assert "podium status score" in lost.stderr
    found = re.search(r"--idempotency-key (\S+),", lost.stderr)
    assert found is not None, lost.stderr
    assert first.query("SELECT job_id FROM jobs") == [("score",)]  # it had been accepted

    second = conductors({"kill_grace_seconds": 0.5})
    retry = podium(
        second.env, "run", str(score), "--no-wait", "--idempotency-key", found[1], cwd=tmp_path
    )
    assert retry.returncode == 0, retry.stderr
    assert retry.stdout.startswith("job score submitted")
    second.wait_for_job("score", "completed")
    assert second.query("SELECT job_id FROM jobs") == [("score",)]
    assert runs(tmp_path) == ["run"]


def test_a_request_whose_answer_is_lost_is_told_apart_from_no_conductor(
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    relay_folder: Path,
) -> None:
    score = write_score(ONCE)
    first = conductors({"kill_grace_seconds": 0.5})
    relay = LosingRelay(relay_folder / "relay.sock", first)
    try:
        with ConductorClient(str(relay.path)) as client:
            client.request(DAEMON_STATUS({}))
            with pytest.raises(AnswerLost, match=r"stopped before answering 'job\.submit'"):
                client.request(JOB_SUBMIT({"score_path": str(score)}))
    finally:
        relay.close()


def test_a_fleet_submitted_again_with_its_key_is_the_same_fleet(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    write_score(ONCE)
    fleet = write_score(
        """
        type: fleet
        name: nightly
        scores:
          - {path: score.yaml}
        """,
        "fleet.yaml",
    )
    argv = ("run", str(fleet), "--no-wait", "--idempotency-key", "nightly-1")
    first = podium(conductor.env, *argv, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = podium(conductor.env, *argv, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    # The same fleet (its members' statuses may have moved on in between).
    assert first.stdout.splitlines()[0] == second.stdout.splitlines()[0]
    assert "idempotency key nightly-1 was used before: fleet " in second.stderr
    assert conductor.query("SELECT count(*) FROM fleets") == [(1,)]
    conductor.wait_for_job("score", "completed")
    assert conductor.query("SELECT job_id FROM jobs") == [("score",)]
    assert runs(tmp_path) == ["run"]


def test_a_request_left_unanswered_past_the_timeout_may_still_be_carried_out(
    relay_folder: Path,
) -> None:
    path = relay_folder / "silent.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.bind(str(path))
        silent.listen()  # takes the request, never answers: a conductor stuck on its disk
        late = r"did not answer 'job\.submit' within 0\.2s"
        with (
            ConductorClient(str(path), timeout=0.2) as client,
            pytest.raises(AnswerLate, match=late),
        ):
            client.request(JOB_SUBMIT({"score_path": "/s.yaml"}))
        # A busy conductor is never taken for none (`run` would start another).
        with ConductorClient(str(path), timeout=0.2) as client, pytest.raises(AnswerLate):
            conductor_info(client)
