"""A score's `checkpoints` (or `approvals`) triggers, as the gate each sheet passes.

A sheet passes the first trigger that matches it: its number is in `sheet_nums` (when given)
and its rendered prompt contains one of `prompt_contains` (when given, ignoring case).
`min_retry_count` and `cost_over` are checked by the engine when the sheet gets there.
"""

import json
from collections.abc import Callable
from dataclasses import replace

from podium.domain.gates import GatePlan, GateWhen, OnTimeout
from podium.domain.ids import SheetNum
from podium.domain.plan import JobPlan
from podium.score.blocks import CheckpointConfig, CheckpointTrigger, CostOver


def with_gates(
    plan: JobPlan, block: CheckpointConfig, prompt: Callable[[SheetNum], str]
) -> JobPlan:
    """The plan with each gated sheet's `GatePlan`; unchanged when gates are off."""
    if not block.enabled or not block.triggers:
        return plan
    sheets = tuple(replace(s, gate=_first(block.triggers, s.num, prompt)) for s in plan.sheets)
    return replace(plan, sheets=sheets)


def matches(trigger: CheckpointTrigger, num: SheetNum, prompt: Callable[[SheetNum], str]) -> bool:
    """Whether the trigger names this sheet."""
    if trigger.sheet_nums and num not in trigger.sheet_nums:
        return False
    if trigger.prompt_contains:
        text = prompt(num).casefold()
        return any(word.casefold() in text for word in trigger.prompt_contains)
    return True


def gate_plan(trigger: CheckpointTrigger) -> GatePlan:
    """The engine's view of one trigger."""
    cost = trigger.cost_over
    return GatePlan(
        name=trigger.name,
        message=trigger.message,
        when=GateWhen(trigger.when),
        confirm=trigger.requires_confirmation,
        min_retry=trigger.min_retry_count,
        cost_over=(cost.sheet or cost.job) if isinstance(cost, CostOver) else cost,
        cost_of_job=isinstance(cost, CostOver) and cost.job is not None,
        timeout_seconds=trigger.timeout,
        on_timeout=OnTimeout(trigger.on_timeout),
        input_schema=None if trigger.input is None else json.dumps(trigger.input),
    )


def _first(
    triggers: list[CheckpointTrigger], num: SheetNum, prompt: Callable[[SheetNum], str]
) -> GatePlan | None:
    for trigger in triggers:
        if matches(trigger, num, prompt):
            return gate_plan(trigger)
    return None
