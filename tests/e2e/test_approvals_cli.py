"""Approval gates as a person meets them: a webhook hears the question with the command that
answers it; the person runs that command; the job goes on; a second answer is refused."""

import json
import shlex
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import User, wait_for
from tests.integration.test_notifications import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def score(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "ship.yaml"
    path.write_text(
        textwrap.dedent(f"""
        name: ship
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {{size: 1, total_items: 2}}
        prompt:
          template: |
            echo run >> runs-{{{{ sheet_num }}}}.txt
        checkpoints:
          enabled: true
          triggers:
            - name: release
              sheet_nums: [2]
              message: sheet 2 releases
        notifications:
          - type: webhook
            on_events: [approval_requested, approval_decided, job_complete]
            config: {{url: '{url}/hook', retries: 0}}
        """)
    )
    return path


def test_a_person_hears_the_question_and_answers_it_with_the_printed_command(
    podium: User, receiver: Receiver, tmp_path: Path
) -> None:
    path = score(tmp_path, receiver.url)
    checked = podium("validate", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "not acted on" not in checked.stdout
    assert podium("run", str(path), "--detach").returncode == 0

    def asked() -> bool:
        return any(b["event"] == "approval_requested" for b in receiver.bodies())

    wait_for(asked, "the question to be heard")
    [question] = [b for b in receiver.bodies() if b["event"] == "approval_requested"]
    assert question["command"] == "podium approve ship 2"
    assert "answer: podium approve ship 2" in question["message"]

    listed = podium("approvals")
    assert "ship sheet 2 (before it runs): 'release': sheet 2 releases" in listed.stdout
    assert "answer: podium approve ship 2" in listed.stdout
    [open_one] = json.loads(podium("approvals", "--json").stdout)
    assert (open_one["job_id"], open_one["sheet"]) == ("ship", 2)
    status = podium("status", "ship")
    assert "awaiting_approval" in status.stdout
    assert "podium approve ship 2" in status.stdout

    argv = shlex.split(question["command"])[1:]
    done = podium(*argv, "--note", "checked")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "job ship: sheet 2 of job 'ship': approved by a person (note: checked)"
    )
    wait_for(lambda: any(b["event"] == "job_complete" for b in receiver.bodies()), "the job's end")
    events = [b["event"] for b in receiver.bodies()]
    assert events == ["approval_requested", "approval_decided", "job_complete"]
    assert (tmp_path / "ws" / "runs-2.txt").read_text() == "run\n"

    again = podium("reject", "ship", "2")
    assert again.returncode != 0
    assert "sheet 2 was answered: approve by a person" in again.stderr
    assert podium("approvals").stdout.strip() == "no sheet waits for an answer"
