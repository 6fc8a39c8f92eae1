"""Grounding on a real conductor: a file that must keep its checksum, checked after the
sheet's own validations; binding (the attempt fails and is retried) or escalated to a person."""

import hashlib
from collections.abc import Callable
from pathlib import Path

from podium.testing.conductor import ConductorProcess
from tests.integration.test_approvals import waiting

SCORE = """
    name: grounded
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 2, base_delay_seconds: 0.05, max_completion_attempts: 0, jitter: false}}
    prompt:
      template: |
        echo done > out.txt
        n=$(cat tries 2>/dev/null || echo 0); echo $((n + 1)) > tries
        if [ "$(cat tries)" = 1 ]; then echo tampered > ref.csv; else printf 'a,b\\n' > ref.csv; fi
    grounding:
      enabled: true
      fail_on_grounding_failure: {binding}
      escalate_on_failure: true
      hooks:
        - type: file_checksum
          name: reference data
          expected_checksums: {{ref.csv: "{digest}"}}
    validations:
      - type: file_exists
        path: "{{workspace}}/out.txt"
"""
DIGEST = hashlib.sha256(b"a,b\n").hexdigest()


def test_binding_grounding_fails_the_attempt_and_the_retry_passes(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job = conductor.submit(write_score(SCORE.format(binding="true", digest=DIGEST)))
    conductor.wait_for_job(job, "completed")
    rows = conductor.query("SELECT attempt, outcome, error_code FROM attempts ORDER BY attempt")
    assert rows == [(1, "validation_failed", "E205"), (2, "succeeded", None)]
    shown = conductor.podium("history", job).stdout
    assert "grounding reference data (file_checksum" in shown
    assert "its sha256 checksum is" in shown


def test_escalated_grounding_asks_a_person_who_accepts_the_work(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job = conductor.submit(write_score(SCORE.format(binding="false", digest=DIGEST)))
    waiting(conductor, job, 1)
    assert conductor.status(job)["sheets"][0]["status"] == "awaiting_approval"
    listed = conductor.podium("approvals").stdout
    assert "grounding failed: " in listed and "its sha256 checksum is" in listed
    said = conductor.podium("approve", job, "1", "--note", "the change is meant")
    assert said.returncode == 0, said.stderr
    conductor.wait_for_job(job, "completed")
    assert conductor.query("SELECT outcome, error_code FROM attempts") == [("succeeded", None)]
