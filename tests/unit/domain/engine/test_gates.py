"""Approval gates in the engine, as tables: where a gate asks, what each answer does, first
answer wins, deadlines with each `on_timeout`, no slot held, no retry spent, restarts."""

import dataclasses

import pytest

from podium.domain.commands import Accepted, Persist, Rejected
from podium.domain.engine import Limits
from podium.domain.events import CancelJob, Restarted, RestoredJob, ValidationsDone
from podium.domain.gates import (
    COST_GATE,
    GROUNDING_GATE,
    Answer,
    GatePlan,
    GateRecord,
    GateWhen,
    OnTimeout,
    answer_command,
    grounding_gate,
    waiting_detail,
)
from podium.domain.ids import JobId, SheetNum
from podium.domain.plan import JobPlan
from podium.domain.policy import CostPolicy
from podium.domain.records import JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.testing.harness import EngineHarness, launched, launches, make_plan, wakes
from tests.unit.domain.engine.helpers import NO_DELAYS, job_record, notes, policy, reply_of

BEFORE = GatePlan("deploy", "look first")
AFTER = GatePlan("review", when=GateWhen.AFTER_CHECKS)


def gated(gate: GatePlan, on: int = 2, sheets: int = 3, **plan: object) -> JobPlan:
    """A chain of `sheets` sheets whose sheet `on` passes `gate`."""
    base = make_plan(sheets=sheets, **plan)  # type: ignore[arg-type]
    return dataclasses.replace(
        base,
        sheets=tuple(dataclasses.replace(s, gate=gate) if s.num == on else s for s in base.sheets),
    )


def statuses(h: EngineHarness, job: str = "job") -> list[str]:
    view = h.engine.view(JobId(job))
    assert view is not None
    return [s.status.value for s in view.sheets]


def gates_of(h: EngineHarness) -> list[GateRecord]:
    return [g for c in h.commands if isinstance(c, Persist) for g in c.gates]


def asked(gate: GatePlan = BEFORE) -> EngineHarness:
    """A job whose sheet 2 waits for its answer."""
    h = EngineHarness()
    h.submit(gated(gate))
    h.run_sheet("job", 1)
    if gate.when is GateWhen.AFTER_CHECKS:
        h.run_sheet("job", 2)
    return h


def test_a_gate_before_a_sheet_asks_instead_of_launching_and_holds_no_slot() -> None:
    h = EngineHarness()
    h.submit(gated(BEFORE))
    commands = h.run_sheet("job", 1)
    assert launched(commands) == []
    assert statuses(h) == ["completed", "awaiting_approval", "pending"]
    assert h.engine.in_flight == 0
    record = job_record(h)
    assert record.status is JobStatus.RUNNING
    assert record.detail == waiting_detail("job", [2])
    [gate] = gates_of(h)
    assert (gate.sheet, gate.name, gate.message, gate.point, gate.is_open) == (
        2,
        "deploy",
        "look first",
        GateWhen.BEFORE,
        True,
    )
    assert "sheet 2 of 3" in gate.context
    assert h.engine.open_gates() == [gate] == h.engine.open_gates(JobId("job"))


@pytest.mark.parametrize(
    ("gate", "answer", "ends", "sheets"),
    [
        (BEFORE, Answer.APPROVE, "completed", ["completed", "completed", "completed"]),
        (BEFORE, Answer.REJECT, "failed", ["completed", "failed", "skipped"]),
        (BEFORE, Answer.SKIP, "completed", ["completed", "skipped", "completed"]),
        (AFTER, Answer.APPROVE, "completed", ["completed", "completed", "completed"]),
        (AFTER, Answer.REJECT, "failed", ["completed", "failed", "skipped"]),
        (AFTER, Answer.SKIP, "completed", ["completed", "skipped", "completed"]),
    ],
)
def test_each_answer_before_and_after_the_checks(
    gate: GatePlan, answer: Answer, ends: str, sheets: list[str]
) -> None:
    h = asked(gate)
    assert statuses(h)[1] == "awaiting_approval"
    assert isinstance(reply_of(h.answer("job", 2, answer, note="why")), Accepted)
    for num in (2, 3):
        if h.engine.view(JobId("job")) is not None and statuses(h)[num - 1] == "running":
            h.run_sheet("job", num)
    record = job_record(h)
    assert record.status.value == ends
    assert [s.status.value for s in persisted_sheets(h)] == sheets
    assert gates_of(h)[-1].answer is answer
    assert gates_of(h)[-1].answered_by == "a person"


