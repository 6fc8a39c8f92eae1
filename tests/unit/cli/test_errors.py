import argparse

import pytest

from podium.cli import exits
from podium.cli.errors import run_reporting_errors
from podium.ipc.client import AnswerLate, AnswerLost, ConductorUnavailable


def _raising(exc: Exception) -> int:
    def handler(_: argparse.Namespace) -> int:
        raise exc

    return run_reporting_errors(handler, argparse.Namespace())


def test_a_request_left_unanswered_is_not_reported_as_no_conductor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _raising(AnswerLost("/run/podium.sock", "job.cancel", "the connection was closed"))
    assert code == exits.ANSWER_LOST == 6
    err = capsys.readouterr().err
    assert "stopped before answering 'job.cancel'" in err
    assert "not running" not in err
    assert _raising(ConductorUnavailable("/run/podium.sock", "no such socket")) == 4


def test_a_request_not_answered_in_time_may_have_been_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _raising(AnswerLate("/run/podium.sock", "job.submit", 30)) == exits.ANSWER_LOST
    err = capsys.readouterr().err
    assert "did not answer 'job.submit' within 30s" in err
    assert "may have been done, or may be done yet" in err
