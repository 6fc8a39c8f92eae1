"""Fan-out: stages that run as several parallel instances (voices), expanded into sheets.

A score with `fan_out: {2: 3}` has stages 1, 2, 3, … and stage 2 runs three times. Expansion
numbers the concrete sheets stage by stage and rewrites stage dependencies into sheet
dependencies, by the counts on each side:

- 1 → N: each instance depends on the one source sheet;
- N → 1: the one sheet depends on every instance (fan-in);
- N → N: instance i depends on instance i;
- N → M (N ≠ M): every instance depends on every instance (all to all).

Without any declared dependency, each stage depends on the one before, by the same rules.
Pure: it knows nothing of YAML or locations.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ExpandedSheet:
    num: int
    stage: int
    instance: int
    """1-based; 1 for a stage that does not fan out."""
    fan_count: int
    depends_on: tuple[int, ...]

    @property
    def voice(self) -> int | None:
        """The instance number, shown as the voice, only where the stage fans out."""
        return self.instance if self.fan_count > 1 else None


def expand(
    stages: int, fan_out: Mapping[int, int], dependencies: Mapping[int, Sequence[int]]
) -> list[ExpandedSheet]:
    """Concrete sheets for `stages` stages; `dependencies` are between stages (1-based)."""
    counts = {stage: fan_out.get(stage, 1) for stage in range(1, stages + 1)}
    first: dict[int, int] = {}
    num = 1
    for stage in range(1, stages + 1):
        first[stage] = num
        num += counts[stage]
    if dependencies:
        stage_deps = {s: sorted(set(dependencies.get(s, ()))) for s in counts}
    else:
        stage_deps = {s: [s - 1] if s > 1 else [] for s in counts}
    sheets = []
    for stage, count in counts.items():
        for instance in range(1, count + 1):
            deps = sorted(
                d
                for source in stage_deps[stage]
                for d in _sources(first[source], counts[source], instance, count)
            )
            sheets.append(
                ExpandedSheet(first[stage] + instance - 1, stage, instance, count, tuple(deps))
            )
    return sheets


def _sources(first: int, count: int, instance: int, fan: int) -> range:
    """The sheets of a source stage (`count` of them from `first`) that instance `instance`
    of a stage with `fan` instances waits for."""
    if count == fan and count > 1:
        return range(first + instance - 1, first + instance)
    return range(first, first + count)
