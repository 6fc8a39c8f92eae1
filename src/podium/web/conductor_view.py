"""The conductor page's decisions, free of I/O: each instrument's caps beside what it runs
now."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ConfigResult, ProcessesResult

DEFAULT_CAP = 4
"""Attempts on one instrument at once when conductor.yaml sets no `max_concurrent`."""


@dataclass(frozen=True, slots=True)
class ModelUse:
    model: str
    cap: int | None
    """None: counted against the instrument's cap."""
    running: int


@dataclass(frozen=True, slots=True)
class InstrumentUse:
    name: str
    cap: int
    cap_set: bool
    """conductor.yaml sets it (otherwise it is the default)."""
    running: int
    """Attempts running now, every model's included."""
    models: tuple[ModelUse, ...]


def instruments(config: ConfigResult, processes: ProcessesResult) -> list[InstrumentUse]:
    """Every instrument conductor.yaml caps or an attempt plays now, by name."""
    limits = _limits(config["settings"].get("instruments"))
    attempts = {
        (row["job_id"], row["sheet"], row["attempt"]): (row["instrument"], row["model"])
        for row in processes["processes"]
        if row["instrument"]
    }
    by_instrument = Counter(instrument for instrument, _ in attempts.values())
    by_model = Counter(attempts.values())
    names = sorted(set(limits) | set(by_instrument))
    found = []
    for name in names:
        cap, model_caps = limits.get(name, (None, {}))
        models = sorted({m for (i, m) in by_model if i == name and m} | set(model_caps))
        found.append(
            InstrumentUse(
                name=name,
                cap=cap or DEFAULT_CAP,
                cap_set=cap is not None,
                running=by_instrument[name],
                models=tuple(ModelUse(m, model_caps.get(m), by_model[(name, m)]) for m in models),
            )
        )
    return found


def _limits(value: object) -> dict[str, tuple[int | None, dict[str, int]]]:
    """conductor.yaml's `instruments`: each one's cap and its models' caps."""
    if not isinstance(value, Mapping):
        return {}
    found: dict[str, tuple[int | None, dict[str, int]]] = {}
    for name, limit in value.items():
        if not isinstance(limit, Mapping):
            continue
        cap = limit.get("max_concurrent")
        models = limit.get("models")
        found[str(name)] = (
            cap if isinstance(cap, int) else None,
            {str(k): v for k, v in models.items() if isinstance(v, int)}
            if isinstance(models, Mapping)
            else {},
        )
    return found
