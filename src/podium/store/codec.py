"""Domain values to JSON and back, for the columns that hold structured data."""

import json
from typing import Any

from podium.domain.ids import SheetNum
from podium.domain.plan import JobPlan, SheetPlan
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule


def plan_to_json(plan: JobPlan) -> str:
    return json.dumps(
        {
            "name": plan.name,
            "sheets": [
                {
                    "num": s.num,
                    "movement": s.movement,
                    "voice": s.voice,
                    "voice_count": s.voice_count,
                    "instrument": s.instrument,
                    "depends_on": list(s.depends_on),
                    "timeout_seconds": s.timeout_seconds,
                    "max_retries": s.max_retries,
                    "description": s.description,
                    "model": s.model,
                    "fallbacks": list(s.fallbacks),
                }
                for s in plan.sheets
            ],
        },
        separators=(",", ":"),
    )


def plan_from_json(text: str) -> JobPlan:
    data = json.loads(text)
    return JobPlan(
        name=data["name"],
        sheets=tuple(
            SheetPlan(
                num=SheetNum(s["num"]),
                movement=s["movement"],
                voice=s["voice"],
                voice_count=s["voice_count"],
                instrument=s["instrument"],
                depends_on=tuple(SheetNum(d) for d in s["depends_on"]),
                timeout_seconds=s["timeout_seconds"],
                max_retries=s["max_retries"],
                description=s["description"],
                model=s.get("model"),
                fallbacks=tuple(s.get("fallbacks", ())),
            )
            for s in data["sheets"]
        ),
    )


def results_to_json(results: tuple[ValidationResult, ...]) -> str | None:
    if not results:
        return None
    return json.dumps([_result(r) for r in results], separators=(",", ":"))


def results_from_json(text: str | None) -> tuple[ValidationResult, ...]:
    if not text:
        return ()
    return tuple(
        ValidationResult(
            rule=ValidationRule(
                kind=ValidationKind(r["kind"]),
                description=r["description"],
                path=r["path"],
                pattern=r["pattern"],
                command=r["command"],
                working_directory=r.get("working_directory"),
                timeout_seconds=r["timeout_seconds"],
                stage=r.get("stage", 1),
            ),
            passed=r["passed"],
            detail=r["detail"],
            checked=r.get("checked", True),
        )
        for r in json.loads(text)
    )


def _result(r: ValidationResult) -> dict[str, Any]:
    rule = r.rule
    return {
        "kind": rule.kind.value,
        "description": rule.description,
        "path": rule.path,
        "pattern": rule.pattern,
        "command": rule.command,
        "timeout_seconds": rule.timeout_seconds,
        "working_directory": rule.working_directory,
        "stage": rule.stage,
        "passed": r.passed,
        "detail": r.detail,
        "checked": r.checked,
    }
