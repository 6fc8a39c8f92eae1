"""From a score to its concrete sheets: item ranges, fan-out, dependencies, instruments, timeouts.

Everything here is a pure function of the score model; problems are collected with their
locations and raised together as a `ScoreError`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from podium.domain.ids import SheetNum
from podium.domain.plan import JobPlan, SheetPlan, find_cycle
from podium.score.casting import Casting, cast, instrument_map_index
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.fanout import ExpandedSheet, expand
from podium.score.model import ScoreModel, SheetConfig
from podium.score.policy import error_patterns, job_policy
from podium.score.variables import SheetIdentity
from podium.score.wording import count
from podium.score.yamlsource import SourceMap


@dataclass(frozen=True, slots=True)
class ItemRange:
    start_item: int
    end_item: int


@dataclass(frozen=True, slots=True)
class PlannedSheet:
    identity: SheetIdentity
    voice: int | None
    depends_on: tuple[int, ...]
    casting: Casting
    timeout_seconds: float
    timeout_from: tuple[str | int, ...]
    """Where in the score the timeout was set (for messages about it)."""
    description: str | None

    @property
    def num(self) -> int:
        return self.identity.num


def item_ranges(sheet: SheetConfig) -> list[ItemRange]:
    """Sheet n covers items `start + (n-1)·size … min(start + n·size - 1, total_items)`."""
    return [
        ItemRange(first, min(first + sheet.size - 1, sheet.total_items))
        for first in range(sheet.start_item, sheet.total_items + 1, sheet.size)
    ]


def plan_sheets(score: ScoreModel, source: SourceMap, workspace: str) -> list[PlannedSheet]:
    """The score's concrete sheets, or `ScoreError` listing every structural problem."""
    ranges = item_ranges(score.sheet)
    stages = len(ranges)
    fan_out = _fan_out(score)
    problems = [
        *_fan_out_problems(score, fan_out, stages, source),
        *_dependency_problems(
            score.sheet.dependencies, stages, source, "stage" if fan_out else "sheet"
        ),
        *_instrument_problems(score, source),
    ]
    if problems:
        raise ScoreError(problems)
    expanded = expand(stages, fan_out, score.sheet.dependencies)
    by_map = instrument_map_index(score)
    planned = []
    for sheet in expanded:
        # With fan-out, each sheet is one item: Marianne's sheet_num.
        items = ranges[sheet.stage - 1] if not fan_out else ItemRange(sheet.num, sheet.num)
        casting = cast(score, sheet.num, sheet.stage, by_map)
        identity = SheetIdentity(
            sheet.num,
            len(expanded),
            items.start_item,
            items.end_item,
            sheet.stage,
            sheet.instance,
            sheet.fan_count,
            stages,
            casting.instrument,
            workspace,
        )
        timeout, timeout_from = sheet_timeout(score, sheet, casting)
        planned.append(
            PlannedSheet(
                identity,
                sheet.voice,
                sheet.depends_on,
                casting,
                timeout,
                timeout_from,
                score.sheet.descriptions.get(sheet.num),
            )
        )
    return planned


def job_plan(score: ScoreModel, sheets: Sequence[PlannedSheet], folder: Path) -> JobPlan:
    """The engine's view of the job; `folder` is the score's (it anchors hook paths)."""
    skip_when, skip_commands = score.sheet.skip_when, score.sheet.skip_when_command
    return JobPlan(
        name=score.name,
        policy=job_policy(score, folder),
        patterns=error_patterns(score),
        sheets=tuple(
            SheetPlan(
                num=SheetNum(s.num),
                movement=s.identity.stage,
                voice=s.voice,
                voice_count=s.identity.fan_count,
                instrument=s.casting.instrument,
                depends_on=tuple(SheetNum(d) for d in s.depends_on),
                timeout_seconds=s.timeout_seconds,
                description=s.description,
                model=s.casting.model,
                fallbacks=s.casting.fallbacks,
                skip_when=skip_when.get(s.identity.stage),
                skip_when_command=(
                    skip_commands[s.identity.stage].command
                    if s.identity.stage in skip_commands
                    else None
                ),
                skip_command_timeout=(
                    skip_commands[s.identity.stage].timeout_seconds
                    if s.identity.stage in skip_commands
                    else 10.0
                ),
            )
            for s in sheets
        ),
    )


