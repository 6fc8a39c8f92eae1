"""How the CLI shows what it found in a score: problems, the sheet DAG, the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podium.cli.output import duration, paint, table

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from podium.score.assembly import Layer
    from podium.score.compiled import CompiledScore
    from podium.score.diagnostics import Diagnostic

_MARKS = {"error": ("✗", "red"), "warning": ("!", "yellow"), "info": ("i", "blue")}
_TITLES = {"error": "errors (must be fixed)", "warning": "warnings", "info": "info"}


def issue_line(d: Diagnostic, color: bool) -> str:
    mark, tint = _MARKS[d.severity.value]
    code = f"[{d.code}] " if d.code else ""
    return f"  {paint(mark, tint, color)} {d.file}:{d.line}:{d.column}: {code}" + (
        f"{d.path}: {d.message}" if d.path else d.message
    )


def issues_text(found: Iterable[Diagnostic], color: bool) -> list[str]:
    lines: list[str] = []
    for severity in ("error", "warning", "info"):
        group = [d for d in found if d.severity.value == severity]
        if group:
            lines.append(f"{_TITLES[severity]}:")
            lines.extend(issue_line(d, color) for d in group)
    return lines


def issue_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "path": d.path,
    }


def dag_lines(score: CompiledScore) -> list[str]:
    """One line per movement: its sheets, voices, and what it waits for."""
    lines = []
    movements: dict[int, list[Any]] = {}
    for sheet in score.plan.sheets:
        movements.setdefault(sheet.movement, []).append(sheet)
    for number, sheets in movements.items():
        named = score.model.movements.get(number)
        title = f"movement {number}" + (f" ({named.name})" if named and named.name else "")
        nums = ", ".join(str(s.num) for s in sheets)
        what = f"sheet {nums}" if len(sheets) == 1 else f"sheets {nums} ({len(sheets)} voices)"
        after = sorted({d for s in sheets for d in s.depends_on})
        waits = f"  after {', '.join(map(str, after))}" if after else ""
        lines.append(f"  {title}: {what}{waits}")
    return lines


def plan_json(
    score: CompiledScore, counts: dict[int, int], prompts: dict[int, list[Layer]] | None = None
) -> dict[str, Any]:
    sheets = []
    for s in score.plan.sheets:
        item: dict[str, Any] = {
            "num": s.num,
            "movement": s.movement,
            "voice": s.voice,
            "voice_count": s.voice_count,
            "instrument": s.instrument,
            "model": s.model,
            "depends_on": list(s.depends_on),
            "timeout_seconds": s.timeout_seconds,
            "description": s.description,
            "validations": counts[s.num],
        }
        if prompts is not None:
            from podium.score.assembly import join_layers  # noqa: PLC0415 - the score model

            item["prompt"] = join_layers(prompts[s.num])
            item["layers"] = [
                {"layer": layer.name, "origin": layer.origin, "text": layer.text}
                for layer in prompts[s.num]
            ]
        sheets.append(item)
    return {"name": score.plan.name, "total_sheets": score.plan.total_sheets, "sheets": sheets}


def plan_table(score: CompiledScore, counts: dict[int, int]) -> str:
    headers = [
        "SHEET",
        "MOVEMENT",
        "VOICE",
        "INSTRUMENT",
        "MODEL",
        "TIMEOUT",
        "AFTER",
        "CHECKS",
        "DESCRIPTION",
    ]
    rows = []
    for s in score.plan.sheets:
        named = score.model.movements.get(s.movement)
        movement = f"{s.movement}" + (f" {named.name}" if named and named.name else "")
        rows.append(
            [
                str(s.num),
                movement,
                f"{s.voice}/{s.voice_count}" if s.voice else "-",
                s.instrument,
                s.model or "-",
                duration(s.timeout_seconds),
                ",".join(map(str, s.depends_on)) or "-",
                str(counts[s.num]),
                s.description or "",
            ]
        )
    return table(headers, rows)


def count(n: int, noun: str) -> str:
    return f"1 {noun}" if n == 1 else f"{n} {noun}s"


def summary_counts(found: Sequence[Diagnostic]) -> dict[str, int]:
    return {
        f"{s}_count": sum(1 for d in found if d.severity.value == s)
        for s in ("error", "warning", "info")
    }
