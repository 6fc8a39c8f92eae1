"""A score's approval gates: Marianne's `checkpoints` and Podium's `approvals`, read into each
sheet's gate, and what `validate` says about them (P012, P013, P014 and schema errors)."""

import json
from pathlib import Path

import pytest

from podium.domain.gates import GatePlan, GateWhen, OnTimeout
from podium.instruments.registry import discover
from podium.score.checks import check
from podium.score.diagnostics import Diagnostic
from tests.unit.score.helpers import BASE, compile_text, problems

CLEAN = BASE + "validations:\n  - {type: content_contains, path: '{workspace}/o', pattern: x}\n"


def findings(text: str) -> list[Diagnostic]:
    return check(compile_text(text, Path("/tmp/demo.yaml")), discover().names())


def gates(text: str) -> list[GatePlan | None]:
    return [s.gate for s in compile_text(text).plan.sheets]


MARIANNE = """
checkpoints:
  enabled: true
  triggers:
    - name: deploy
      sheet_nums: [2]
      message: look first
    - name: echo
      prompt_contains: ["ECHO 3"]
      requires_confirmation: false
"""


def test_marianne_checkpoints_gate_the_sheets_they_name_first_trigger_first() -> None:
    assert gates(BASE + MARIANNE) == [
        None,
        GatePlan("deploy", "look first"),
        GatePlan("echo", confirm=False),
    ]


def test_podium_approvals_read_every_key() -> None:
    text = (
        BASE
        + """
approvals:
  enabled: true
  triggers:
    - name: costly
      min_retry_count: 1
      when: after_checks
      cost_over: {job: 2.5}
      timeout: 60
      on_timeout: skip
      input: {type: object, properties: {note: {type: string}}}
"""
    )
    first = gates(text)[0]
    assert first == GatePlan(
        "costly",
        when=GateWhen.AFTER_CHECKS,
        min_retry=1,
        cost_over=2.5,
        cost_of_job=True,
        timeout_seconds=60,
        on_timeout=OnTimeout.SKIP,
        input_schema=first.input_schema if first else None,
    )
    assert first is not None and json.loads(first.input_schema or "")["type"] == "object"
    sheet_cost = text.replace("cost_over: {job: 2.5}", "cost_over: 3")
    assert [(g.cost_over, g.cost_of_job) for g in gates(sheet_cost) if g] == [(3, False)] * 3


def test_gates_that_are_off_gate_nothing_and_validate_says_so() -> None:
    text = CLEAN + MARIANNE.replace("enabled: true", "enabled: false")
    assert gates(text) == [None, None, None]
    [found] = [d for d in findings(text) if d.code == "P014"]
    assert found.message.startswith("checkpoints has triggers but is not enabled")
    assert "not acted on" not in " ".join(d.message for d in findings(CLEAN + MARIANNE))


def test_validate_points_at_triggers_that_name_missing_sheets_or_match_none() -> None:
    text = CLEAN + MARIANNE.replace("[2]", "[2, 7]").replace('"ECHO 3"', '"nowhere"')
    found = {d.code: d for d in findings(text)}
    assert found["P012"].message == "trigger 'deploy' names sheet 7, but the score has 3 sheets"
    assert found["P012"].line == CLEAN.count("\n") + 6
    assert found["P013"].message.startswith("trigger 'echo' matches no sheet of this score")


@pytest.mark.parametrize(
    ("block", "says"),
    [
        (
            "checkpoints: {enabled: true, triggers: [{name: x}]}",
            "needs sheet_nums, prompt_contains, min_retry_count or cost_over",
        ),
        (
            "approvals: {enabled: true, triggers: [{name: x, sheet_nums: [1], on_timeout: skip}]}",
            "on_timeout: skip needs a timeout (seconds)",
        ),
        (
            "approvals: {enabled: true, triggers: [{name: x, cost_over: {sheet: 1, job: 2}}]}",
            "cost_over needs exactly one of 'sheet' or 'job'",
        ),
        (
            "approvals: {enabled: true, triggers: [{name: x, cost_over: -1}]}",
            "cost_over must be more than 0",
        ),
        (
            "approvals: {enabled: true, triggers: [{name: x, sheet_nums: [1], input: {type: 3}}]}",
            "input is not a valid JSON Schema: ['type']: 3 is not valid under any of the given "
            "schemas",
        ),
        (
            "approvals: {enabled: true, triggers: [{name: x, sheet_nums: [1], "
            "input: {type: object, required: yes}}]}",
            "input is not a valid JSON Schema: ['required']: True is not of type 'array'",
        ),
        (
            "approvals: {enabled: true, triggers: [{name: x, sheet_nums: [1], when: later}]}",
            "when",
        ),
        (
            "approvals: {enabled: true, triggers: [{name: x, sheet_nums: [1]}]}\n"
            "checkpoints: {enabled: true, triggers: [{name: y, sheet_nums: [2]}]}",
            "set 'checkpoints' or 'approvals'",
        ),
    ],
)
def test_gate_mistakes_are_located_errors(block: str, says: str) -> None:
    found = problems(BASE + block + "\n")
    assert any(says in p for p in found), found


def test_cost_limits_on_exceed_ask_is_read_into_the_policy() -> None:
    asking = BASE + "cost_limits: {max_cost_per_job: 5, on_exceed: ask}\n"
    assert compile_text(asking).plan.policy.cost.ask
    assert not compile_text(asking.replace("ask", "pause")).plan.policy.cost.ask
