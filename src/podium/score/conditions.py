"""The small languages inside a score, parsed when the score loads.

`condition` on a validation rule: comparisons of a variable with an integer, joined by `and`:

    stage == 2 and instance >= 2

An unknown variable or a malformed condition is an error when the score loads, never a rule
that silently passes.
"""

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_COMPARISON = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(-?\d+)\s*$")
_AND = re.compile(r"\s+and\s+")


class ConditionError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    op: str
    value: int

    def holds(self, variables: Mapping[str, int]) -> bool:
        return _OPERATORS[self.op](variables[self.name], self.value)


@dataclass(frozen=True, slots=True)
class Condition:
    text: str
    comparisons: tuple[Comparison, ...]

    def holds(self, variables: Mapping[str, int]) -> bool:
        return all(c.holds(variables) for c in self.comparisons)


def parse_condition(text: str, known: frozenset[str]) -> Condition:
    """Parse `text`; `known` are the variables a condition may use."""
    comparisons = []
    for part in _AND.split(text.strip()):
        match = _COMPARISON.match(part)
        if match is None:
            raise ConditionError(
                f"cannot read {part.strip()!r} in condition {text!r}: write comparisons like "
                "'stage == 2', joined by 'and' (operators: == != >= <= > <; integers only)"
            )
        name, op, value = match.groups()
        if name not in known:
            raise ConditionError(
                f"condition {text!r} uses '{name}', which is not a variable a condition can "
                f"see; known: {', '.join(sorted(known))}"
            )
        comparisons.append(Comparison(name, op, int(value)))
    return Condition(text, tuple(comparisons))
