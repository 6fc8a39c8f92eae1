"""`podium validate FILE`: the schema, Marianne's checks, and the sheet DAG, without running.

The score model (pydantic, Jinja, YAML) is imported when a file is validated, not when the
arguments are declared: `podium validate --help` and completing a file name stay fast."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
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
    path = Path(args.file).absolute()
    findings = examine(path)
    if not findings.readable:
        return _cannot_validate(args, path, findings.found)
    return _report(args, path, findings, use_color())


@dataclass(frozen=True)
class Findings:
    """What validating a file found: its kind (score or fleet), the diagnostics, the compiled
    score when it compiled; `readable` False when it could not be read as YAML at all."""

    kind: str
    found: list[Diagnostic]
    score: CompiledScore | None = None
    readable: bool = True

    @property
    def valid(self) -> bool:
        return self.readable and not any(d.severity is Severity.ERROR for d in self.found)


def examine(path: Path) -> Findings:
    """Validate the score or fleet file at `path` (absolute) without running anything."""
    from podium.instruments.registry import discover  # noqa: PLC0415 - to validate only
    from podium.score.checks import check  # noqa: PLC0415
    from podium.score.compiled import compile_data, read_text  # noqa: PLC0415
    from podium.score.fleet import check_fleet  # noqa: PLC0415
    from podium.score.yamlsource import load_yaml  # noqa: PLC0415

    try:
        text = read_text(path)
        data, source = load_yaml(text, str(path))
    except ScoreError as exc:
        return Findings("score", list(exc.diagnostics), readable=False)
    if isinstance(data, dict) and data.get("type") == "fleet":
        _, problems = check_fleet(data, source, path)
        return Findings("fleet", problems)
    try:
        score = compile_data(data, source, text, path)
    except ScoreError as exc:
        return Findings("score", list(exc.diagnostics))
    registry = discover(path.parent)
    return Findings(
        "score", check(score, registry.names(), registry.problems, registry.takes_mcp), score
    )


def _report(args: argparse.Namespace, path: Path, findings: Findings, color: bool) -> int:
    if args.json:
        print(json.dumps(report_json(path, findings), indent=2))
    else:
        print("\n".join(report_lines(path, findings, color, args.verbose)))
    return VALID if findings.valid else INVALID


def report_json(path: Path, findings: Findings) -> dict[str, Any]:
    """What `podium validate --json` prints of a readable file."""
    score = findings.score
    report: dict[str, Any] = {
        "file": str(path),
        "kind": findings.kind,
        "valid": findings.valid,
        **summary_counts(findings.found),
        "issues": [issue_json(d) for d in findings.found],
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
    return report


def report_lines(path: Path, findings: Findings, color: bool, verbose: bool) -> list[str]:
    """What `podium validate` prints of a readable file: valid or not, each finding, the
    sheets by movement; with `verbose`, the plan and sheet 1's prompt too."""
    from podium.score.compiled import rule_counts  # noqa: PLC0415 - the score model

    score, valid = findings.score, findings.valid
    headline = f"{path.name}: {'valid' if valid else 'invalid'}"
    if score is not None:
        movements = len({s.movement for s in score.plan.sheets})
        headline += (
            f" - {count(score.plan.total_sheets, 'sheet')} in {count(movements, 'movement')}"
        )
    elif findings.kind == "fleet" and valid:
        headline += " (a fleet; each of its scores compiles)"
    lines = [headline, *issues_text(findings.found, color)]
    if score is None:
        return lines
    lines += ["sheets:", *dag_lines(score)]
    if verbose:
        lines += ["", plan_table(score, rule_counts(score))]
        if valid and score.plan.sheets:
            lines += ["", "sheet 1's prompt:", score.prompt(score.plan.sheets[0].num).rstrip("\n")]
    return lines


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
