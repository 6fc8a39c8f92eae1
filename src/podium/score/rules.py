"""Validation rules, checked when the score loads and filled in for each sheet.

At load: each rule has the fields its type needs (V008), its regex compiles (V007), its
condition parses, its path placeholders name real variables and format, and its command's
placeholders sit where bash takes their values as text (`podium.score.placeholders`). Per
sheet: the rules whose condition holds, with paths and commands filled in.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.domain.validation import ValidationKind
from podium.domain.validation import ValidationRule as Rule
from podium.score.blocks import GroundingConfig
from podium.score.conditions import Condition, ConditionError, parse_condition
from podium.score.diagnostics import Diagnostic
from podium.score.model import RULE_NEEDS, ValidationRule
from podium.score.placeholders import PlaceholderError, expand_path, shell_command
from podium.score.yamlsource import SourceMap

DEFAULT_COMMAND_TIMEOUT_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class CheckedRule:
    config: ValidationRule
    condition: Condition | None


def check_rules(
    rules: Sequence[ValidationRule], source: SourceMap, sample: Mapping[str, Any]
) -> tuple[list[CheckedRule], list[Diagnostic]]:
    """The rules, ready to apply, and every problem found; `sample` is a sheet's context."""
    numbers = frozenset(k for k, v in sample.items() if isinstance(v, int))
    checked, problems = [], []
    for index, rule in enumerate(rules):
        where: tuple[str | int, ...] = ("validations", index)
        problems += _fields(rule, where, source)
        condition = None
        text = rule.effective_condition
        if text is not None:
            try:
                condition = parse_condition(text, numbers)
            except ConditionError as exc:
                key = "condition" if rule.condition is not None else "sheet"
                problems.append(source.diagnostic((*where, key), str(exc)))
        for field in ("path", "working_directory"):
            value = getattr(rule, field)
            if value is not None:
                try:
                    expand_path(value, sample)
                except PlaceholderError as exc:
                    problems.append(source.diagnostic((*where, field), str(exc)))
        if rule.command is not None:
            try:
                shell_command(rule.command, sample)
            except PlaceholderError as exc:
                problems.append(source.diagnostic((*where, "command"), str(exc)))
        checked.append(CheckedRule(rule, condition))
    return checked, problems


def _fields(
    rule: ValidationRule, where: tuple[str | int, ...], source: SourceMap
) -> list[Diagnostic]:
    missing = [f for f in RULE_NEEDS[rule.type] if not (getattr(rule, f) or "").strip()]
    if missing:
        needs = " and ".join(repr(m) for m in missing)
        return [source.diagnostic(where, f"a {rule.type} rule needs {needs}", code="V008")]
    if rule.type == "content_regex" and rule.pattern is not None:
        try:
            re.compile(rule.pattern, re.MULTILINE)
        except re.error as exc:
            return [
                source.diagnostic(
                    (*where, "pattern"),
                    f"{rule.pattern!r} is not a valid regular expression: {exc}",
                    code="V007",
                )
            ]
    return []


def applicable(rules: Sequence[CheckedRule], numbers: Mapping[str, int]) -> list[ValidationRule]:
    return [r.config for r in rules if r.condition is None or r.condition.holds(numbers)]


def grounding_rules(
    grounding: GroundingConfig, context: Mapping[str, Any], workspace: Path, after_stage: int
) -> list[Rule]:
    """The score's grounding checks as rules of a stage of their own, after the sheet's: each
    expected checksum, its path placed as validation paths are. Without
    `fail_on_grounding_failure` they are advisory: a failure asks a person (with
    `escalate_on_failure`) or is only noted."""
    if not grounding.enabled:
        return []
    rules = []
    for hook in grounding.hooks:
        for path, checksum in hook.expected_checksums.items():
            expanded = Path(expand_path(path, context))
            rules.append(
                Rule(
                    kind=ValidationKind.FILE_CHECKSUM,
                    description=f"grounding {hook.name or hook.type}",
                    path=str(expanded if expanded.is_absolute() else workspace / expanded),
                    pattern=checksum.strip().lower(),
                    algorithm=hook.checksum_algorithm,
                    timeout_seconds=grounding.timeout_seconds,
                    stage=after_stage + 1,
                    advisory=not grounding.fail_on_grounding_failure,
                    escalate=grounding.escalate_on_failure
                    and not grounding.fail_on_grounding_failure,
                )
            )
    return rules


def fill(config: ValidationRule, context: Mapping[str, Any], workspace: Path) -> Rule:
    """The rule for one sheet: placeholders filled in, paths absolute."""

    def place(path: str | None) -> str | None:
        if path is None:
            return None
        expanded = Path(expand_path(path, context))
        return str(expanded if expanded.is_absolute() else workspace / expanded)

    kind = ValidationKind(config.type)
    command = shell_command(config.command, context) if config.command else None
    return Rule(
        kind=kind,
        description=config.description,
        path=place(config.path),
        pattern=config.pattern,
        command=command.script if command else None,
        command_environment=command.environment if command else (),
        command_shown=command.shown if command else None,
        working_directory=place(config.working_directory),
        timeout_seconds=config.timeout_seconds or DEFAULT_COMMAND_TIMEOUT_SECONDS,
        stage=config.stage,
        retry_count=config.retry_count if kind.reads_a_file else 0,
        retry_delay_ms=config.retry_delay_ms,
    )
