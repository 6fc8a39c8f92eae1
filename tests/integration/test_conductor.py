"""A real conductor, a real socket, real subprocesses and a real SQLite file."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.host import platform, processes
from podium.ipc import protocol
from podium.ipc.client import ConductorClient, RemoteError
from podium.ipc.methods import DAEMON_STATUS, JOB_LIST
from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess


def test_a_score_runs_to_completion_with_its_validations(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score("""
        name: greet
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 2, total_items: 5}
        prompt:
          template: 'echo "items {{ start_item }}-{{ end_item }} of sheet {{ sheet_num }}/{{ total_sheets }}" > out-{{ sheet_num }}.txt'
        validations:
          - type: content_contains
            path: "{workspace}/out-{sheet_num}.txt"
            pattern: "of sheet"
    """)
    job = conductor.submit(score)
    assert job == "score"
    done = conductor.wait_for_job(job, "completed")
    assert [s["status"] for s in done["sheets"]] == ["completed"] * 3
    ws = tmp_path / "ws"
    assert (ws / "out-2.txt").read_text() == "items 3-4 of sheet 2/3\n"
    assert (ws / "out-3.txt").read_text() == "items 5-5 of sheet 3/3\n"
    logs = Path(done["sheets"][0]["logs"])
    assert (logs / "attempt-1.prompt").read_text().startswith('echo "items 1-2')
    assert (logs / "attempt-1.stdout.log").read_text() == ""
    attempts = conductor.query("SELECT sheet, outcome, exit_code, pid FROM attempts ORDER BY sheet")
    assert [(s, o, c) for s, o, c, _pid in attempts] == [(n, "succeeded", 0) for n in (1, 2, 3)]
    assert all(pid for *_, pid in attempts)


def test_a_failing_sheet_is_retried_then_fails_the_job_and_skips_its_dependents(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score("""
        name: flaky
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 3, dependencies: {3: [1, 2]}}
        retry: {max_retries: 2, base_delay_seconds: 0.05, max_completion_attempts: 0}
        prompt:
          template: |
            echo run >> runs-{{ sheet_num }}.txt
            {% if sheet_num == 2 %}echo "disk full" >&2; exit 4{% endif %}
    """)
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "failed")
    sheets = {s["num"]: s for s in done["sheets"]}
    assert sheets[1]["status"] == "completed"
    assert (sheets[2]["status"], sheets[2]["attempts"]) == ("failed", 3)
    assert sheets[2]["error"] == "exit code 4: disk full"
    assert (sheets[3]["status"], sheets[3]["blocked_by"]) == ("skipped", 2)
    assert str(done["error"]).startswith("sheet 2 failed after 3 attempts: exit code 4: disk full")
    assert (tmp_path / "ws" / "runs-2.txt").read_text() == "run\n" * 3
    assert not (tmp_path / "ws" / "runs-3.txt").exists()


def test_exit_code_zero_is_not_success_when_a_validation_fails(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    score = write_score("""
        name: lazy
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 1, base_delay_seconds: 0.05, max_completion_attempts: 0}
        prompt: {template: "true"}
        validations:
          - type: file_exists
            path: "{workspace}/report.md"
            description: the report was written
          - type: command_succeeds
            command: "test -d {workspace}"
    """)
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "failed")
    [sheet] = done["sheets"]
    assert sheet["attempts"] == 2
    assert sheet["error"] == (
        f"validation failed: the report was written (file_exists {score.parent}/ws/report.md): "
        "file not found"
    )


def test_a_timeout_stops_the_whole_process_group(
    virtual_conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    conductor = virtual_conductor
    score = write_score("""
        name: stuck
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        instrument_config: {timeout_seconds: 600}
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 0, base_delay_seconds: 0.05, max_completion_attempts: 0}
        prompt:
          template: |
            bash -c 'trap "" TERM; echo $$ > grandchild.pid; sleep 3600' &
            trap "" TERM
            sleep 3600
    """)
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "failed")
    assert done["sheets"][0]["error"] == "timed out after 600s"
    [(pgid,)] = conductor.query("SELECT pgid FROM attempts")
    assert not group_exists(pgid)
    grandchild = int((tmp_path / "ws" / "grandchild.pid").read_text())
    assert not processes.running(grandchild)


def test_no_more_sheets_run_at_once_than_the_conductor_allows(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    conductor = conductors({"max_concurrent_sheets": 2})
    score = write_score("""
        name: wide
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        parallel: {enabled: true, max_concurrent: 5}
        sheet: {size: 1, total_items: 5, dependencies: {5: [1]}}
        prompt:
          template: |
            touch started-{{ sheet_num }}
            while [ ! -e go ]; do sleep 0.02; done
    """)
    job = conductor.submit(score)
    ws = tmp_path / "ws"

    def running() -> list[int]:
        return [s["num"] for s in conductor.status(job)["sheets"] if s["status"] == "running"]

    def started() -> list[str]:
        return sorted(p.name for p in ws.glob("started-*"))

    # Sheets 1 to 4 are ready at once; a conductor that overran its limit would start them
    # together, so by the time two have started, a third would have too.
    conductor.wait_until(lambda: len(started()) == 2, 15, "two sheets to start")
    assert running() == [1, 2]
    assert conductor.request(DAEMON_STATUS({}))["running_sheets"] == 2
    assert started() == ["started-1", "started-2"]
    (ws / "go").touch()
    conductor.wait_for_job(job, "completed")


def test_the_same_score_cannot_run_twice_at_once(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    score = write_score("""
        name: slow
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 1}
        prompt: {template: "while [ ! -e go ]; do sleep 0.02; done"}
    """)
    first = conductor.submit(score)
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    assert refused.value.code == protocol.JOB_ALREADY_RUNNING
    assert f"job '{first}' is already running this score" in refused.value.message
    (score.parent / "ws" / "go").touch()
    conductor.wait_for_job(first, "completed")
    assert conductor.submit(score) == "score-2"


def test_a_wrong_score_is_refused_with_its_location(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    score = write_score("""
        name: typo
        instrument: cli
        sheet: {size: 1, total_items: 2, dependencies: {2: [5]}}
        prompt: {template: "true"}
    """)
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    assert refused.value.code == protocol.INVALID_SCORE
    assert refused.value.message == (
        f"{score}:4:53: sheet.dependencies.2.0: sheet 2 depends on sheet 5, "
        "but the score has 2 sheets"
    )


def test_unknown_jobs_and_methods_get_json_rpc_errors(conductor: ConductorProcess) -> None:
    with pytest.raises(RemoteError) as missing:
        conductor.status("nope")
    assert missing.value.code == protocol.JOB_NOT_FOUND
    with pytest.raises(RemoteError) as unknown:
        conductor.client.call("job.frobnicate")
    assert unknown.value.code == protocol.METHOD_NOT_FOUND
    with pytest.raises(RemoteError) as bad:
        conductor.client.call("job.status", {"job_id": 3})
    assert bad.value.code == protocol.INVALID_PARAMS


def test_the_socket_is_private(conductor: ConductorProcess) -> None:
    assert stat.S_IMODE(conductor.socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(conductor.socket.parent.stat().st_mode) == 0o700


def test_an_oversized_message_is_refused_and_the_connection_closed(
    conductor: ConductorProcess,
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(conductor.socket))
        sock.sendall(
            b'{"jsonrpc":"2.0","id":1,"method":"daemon.status","params":{"x":"'
            + b"y" * (protocol.MAX_REQUEST_BYTES + 10)
            + b'"}}\n'
        )
        reply = json.loads(sock.makefile("rb").readline())
        assert reply["error"]["code"] == protocol.INVALID_REQUEST
        assert "larger than" in reply["error"]["message"]
        assert sock.recv(1) == b""
    assert conductor.request(DAEMON_STATUS({}))["pid"]  # the conductor itself is fine


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_another_user_is_refused_even_when_the_socket_is_reachable(
    conductor: ConductorProcess,
) -> None:
    conductor.socket.parent.chmod(0o755)
    conductor.socket.chmod(0o666)
    probe = (
        "import os, socket, sys\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
        # The refusal comes unasked: sending a request could race with the server's close.
        "print(s.makefile().readline())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(conductor.socket)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    reply = json.loads(out.stdout)
    assert reply["error"]["code"] == protocol.PERMISSION_DENIED
    if platform.mode().peers.way == platform.SOCKET_FOLDER:
        # The peer cannot be named: an open folder refuses whoever connects.
        assert "is open to other users (mode 755)" in reply["error"]["message"]
        assert "refused a connection: the socket folder" in conductor.log
    else:
        assert reply["error"]["message"] == "this conductor belongs to another user"
        assert "refused a connection from uid 65534" in conductor.log


@pytest.mark.skipif(
    platform.mode().peers.way != platform.SOCKET_FOLDER,
    reason="the kernel names the peer here (run under PODIUM_PORTABLE=1 for the folder check)",
)
def test_without_peer_credentials_an_open_socket_folder_serves_nobody_until_private_again(
    conductor: ConductorProcess,
) -> None:
    folder = conductor.socket.parent
    folder.chmod(0o755)
    client = ConductorClient(str(conductor.socket))
    try:
        with pytest.raises(RemoteError, match=f"chmod 700 {folder}") as refused:
            client.request(DAEMON_STATUS({}))  # this user, but the conductor cannot tell
        assert refused.value.code == protocol.PERMISSION_DENIED
        assert "is open to other users (mode 755)" in refused.value.message
    finally:
        client.close()  # the conductor hung up after its refusal
    folder.chmod(0o700)
    with ConductorClient(str(conductor.socket)) as again:
        assert again.request(DAEMON_STATUS({}))["pid"]


def test_shutdown_does_not_wait_for_connected_clients(conductor: ConductorProcess) -> None:
    follower = ConductorClient(str(conductor.socket))
    follower.request(DAEMON_STATUS({}))  # an open connection, as `run --wait` keeps
    try:
        assert conductor.kill(signal.SIGTERM) == 0
    finally:
        follower.close()


def test_progress_is_stored_as_sheets_complete(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score("""
        name: halfway
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 2}
        prompt:
          template: "{% if sheet_num == 2 %}while [ ! -e go ]; do sleep 0.02; done{% endif %}"
    """)
    job = conductor.submit(score)
    conductor.wait_until(
        lambda: conductor.status(job)["sheets"][1]["status"] == "running", 15, "sheet 2"
    )
    [listed] = conductor.request(JOB_LIST({"all": True}))["jobs"]
    assert (listed["job_id"], listed["completed_sheets"]) == (job, 1)
    (tmp_path / "ws" / "go").touch()
    conductor.wait_for_job(job, "completed")


def test_a_list_never_shows_less_progress_than_a_status_answered_before_it(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    # `status` reads the engine, `list` the store: while a step commits the engine is ahead.
    score = write_score("""
        name: many
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 60}
        prompt: {template: "true"}
    """)
    job = conductor.submit(score)
    seen, status = 0, "queued"
    while status in ("queued", "running"):
        shown = conductor.status(job)
        seen, status = sum(s["status"] == "completed" for s in shown["sheets"]), shown["status"]
        [listed] = conductor.request(JOB_LIST({"all": True}))["jobs"]
        assert listed["completed_sheets"] >= seen, status
    assert (status, seen) == ("completed", 60)


def test_a_script_larger_than_an_argument_may_be_runs(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    padding = "# " + "x" * 200_000
    score = write_score(f"""
        name: big
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {{size: 1, total_items: 1}}
        prompt:
          template: |
            {padding}
            echo done > out.txt
        validations:
          - {{type: content_contains, path: "{{workspace}}/out.txt", pattern: done}}
    """)
    conductor.wait_for_job(conductor.submit(score), "completed")


def test_an_attempt_that_cannot_start_says_why(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "ws").write_text("a file where the workspace should be")
    score = write_score("""
        name: blocked
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 0, base_delay_seconds: 0.05, max_completion_attempts: 0}
        prompt: {template: "true"}
    """)
    done = conductor.wait_for_job(conductor.submit(score), "failed")
    assert str(done["sheets"][0]["error"]).startswith("could not start: [Errno 17] File exists")


def test_conditions_stages_regexes_and_modification_decide_each_sheet(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "log.md").write_text("old\n")
    score = write_score("""
        name: judged
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 3, fan_out: {2: 2}, dependencies: {2: [1], 3: [2]}}
        retry: {max_retries: 0, base_delay_seconds: 0.05, max_completion_attempts: 0}
        prompt:
          template: |
            {% if stage == 1 %}printf '# Plan\\n' > plan.md
            {% elif stage == 2 %}echo "voice {{ voice }}" > part-{{ voice }}.txt
            {% else %}echo untouched{% endif %}
        validations:
          - {type: content_regex, path: "{workspace}/plan.md", pattern: "^# ", condition: "stage == 1"}
          - {type: file_exists, path: "{workspace}/part-{instance}.txt", condition: "stage == 2"}
          - {type: file_modified, path: "{workspace}/log.md", sheet: 4, stage: 1}
          - {type: command_succeeds, command: "touch {workspace}/never", sheet: 4, stage: 2}
    """)
    done = conductor.wait_for_job(conductor.submit(score), "failed")
    assert [s["status"] for s in done["sheets"]] == ["completed"] * 3 + ["failed"]
    assert str(done["sheets"][3]["error"]).startswith("validation failed: file_modified ")
    assert str(done["sheets"][3]["error"]).endswith(
        "the file was not changed by the attempt (1 not checked after it)"
    )
    assert not (tmp_path / "ws" / "never").exists()  # stage 2 never ran