def sheet_timeout(
    score: ScoreModel, sheet: ExpandedSheet, casting: Casting
) -> tuple[float, tuple[str | int, ...]]:
    """The most specific setting wins: this sheet's own, then its instrument's, then the
    score's legacy `backend.timeout_seconds` (1800 s unless set). Returns where it came from."""
    num = sheet.num
    per_sheet = score.sheet.per_sheet_instrument_config.get(num)
    override = score.backend.sheet_overrides.get(num)
    overrides = casting.config.get("timeout_overrides") or {}
    candidates: list[tuple[float | None, tuple[str | int, ...]]] = [
        (
            per_sheet.timeout_seconds if per_sheet else None,
            ("sheet", "per_sheet_instrument_config", num, "timeout_seconds"),
        ),
        (
            override.timeout_seconds if override else None,
            ("backend", "sheet_overrides", num, "timeout_seconds"),
        ),
        (score.backend.timeout_overrides.get(num), ("backend", "timeout_overrides", num)),
        (overrides.get(num), ("instrument_config", "timeout_overrides", num)),
        (casting.config.get("timeout_seconds"), ("instrument_config", "timeout_seconds")),
    ]
    for value, path in candidates:
        if value is not None:
            return float(value), path
    return score.backend.timeout_seconds, ("backend", "timeout_seconds")


def _fan_out(score: ScoreModel) -> dict[int, int]:
    """`sheet.fan_out`, with `movements.N.voices` as its shorthand."""
    fan_out = dict(score.sheet.fan_out)
    for stage, movement in score.movements.items():
        if movement.voices is not None and stage not in fan_out:
            fan_out[stage] = movement.voices
    return fan_out


def _fan_out_problems(
    score: ScoreModel, fan_out: Mapping[int, int], stages: int, source: SourceMap
) -> list[Diagnostic]:
    if not fan_out:
        return []
    where = ("sheet",)
    problems = []
    if score.sheet.size != 1:
        problems.append(
            source.diagnostic(
                (*where, "size"),
                f"fan-out needs size: 1 (each stage is one sheet), got size: {score.sheet.size}",
            )
        )
    if score.sheet.start_item != 1:
        problems.append(
            source.diagnostic(
                (*where, "start_item"),
                f"fan-out needs start_item: 1, got start_item: {score.sheet.start_item}",
            )
        )
    for stage, movement in score.movements.items():
        declared = score.sheet.fan_out.get(stage)
        if movement.voices is not None and declared is not None and declared != movement.voices:
            problems.append(
                source.diagnostic(
                    ("movements", stage, "voices"),
                    f"movement {stage} has {movement.voices} voices but sheet.fan_out gives stage "
                    f"{stage} {declared} instances; keep one of them",
                )
            )
    for stage in fan_out:
        if stage > stages:
            path = (
                (*where, "fan_out", stage)
                if stage in score.sheet.fan_out
                else ("movements", stage, "voices")
            )
            problems.append(
                source.diagnostic(
                    path,
                    f"there is no stage {stage}: the score has {count(stages, 'stage')}",
                    key=True,
                )
            )
    return problems


def _dependency_problems(
    dependencies: Mapping[int, Sequence[int]], stages: int, source: SourceMap, noun: str
) -> list[Diagnostic]:
    """Dependencies are between stages when the score fans out, else between sheets."""
    where = ("sheet", "dependencies")
    total = count(stages, noun)
    problems = []
    for num, deps in dependencies.items():
        if num > stages:
            problems.append(
                source.diagnostic(
                    (*where, num), f"there is no {noun} {num}: the score has {total}", key=True
                )
            )
        for index, dep in enumerate(deps):
            if dep == num:
                problems.append(
                    source.diagnostic((*where, num, index), f"{noun} {num} cannot depend on itself")
                )
            elif dep > stages:
                problems.append(
                    source.diagnostic(
                        (*where, num, index),
                        f"{noun} {num} depends on {noun} {dep}, but the score has {total}",
                    )
                )
    if problems:
        return problems
    cycle = find_cycle({SheetNum(n): [SheetNum(d) for d in ds] for n, ds in dependencies.items()})
    if cycle is not None:
        path = " → ".join(str(n) for n in reversed(cycle))
        return [
            source.diagnostic(
                (*where, cycle[0]),
                f"the dependencies form a cycle: {path}; a {noun} can never wait for itself",
                key=True,
            )
        ]
    return []


def _instrument_problems(score: ScoreModel, source: SourceMap) -> list[Diagnostic]:
    problems = []
    if score.instrument is not None and score.backend.type != "claude_cli":
        problems.append(
            source.diagnostic(
                ("instrument",),
                f"both 'instrument: {score.instrument}' and 'backend.type: "
                f"{score.backend.type}' are set; use one of them (instrument is the current way)",
            )
        )
    first: dict[int, str] = {}
    for name, sheets in score.sheet.instrument_map.items():
        for index, num in enumerate(sheets):
            if num in first and first[num] != name:
                problems.append(
                    source.diagnostic(
                        ("sheet", "instrument_map", name, index),
                        f"sheet {num} is given to both '{first[num]}' and '{name}' in "
                        "instrument_map; a sheet has one instrument",
                    )
                )
            first.setdefault(num, name)
    return problems
