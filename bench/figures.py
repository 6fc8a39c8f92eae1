"""What every benchmark reports: figures beside a baseline measured in the same run, and a
target; one table for all of them, and `bench/results.json`.

A benchmark never fails on a number: the verdict says whether the target was met, and the
table is for people to read.
"""

import json
import math
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True, slots=True)
class Figure:
    metric: str
    value: float
    unit: str
    """ms, s, MB, jobs/s, x (a count)…"""
    baseline: float | None = None
    """The same thing done without Podium in the same run (same unit), when there is one."""
    baseline_name: str = ""
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        met = self.value >= self.target if self.higher_is_better else self.value <= self.target
        return "met" if met else "MISSED"


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank: a value that was measured."""
    if not values:
        return math.nan
    ranked = sorted(values)
    return ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)]


def p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def ms(seconds: float) -> float:
    return seconds * 1000


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "n/a"
    digits = 0 if abs(value) >= 1000 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}".strip()


def table(figures: Iterable[Figure], previous: Mapping[str, float] | None = None) -> str:
    """The figures as a table; with `previous` (figures by metric), each beside the one
    measured before."""
    rows = [("metric", "podium", "previous", "baseline", "ratio", "target", "verdict")]
    for f in figures:
        ratio = f.ratio
        target = None if f.target is None else ("≥ " if f.higher_is_better else "≤ ")
        rows.append(
            (
                f.metric,
                _number(f.value, f.unit),
                _number((previous or {}).get(f.metric), f.unit),
                f"{_number(f.baseline, f.unit)} {f.baseline_name}".strip()
                if f.baseline is not None
                else "-",
                "-" if ratio is None else f"{ratio:.2f}x",
                "-" if target is None else target + _number(f.target, f.unit),
                f.verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine() -> dict[str, object]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save(figures: Sequence[Figure], mode: str, path: Path = RESULTS) -> None:
    data = {
        "machine": machine(),
        "mode": mode,
        "figures": [asdict(f) | {"ratio": f.ratio, "verdict": f.verdict} for f in figures],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def previous_figures(path: Path = RESULTS) -> dict[str, float]:
    """The figures of the last committed run, by metric: `path` as git's HEAD has it, or as it
    is on disk outside a git checkout. Empty when there is none."""
    try:
        text = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        try:
            text = path.read_text()
        except OSError:
            return {}
    try:
        found = json.loads(text)["figures"]
        return {str(f["metric"]): float(f["value"]) for f in found if f.get("value") is not None}
    except (ValueError, KeyError, TypeError):
        return {}
