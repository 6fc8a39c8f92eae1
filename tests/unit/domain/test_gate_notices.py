"""Approval questions as notifications tell them: asked (with the command that answers),
answered, and not answered in time."""

import dataclasses

import pytest

from podium.domain.gates import Answer, GatePlan, OnTimeout
from podium.domain.notices import NoticeEvent, headline, message, payload
from tests.unit.domain.engine.test_gates import gated
from tests.unit.domain.test_notices import Told

APPROVALS = {
    NoticeEvent.APPROVAL_REQUESTED,
    NoticeEvent.APPROVAL_DECIDED,
    NoticeEvent.APPROVAL_EXPIRED,
}


def asked(told: Told, gate: GatePlan) -> None:
    told(told.h.submit(gated(gate)))
    told(told.h.run_sheet("job", 1))


def test_a_question_is_told_with_the_command_that_answers_it_then_its_answer() -> None:
    told = Told()
    asked(told, GatePlan("deploy", "look first"))
    told(told.h.answer("job", 2, Answer.SKIP, note="not now"))
    requested, decided = [n for n in told.heard if n.event in APPROVALS]
    assert requested.event is NoticeEvent.APPROVAL_REQUESTED
    assert headline(requested) == "podium: sheet 2 of job job (plan) waits for your approval"
    assert message(requested).splitlines()[1:] == [
        "look first",
        "answer: podium approve job 2 (or reject, skip: the same arguments)",
    ]
    assert payload(requested)["command"] == "podium approve job 2"
    assert decided.event is NoticeEvent.APPROVAL_DECIDED
    assert headline(decided) == "podium: sheet 2 of job job (plan) was answered: skip"
    assert decided.detail == "skip by a person: not now"
    assert "command" not in payload(decided)


@pytest.mark.parametrize(
    ("on_timeout", "detail"),
    [
        (OnTimeout.PAUSE, "no answer in time: the job paused"),
        (OnTimeout.SKIP, "no answer in time: skip"),
    ],
)
def test_a_question_left_unanswered_is_told_as_expired(on_timeout: OnTimeout, detail: str) -> None:
    told = Told()
    asked(told, dataclasses.replace(GatePlan("deploy"), timeout_seconds=5, on_timeout=on_timeout))
    told(told.h.advance(5))
    [expired] = [n for n in told.heard if n.event is NoticeEvent.APPROVAL_EXPIRED]
    assert expired.detail == detail
    assert headline(expired) == "podium: sheet 2 of job job (plan) was not answered in time"
    assert (expired.command is not None) is (on_timeout is OnTimeout.PAUSE)