def persisted_sheets(h: EngineHarness) -> list[SheetRecord]:
    latest: dict[int, SheetRecord] = {}
    for c in h.commands:
        if isinstance(c, Persist):
            latest |= {s.num: s for s in c.sheets}
    return [latest[n] for n in sorted(latest)]


def test_the_first_answer_wins_and_a_second_is_refused_naming_it() -> None:
    h = asked()
    h.answer("job", 2, Answer.SKIP)
    second = reply_of(h.answer("job", 2, Answer.APPROVE))
    assert isinstance(second, Rejected)
    assert "was already answered: skipped by a person at" in second.reason


@pytest.mark.parametrize(
    ("job", "sheet", "says"),
    [
        ("other", 2, "job 'other' is not active"),
        ("job", 9, "job 'job' has no sheet 9"),
        ("job", 3, "sheet 3 of job 'job' waits for no answer (it is pending)"),
    ],
)
def test_an_answer_about_nothing_that_waits_is_refused(job: str, sheet: int, says: str) -> None:
    h = asked()
    refused = reply_of(h.answer(job, sheet, Answer.APPROVE))
    assert isinstance(refused, Rejected)
    assert refused.reason.startswith(says)


def test_an_approval_with_a_prompt_goes_with_the_next_attempt() -> None:
    h = asked()
    commands = h.answer("job", 2, Answer.APPROVE, prompt="be careful", replace_prompt=True)
    [launch] = launches(commands)
    assert (launch.sheet, launch.person_prompt, launch.replace_prompt) == (2, "be careful", True)
    assert "sheet 2: approved by a person, with a new prompt" in notes(h)
    h2 = asked()
    h2.answer("job", 2, Answer.APPROVE, prompt="also this")
    assert "sheet 2: approved by a person, with added instructions" in notes(h2)


def test_a_gate_without_confirmation_is_a_notice_and_the_sheet_runs() -> None:
    h = EngineHarness()
    h.submit(gated(dataclasses.replace(BEFORE, confirm=False)))
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert "sheet 2 passed checkpoint 'deploy': look first" in notes(h)
    h2 = EngineHarness()
    h2.submit(gated(dataclasses.replace(AFTER, confirm=False), on=1))
    assert launched(h2.run_sheet("job", 1)) == [("job", 2)]


def test_min_retry_count_asks_only_before_a_retry_and_spends_no_retry() -> None:
    h = EngineHarness()
    h.submit(gated(dataclasses.replace(BEFORE, min_retry=1), on=1, max_retries=1))
    assert statuses(h)[0] == "running"  # the first attempt was not asked about
    h.exit("job", 1, code=1)
    assert statuses(h)[0] == "awaiting_approval"
    h.answer("job", 1, Answer.APPROVE)
    assert persisted_sheets(h)[0].failures == 1  # the wait spent nothing
    h.exit("job", 1, code=1)  # the retry it had left
    assert persisted_sheets(h)[0].status is SheetStatus.FAILED
    assert job_record(h).status is JobStatus.FAILED


@pytest.mark.parametrize("of_job", [False, True])
def test_cost_over_asks_once_the_cost_passed_it(of_job: bool) -> None:
    gate = dataclasses.replace(BEFORE, cost_over=1.0, cost_of_job=of_job)
    h = EngineHarness()
    h.submit(gated(gate, on=1, max_retries=2))
    h.exit("job", 1, code=1, cost=0.5)
    assert statuses(h)[0] == "running"
    h.exit("job", 1, code=1, cost=0.7)
    assert statuses(h)[0] == "awaiting_approval"


def test_a_ready_sheet_asks_after_its_skip_check_said_it_runs() -> None:
    h = EngineHarness()
    h.submit(gated(BEFORE, on=1, skip_when_command={1: "false"}))
    assert statuses(h)[0] == "ready"
    h.skip_checked("job", 1, skip=False)
    assert statuses(h)[0] == "awaiting_approval"


