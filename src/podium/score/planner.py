"""From a score's `sheet` block to the sheet plan: item ranges and the dependency graph."""

from dataclasses import dataclass

from podium.domain.ids import SheetNum
from podium.domain.plan import JobPlan, SheetPlan, find_cycle
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.model import DEFAULT_SHEET_TIMEOUT_SECONDS, ScoreModel, SheetConfig
from podium.score.yamlsource import SourceMap


@dataclass(frozen=True, slots=True)
class ItemRange:
    start_item: int
    end_item: int


def item_ranges(sheet: SheetConfig) -> list[ItemRange]:
    """Sheet n covers items `start + (n-1)·size … min(start + n·size - 1, total_items)`."""
    return [
        ItemRange(first, min(first + sheet.size - 1, sheet.total_items))
        for first in range(sheet.start_item, sheet.total_items + 1, sheet.size)
    ]


def dependency_graph(
    sheet: SheetConfig, total: int, source: SourceMap
) -> dict[SheetNum, tuple[SheetNum, ...]]:
    """Declared dependencies, checked; without any, each sheet depends on the one before."""
    if not sheet.dependencies:
        return {SheetNum(n): (SheetNum(n - 1),) if n > 1 else () for n in range(1, total + 1)}
    problems: list[Diagnostic] = []
    where = ("sheet", "dependencies")
    for num, deps in sheet.dependencies.items():
        if not 1 <= num <= total:
            problems.append(
                source.diagnostic((*where, num), _out_of_range(num, None, total), key=True)
            )
        for index, dep in enumerate(deps):
            if dep == num:
                problems.append(
                    source.diagnostic((*where, num, index), f"sheet {num} cannot depend on itself")
                )
            elif not 1 <= dep <= total:
                problems.append(
                    source.diagnostic((*where, num, index), _out_of_range(num, dep, total))
                )
    if problems:
        raise ScoreError(problems)
    graph = {
        SheetNum(n): tuple(SheetNum(d) for d in sorted(set(sheet.dependencies.get(n, []))))
        for n in range(1, total + 1)
    }
    cycle = find_cycle(graph)
    if cycle is not None:
        path = " → ".join(str(n) for n in reversed(cycle))
        raise ScoreError(
            [
                source.diagnostic(
                    (*where, cycle[0]),
                    f"the dependencies form a cycle: {path}; a sheet can never wait for itself",
                    key=True,
                )
            ]
        )
    return graph


def _out_of_range(num: int, dep: int | None, total: int) -> str:
    sheets = "1 sheet" if total == 1 else f"{total} sheets"
    if dep is None:
        return f"there is no sheet {num}: the score has {sheets}"
    return f"sheet {num} depends on sheet {dep}, but the score has {sheets}"


def build_plan(score: ScoreModel, source: SourceMap) -> JobPlan:
    ranges = item_ranges(score.sheet)
    graph = dependency_graph(score.sheet, len(ranges), source)
    timeout = score.instrument_config.timeout_seconds or DEFAULT_SHEET_TIMEOUT_SECONDS
    return JobPlan(
        name=score.name,
        sheets=tuple(
            SheetPlan(
                num=num,
                movement=int(num),
                voice=None,
                voice_count=1,
                instrument=score.instrument,
                depends_on=graph[num],
                timeout_seconds=timeout,
                max_retries=score.retry.max_retries,
            )
            for num in sorted(graph)
        ),
    )
