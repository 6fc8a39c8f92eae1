"""What a job's attempts cost: totals of tokens and money per job, sheet, instrument and
(instrument, model), each saying whether any of it was estimated from guessed prices; and a
chart of the money spent over time (`render_cost_chart` in `cost_chart`).

An attempt that reported no cost (None) adds its tokens but no money, and is counted in
`unpriced`, so a total never passes off a gap as zero.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from podium.ipc.schema import AttemptDetailInfo, AttemptInfo

K = TypeVar("K", bound=Hashable)

ModelKey = tuple[str | None, str | None]
"""(instrument, model); either may be None when the attempt did not say."""


@dataclass(frozen=True, slots=True)
class CostRow(Generic[K]):
    """The sum over a group of attempts."""

    key: K
    """What the attempts share: a job id, a sheet number, an instrument, (instrument, model)."""
    attempts: int
    input_tokens: int
    output_tokens: int
    cost: float
    """The money of the attempts that reported a cost."""
    estimated: bool
    """At least one attempt's cost was computed from guessed prices."""
    unpriced: int
    """Attempts that reported no cost at all."""


@dataclass(frozen=True, slots=True)
class CostSummary:
    """One job's costs, every breakdown sorted by cost, highest first."""

    total: CostRow[str]
    by_sheet: tuple[CostRow[int], ...]
    by_instrument: tuple[CostRow[str | None], ...]
    by_model: tuple[CostRow[ModelKey], ...]


def total(key: K, attempts: Iterable[AttemptInfo]) -> CostRow[K]:
    """The sum of `attempts` under `key`."""
    count = tokens_in = tokens_out = unpriced = 0
    cost = 0.0
    estimated = False
    for a in attempts:
        count += 1
        tokens_in += a["input_tokens"] or 0
        tokens_out += a["output_tokens"] or 0
        if a["cost"] is None:
            unpriced += 1
            continue
        cost += a["cost"]
        estimated = estimated or a["cost_estimated"]
    return CostRow(key, count, tokens_in, tokens_out, cost, estimated, unpriced)


def grouped(
    attempts: Iterable[AttemptDetailInfo], key: Callable[[AttemptDetailInfo], K]
) -> tuple[CostRow[K], ...]:
    """One row per distinct `key(attempt)`, sorted by cost (highest first), then by key."""
    groups: dict[K, list[AttemptDetailInfo]] = {}
    for a in attempts:
        groups.setdefault(key(a), []).append(a)
    rows = [total(k, members) for k, members in groups.items()]
    return tuple(sorted(rows, key=lambda r: (-r.cost, str(r.key))))


def model_key(attempt: AttemptInfo) -> ModelKey:
    return (attempt["instrument"], attempt["model"])


def summarize(job_id: str, attempts: Sequence[AttemptDetailInfo]) -> CostSummary:
    """A job's costs in total and broken down by sheet, instrument and (instrument, model)."""
    return CostSummary(
        total(job_id, attempts),
        grouped(attempts, lambda a: a["sheet"]),
        grouped(attempts, lambda a: a["instrument"]),
        grouped(attempts, model_key),
    )


def by_job(jobs: Mapping[str, Sequence[AttemptInfo]]) -> tuple[CostRow[str], ...]:
    """One row per job, sorted by cost (highest first)."""
    rows = [total(job_id, attempts) for job_id, attempts in jobs.items()]
    return tuple(sorted(rows, key=lambda r: (-r.cost, r.key)))


def series_label(key: ModelKey) -> str:
    """'claude-code · opus', 'claude-code', or 'unknown instrument'."""
    instrument, model = key
    name = instrument or "unknown instrument"
    return f"{name} · {model}" if model else name