def test_sheets_waiting_together_are_named_together() -> None:
    plan = make_plan({1: [], 2: []}, parallel=2)
    plan = dataclasses.replace(
        plan, sheets=tuple(dataclasses.replace(s, gate=BEFORE) for s in plan.sheets)
    )
    h = EngineHarness()
    h.submit(plan)
    assert job_record(h).detail == waiting_detail("job", [1, 2])
    assert "sheets 1, 2" in waiting_detail("job", [1, 2])
    h.answer("job", 1, Answer.APPROVE)
    assert job_record(h).detail == waiting_detail("job", [2])
    h.answer("job", 2, Answer.APPROVE)
    assert job_record(h).detail is None


@pytest.mark.parametrize(
    ("on_timeout", "sheet", "job"),
    [
        (OnTimeout.APPROVE, "running", JobStatus.RUNNING),
        (OnTimeout.REJECT, "failed", JobStatus.FAILED),
        (OnTimeout.SKIP, "running", JobStatus.RUNNING),  # sheet 3 runs
    ],
)
def test_a_deadline_answers_as_on_timeout_says(
    on_timeout: OnTimeout, sheet: str, job: JobStatus
) -> None:
    h = asked(dataclasses.replace(BEFORE, timeout_seconds=60, on_timeout=on_timeout))
    h.advance(59)
    assert statuses(h)[1] == "awaiting_approval"
    h.advance(1)
    assert job_record(h).status is job
    assert gates_of(h)[-1].answered_by == "its deadline"
    assert gates_of(h)[-1].answer == Answer(on_timeout.value)


def test_a_deadline_with_on_timeout_pause_pauses_the_job_and_the_question_stays() -> None:
    h = asked(dataclasses.replace(BEFORE, timeout_seconds=60))
    h.advance(60)
    record = job_record(h)
    assert record.status is JobStatus.PAUSED
    assert record.detail is not None and answer_command("job", 2) in record.detail
    [gate] = h.engine.open_gates()
    assert gate.expired
    h.advance(120)  # no second expiry
    assert len([g for g in gates_of(h) if g.expired]) == 1
    h.answer("job", 2, Answer.APPROVE)  # answered while paused: it runs on resume
    assert statuses(h)[1] == "ready"
    assert launched(h.resume()) == [("job", 2)]


def test_an_answer_before_the_deadline_leaves_nothing_for_it_to_do() -> None:
    h = asked(dataclasses.replace(BEFORE, timeout_seconds=60, on_timeout=OnTimeout.REJECT))
    h.answer("job", 2, Answer.APPROVE)
    h.advance(60)
    assert statuses(h)[1] == "running"
    assert gates_of(h)[-1].answered_by == "a person"


def test_a_deadline_of_a_sheet_no_longer_waiting_is_ignored() -> None:
    h = asked(dataclasses.replace(BEFORE, timeout_seconds=60, on_timeout=OnTimeout.REJECT))
    h.feed(CancelJob(99, JobId("job")))
    h.advance(60)
    assert job_record(h).status is JobStatus.CANCELLED


def restored(
    gate: GateRecord | None,
    status: SheetStatus = SheetStatus.AWAITING_APPROVAL,
    plan: JobPlan | None = None,
    at: float = 1.0,
) -> Restarted:
    plan = plan or gated(BEFORE)
    record = JobRecord(
        JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.RUNNING, at, 3, started_at=at
    )
    sheets = (
        SheetRecord(JobId("job"), SheetNum(1), SheetStatus.COMPLETED, 2.0, attempts=1),
        SheetRecord(JobId("job"), SheetNum(2), status, 2.0),
        SheetRecord(JobId("job"), SheetNum(3), SheetStatus.PENDING, 2.0),
    )
    gates = () if gate is None else (gate,)
    return Restarted((RestoredJob(record, plan, sheets, gates=gates),))


QUESTION = GateRecord(JobId("job"), SheetNum(2), "deploy", "look first", GateWhen.BEFORE, 2.0)


def test_a_restart_keeps_an_open_question_until_it_is_answered() -> None:
    h = EngineHarness()
    h.feed(restored(QUESTION))
    assert statuses(h)[1] == "awaiting_approval"
    assert h.engine.open_gates() == [QUESTION]
    assert launched(h.answer("job", 2, Answer.APPROVE)) == [("job", 2)]


