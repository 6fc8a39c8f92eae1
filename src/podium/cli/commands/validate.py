"""`podium validate FILE`: the schema, Marianne's checks, and the sheet DAG, without running.

The score model (pydantic, Jinja, YAML) is imported when a file is validated, not when the
arguments are declared: `podium validate --help` and completing a file name stay fast."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from podium.cli.output import use_color
from podium.cli.score_report import (
    count,
    dag_lines,
    issue_json,
    issues_text,
    plan_table,
    summary_counts,
)
from podium.score.diagnostics import Diagnostic, ScoreError, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.score.compiled import CompiledScore

VALID, INVALID, CANNOT_VALIDATE = 0, 1, 2


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a score or a fleet file (YAML)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="also show the sheet plan")


def run(args: argparse.Namespace) -> int:
    from podium.instruments.registry import discover  # noqa: PLC0415 - to validate only
    from podium.score.checks import check  # noqa: PLC0415
    from podium.score.compiled import compile_data, read_text  # noqa: PLC0415
    from podium.score.fleet import check_fleet  # noqa: PLC0415
    from podium.score.yamlsource import load_yaml  # noqa: PLC0415

    path = Path(args.file).absolute()
    color = use_color()
    try:
        text = read_text(path)
        data, source = load_yaml(text, str(path))
    except ScoreError as exc:
        return _cannot_validate(args, path, list(exc.diagnostics))
    if isinstance(data, dict) and data.get("type") == "fleet":
        _, problems = check_fleet(data, source, path)
        return _report(args, path, "fleet", problems, None, color=color)
    try:
        score = compile_data(data, source, text, path)
    except ScoreError as exc:
        return _report(args, path, "score", list(exc.diagnostics), None, color=color)
    registry = discover(path.parent)
    found = check(score, registry.names(), registry.problems)
    return _report(args, path, "score", found, score, color=color)


def _report(  # noqa: PLR0917 - one call site per outcome, all positional for symmetry
    args: argparse.Namespace,
    path: Path,
    kind: str,
    found: list[Diagnostic],
    score: CompiledScore | None,
    color: bool,
) -> int:
    from podium.score.compiled import rule_counts  # noqa: PLC0415 - the score model

    valid = not any(d.severity is Severity.ERROR for d in found)
    if args.json:
        report: dict[str, Any] = {
            "file": str(path),
            "kind": kind,
            "valid": valid,
            **summary_counts(found),
            "issues": [issue_json(d) for d in found],
        }
        if score is not None:
            report.update(
                name=score.plan.name,
                total_sheets=score.plan.total_sheets,
                dag=[
                    {"sheet": s.num, "movement": s.movement, "depends_on": list(s.depends_on)}
                    for s in score.plan.sheets
                ],
            )
        print(json.dumps(report, indent=2))
        return VALID if valid else INVALID
    headline = f"{path.name}: {'valid' if valid else 'invalid'}"
    if score is not None:
        movements = len({s.movement for s in score.plan.sheets})
        headline += (
            f" - {count(score.plan.total_sheets, 'sheet')} in {count(movements, 'movement')}"
        )
    elif kind == "fleet" and valid:
        headline += " (a fleet; each of its scores compiles)"
    print(headline)
    for line in issues_text(found, color):
        print(line)
    if score is not None:
        print("sheets:")
        print("\n".join(dag_lines(score)))
        if args.verbose:
            print()
            print(plan_table(score, rule_counts(score)))
            if valid and score.plan.sheets:
                print("\nsheet 1's prompt:")
                print(score.prompt(score.plan.sheets[0].num).rstrip("\n"))
    return VALID if valid else INVALID


def _cannot_validate(args: argparse.Namespace, path: Path, found: list[Diagnostic]) -> int:
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(path),
                    "valid": False,
                    "error": "cannot validate",
                    "issues": [issue_json(d) for d in found],
                },
                indent=2,
            )
        )
    else:
        for d in found:
            print(f"podium: cannot validate: {d}", file=sys.stderr)
    return CANNOT_VALIDATE
