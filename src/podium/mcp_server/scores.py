"""The tools on score files: validate one, or run it (submit it, or with `dry_run` show its
plan). Both read the file here, as `podium validate` and `podium run` do, so that a bad score
is told precisely, and neither needs a conductor to check or plan.

Paths are taken relative to the server's working directory: where the agent CLI started
`podium mcp`, its project folder as a rule."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path

from podium.cli.commands.validate import examine, report_json, report_lines
from podium.cli.score_report import issues_text, plan_json, plan_table
from podium.mcp_server.answers import Answer, ToolRefused, clip
from podium.redact import Redactor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.instruments.registry import Registry
    from podium.ipc.schema import SubmitParams
    from podium.mcp_server.inputs import RunInput, ScoreInput
    from podium.score.compiled import CompiledScore


def validate_score(given: ScoreInput) -> Answer:
    """Check a score (or fleet) file as `podium validate --verbose` does, without running it."""
    path = Path(given["path"]).absolute()
    findings = examine(path)
    if not findings.readable:
        raise ToolRefused(
            "cannot validate: " + "; ".join(str(d) for d in findings.found) + f" ({path})"
        )
    text = _masked("\n".join(report_lines(path, findings, False, verbose=True)), findings.score)
    more = f"'podium validate {given['path']} --json' lists every finding"
    return Answer(clip(text, more), report_json(path, findings))


def _masked(text: str, score: CompiledScore | None) -> str:
    """`text` with credentials masked, as the conductor masks the prompts it keeps: this
    server's environment's secrets, and the score's variables named like secrets."""
    redact = Redactor(os.environ)
    if score is not None:
        redact.learn(score.model.prompt.variables)
    return redact(text)


def run_score(given: RunInput) -> Answer:
    """Submit the score to the running conductor, or with `dry_run` show its plan."""
    from podium.instruments.registry import discover  # noqa: PLC0415 - the score model
    from podium.score.compiled import load_score  # noqa: PLC0415
    from podium.score.fleet import is_fleet_file  # noqa: PLC0415

    path = Path(given["path"]).absolute()
    if is_fleet_file(path):
        raise ToolRefused(f"{path} is a fleet file; run it with 'podium run {given['path']}'")
    workspace = _workspace(given.get("workspace"))
    score = load_score(path, workspace)
    registry = discover(score.path.parent)
    dry_run = given.get("dry_run", False)
    warnings = _may_run(score, registry, dry_run)
    start = given.get("start_sheet", 1)
    if not 1 <= start <= score.plan.total_sheets:
        raise ToolRefused(
            f"start_sheet {start}: the score has sheets 1 to {score.plan.total_sheets}"
        )
    if dry_run:
        return _plan(score, warnings)
    return _submit(
        given, path=path, workspace=workspace, score=score, registry=registry, warnings=warnings
    )


def _may_run(score: CompiledScore, registry: Registry, dry_run: bool) -> list[str]:
    """Refuse a score that cannot run here as `podium run` would (only errors stop a dry
    run); the lines of the warnings that do not stop it."""
    from podium.score.checks import check, stops_a_run  # noqa: PLC0415 - the score model
    from podium.score.diagnostics import Severity  # noqa: PLC0415

    found = check(score, registry.names(), registry.problems, registry.takes_mcp)
    stops = stops_a_run if not dry_run else (lambda d: d.severity is Severity.ERROR)
    refused = [replace(d, severity=Severity.ERROR) for d in found if stops(d)]
    if refused:
        lines = issues_text(refused, False)
        raise ToolRefused("\n".join([f"{score.path.name} cannot run:", *lines]))
    return issues_text([d for d in found if d.severity is Severity.WARNING], False)


def _workspace(given: str | None) -> str | None:
    if given is None:
        return None
    folder = Path(given).absolute()
    if folder.exists() and not folder.is_dir():
        raise ToolRefused(f"workspace {given}: {folder} is a file, not a folder")
    return str(folder)


def _plan(score: CompiledScore, warnings: list[str]) -> Answer:
    from podium.score.compiled import rule_counts  # noqa: PLC0415 - the score model

    counts = rule_counts(score)
    head = f"{score.plan.name}: {score.plan.total_sheets} sheet(s), workspace {score.workspace}"
    text = "\n".join([head, plan_table(score, counts), *warnings])
    more = "validate_score shows the findings; podium run --dry-run --json the whole plan"
    return Answer(clip(text, more), plan_json(score, counts))


def _submit(
    given: RunInput,
    *,
    path: Path,
    workspace: str | None,
    score: CompiledScore,
    registry: Registry,
    warnings: list[str],
) -> Answer:
    from podium.cli import carry  # noqa: PLC0415 - the instrument profiles
    from podium.cli.connect import client  # noqa: PLC0415
    from podium.ipc.methods import JOB_SUBMIT  # noqa: PLC0415

    params: SubmitParams = {
        "score_path": str(path),
        "client_cwd": str(Path.cwd()),
        "start_sheet": given.get("start_sheet", 1),
        "fresh": given.get("fresh", False),
        "idempotency_key": uuid.uuid4().hex,
    }
    if workspace:
        params["workspace"] = workspace
    with client() as conductor:
        environment = carry.sent(carry.score_profiles(score, registry), carry.policy(conductor))
        if environment is not None:
            params["environment"] = environment
        submitted = conductor.request(JOB_SUBMIT(params))
    lines = [
        f"job {submitted['job_id']} submitted: {submitted['total_sheets']} sheet(s), "
        f"workspace {submitted['workspace']}",
        *warnings,
        f"job_status with job_id={submitted['job_id']} shows how it goes",
    ]
    return Answer("\n".join(lines), submitted)