def test_a_deadline_passed_while_the_conductor_was_down_is_answered_at_start() -> None:
    h = EngineHarness()
    now = h.clock.now()
    late = dataclasses.replace(QUESTION, deadline=now - 60, on_timeout=OnTimeout.SKIP)
    assert wakes(h.feed(restored(late, at=now - 100))) == [now - 60]
    assert launched(h.advance(0)) == [("job", 3)]
    assert gates_of(h)[-1].answered_by == "its deadline"


def test_a_restart_does_not_ask_again_about_an_approved_sheet() -> None:
    h = EngineHarness()
    approved = QUESTION.answered(Answer.APPROVE, 3.0, "a person")
    assert launched(h.feed(restored(approved, SheetStatus.READY))) == [("job", 2)]


def test_a_restored_question_about_a_sheet_the_score_no_longer_has_is_dropped() -> None:
    h = EngineHarness()
    h.feed(restored(dataclasses.replace(QUESTION, sheet=SheetNum(9)), SheetStatus.READY))
    assert statuses(h)[1] == "awaiting_approval"  # asked anew
    assert h.engine.open_gates()[0].sheet == 2


def test_an_expired_question_after_a_restart_does_not_pause_the_job_again() -> None:
    h = EngineHarness(Limits())
    now = h.clock.now()
    expired = dataclasses.replace(QUESTION, deadline=now - 1, expired=True)
    assert wakes(h.feed(restored(expired, at=now - 10))) == [
        now - 10 + Limits().job_timeout_seconds
    ]
    assert statuses(h)[1] == "awaiting_approval"


def test_the_context_names_the_sheets_description_and_passed_checks() -> None:
    plan = gated(AFTER)
    plan = dataclasses.replace(
        plan,
        sheets=tuple(
            dataclasses.replace(s, description="ship it") if s.num == 2 else s for s in plan.sheets
        ),
    )
    h = EngineHarness()
    h.submit(plan)
    h.run_sheet("job", 1)
    h.run_sheet("job", 2)
    context = gates_of(h)[-1].context
    assert "ship it" in context and "its checks passed" in context


@pytest.mark.parametrize(
    ("cost", "asks"),
    [
        (CostPolicy(max_cost_per_job=1.0, ask=True), "cost limit reached: $1.50 of $1.00"),
        (CostPolicy(max_cost_per_sheet=1.0, ask=True), "cost limit reached: sheet 1 cost $1.50"),
    ],
)
def test_a_cost_limit_with_on_exceed_ask_asks_before_the_next_attempt(
    cost: CostPolicy, asks: str
) -> None:
    plan = make_plan(sheets=2, max_retries=2)
    plan = dataclasses.replace(plan, policy=dataclasses.replace(plan.policy, cost=cost))
    h = EngineHarness()
    h.submit(plan)
    h.exit("job", 1, code=1, cost=1.5)
    assert job_record(h).status is JobStatus.RUNNING  # not paused
    assert statuses(h)[0] == "awaiting_approval"
    [question] = h.engine.open_gates()
    assert (question.name, question.message.startswith(asks)) == (COST_GATE, True)
    assert launched(h.answer("job", 1, Answer.APPROVE)) == [("job", 1)]
    h.run_sheet("job", 1)
    if cost.max_cost_per_job is not None:  # the job is still over: the next sheet asks too
        assert statuses(h)[1] == "awaiting_approval"
    else:
        assert statuses(h)[1] == "running"


def test_a_cost_question_comes_after_the_sheets_own_gate_and_survives_a_restart() -> None:
    plan = gated(BEFORE, on=2, max_retries=1)
    plan = dataclasses.replace(
        plan,
        policy=dataclasses.replace(plan.policy, cost=CostPolicy(max_cost_per_job=1.0, ask=True)),
    )
    h = EngineHarness()
    h.submit(plan)
    h.exit("job", 1, cost=2.0)
    h.validated("job", 1)
    assert [g.name for g in h.engine.open_gates()] == ["deploy"]
    h.answer("job", 2, Answer.APPROVE)
    assert [g.name for g in h.engine.open_gates()] == [COST_GATE]
    approved = h.engine.open_gates()[0].answered(Answer.APPROVE, 5.0, "a person")
    again = EngineHarness()
    restarted = restored(approved, SheetStatus.READY, plan=plan)
    assert launched(again.feed(restarted)) == [("job", 2)]


