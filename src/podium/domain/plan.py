"""The sheet plan: what a job consists of, as the engine sees it.

A plan is built from a score by `podium.score` and frozen at submission; the engine only needs
the shape of the work (numbers, dependencies, budgets), never the prompts.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from podium.domain.classify import ErrorPatterns
from podium.domain.gates import GatePlan
from podium.domain.ids import SheetNum
from podium.domain.policy import JobPolicy


@dataclass(frozen=True, slots=True)
class SheetPlan:
    num: SheetNum
    movement: int
    voice: int | None
    voice_count: int
    instrument: str
    depends_on: tuple[SheetNum, ...]
    timeout_seconds: float
    description: str | None = None
    model: str | None = None
    fallbacks: tuple[str, ...] = ()
    """Instruments to move to, in order, when this one cannot do the work."""
    skip_when: str | None = None
    """An expression over `sheets` and `job`; true means the sheet is skipped."""
    skip_when_command: str | None = None
    """A shell command run before the sheet; exit 0 means the sheet is skipped."""
    skip_command_timeout: float = 10.0
    gate: GatePlan | None = None
    """An approval gate (the score's `checkpoints` or `approvals`) this sheet passes."""

    @property
    def chain(self) -> tuple[str, ...]:
        """The instrument, then its fallbacks."""
        return (self.instrument, *self.fallbacks)


@dataclass(frozen=True, slots=True)
class JobPlan:
    name: str
    sheets: tuple[SheetPlan, ...]
    policy: JobPolicy = field(default_factory=JobPolicy)
    patterns: ErrorPatterns = field(default_factory=ErrorPatterns)
    """How to recognise rate limits and other failures in an attempt's output."""

    @property
    def total_sheets(self) -> int:
        return len(self.sheets)

    @property
    def asks(self) -> bool:
        """Whether any sheet may ask a person: a gate, or a cost limit with `on_exceed: ask`."""
        return self.policy.cost.ask or any(s.gate is not None for s in self.sheets)


def find_cycle(depends_on: Mapping[SheetNum, Iterable[SheetNum]]) -> list[SheetNum] | None:
    """A dependency cycle as a path `[a, b, …, a]`, or None when the graph is acyclic."""
    done: set[SheetNum] = set()
    for root in sorted(depends_on):
        if root in done:
            continue
        path: list[SheetNum] = []
        on_path: set[SheetNum] = set()
        stack: list[tuple[SheetNum, list[SheetNum]]] = [(root, sorted(depends_on.get(root, ())))]
        path.append(root)
        on_path.add(root)
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            nxt = todo.pop(0)
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                stack.append((nxt, sorted(depends_on.get(nxt, ()))))
                path.append(nxt)
                on_path.add(nxt)
    return None