def test_a_cost_limit_without_ask_still_pauses() -> None:
    plan = make_plan(sheets=2)
    plan = dataclasses.replace(
        plan, policy=dataclasses.replace(plan.policy, cost=CostPolicy(max_cost_per_job=1.0))
    )
    h = EngineHarness()
    h.submit(plan)
    h.exit("job", 1, cost=2.0)
    assert job_record(h).status is JobStatus.PAUSED
    assert h.engine.open_gates() == []


def test_a_resumed_job_says_again_which_sheets_wait() -> None:
    h = asked()
    h.pause()
    assert job_record(h).detail == "paused by the user"
    h.resume()
    assert job_record(h).status is JobStatus.RUNNING
    assert job_record(h).detail == waiting_detail("job", [2])


GROUNDED = ValidationRule(ValidationKind.FILE_CHECKSUM, path="/w/ref.csv", pattern="ab12")


def _checked(rule: ValidationRule, passed: bool) -> tuple[ValidationResult, ...]:
    own = ValidationResult(ValidationRule(ValidationKind.FILE_EXISTS, path="/w/out"), True, "")
    return (own, ValidationResult(rule, passed, "" if passed else "its sha256 checksum is ff"))


def _validated(h: EngineHarness, results: tuple[ValidationResult, ...]) -> None:
    h.feed(ValidationsDone(JobId("job"), SheetNum(1), h.current_attempt("job", 1), results))


@pytest.mark.parametrize("answer", [Answer.APPROVE, Answer.REJECT])
def test_grounding_that_escalates_asks_a_person_after_the_checks(answer: Answer) -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.exit("job", 1)
    _validated(h, _checked(dataclasses.replace(GROUNDED, advisory=True, escalate=True), False))
    [gate] = [g for c in h.commands if isinstance(c, Persist) for g in c.gates]
    assert (gate.name, gate.point) == (GROUNDING_GATE, GateWhen.AFTER_CHECKS)
    assert gate.message.startswith("grounding failed: ")
    assert "its sha256 checksum is ff" in gate.message
    assert job_record(h).status is JobStatus.RUNNING
    h.answer("job", 1, answer)
    expected = JobStatus.COMPLETED if answer is Answer.APPROVE else JobStatus.FAILED
    assert job_record(h).status is expected


def test_advisory_grounding_is_noted_and_binding_grounding_fails_the_attempt() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.exit("job", 1)
    _validated(h, _checked(dataclasses.replace(GROUNDED, advisory=True), False))
    assert job_record(h).status is JobStatus.COMPLETED
    assert any(n.startswith("sheet 1: ") and "checksum is ff" in n for n in notes(h))
    assert grounding_gate(()) is None
    bound = EngineHarness()
    bound.submit(make_plan(sheets=1, policy=policy(retry=NO_DELAYS)))
    bound.exit("job", 1)
    _validated(bound, _checked(GROUNDED, False))
    assert job_record(bound).status is JobStatus.RUNNING
    assert launched(bound.advance(3600)) == [("job", 1)]  # retried, as any failed check


def test_a_review_is_kept_with_the_attempt_its_cost_counted_and_a_final_low_score_fails() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(retry=NO_DELAYS)))
    h.exit("job", 1)
    review = ValidationRule(ValidationKind.AI_REVIEW, pattern="60", fatal=True)
    low = ValidationResult(review, False, "scored 40/100")
    h.feed(
        ValidationsDone(
            JobId("job"), SheetNum(1), 1, (low,), review='{"score": 40}', review_cost=0.25
        )
    )
    [record] = [a for c in h.commands if isinstance(c, Persist) for a in c.attempts][-1:]
    assert (record.review, record.error_code) == ('{"score": 40}', "E206")
    assert job_record(h).cost == 0.25
    assert job_record(h).status is JobStatus.FAILED  # no retry, though the budget has two
    assert launched(h.advance(3600)) == []
