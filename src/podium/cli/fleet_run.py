"""`podium run FLEET.yaml`: check the fleet here (each of its scores must compile), then
submit it to the conductor, or with --dry-run show its groups in order."""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path

from podium.cli import exits
from podium.cli.connect import client, ensure_running
from podium.cli.errors import unanswered
from podium.cli.fleet_view import follow_fleet, members_table, shown
from podium.domain.errors import UserError
from podium.domain.fleet import FleetPlan, group_order
from podium.host.locations import locate
from podium.ipc.client import AnswerLost, ConductorClient
from podium.ipc.methods import FLEET_SUBMIT
from podium.score.fleet import load_fleet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.fleet_schema import FleetInfo, FleetSubmitParams


def _environment(conductor: ConductorClient, path: Path, plan: FleetPlan) -> dict[str, str] | None:
    """This shell's PATH and the variables of every instrument seen from the fleet's scores'
    folders (the conductor keeps, for each job, what its own instruments ask for)."""
    from podium.cli import carry  # noqa: PLC0415 - the profiles
    from podium.instruments.registry import discover  # noqa: PLC0415

    folders = {Path(path.parent, score).parent for score, _ in plan.scores}
    profiles = [p for folder in sorted(folders) for p in carry.every_profile(discover(folder))]
    return carry.sent(profiles, carry.policy(conductor))


def run(args: argparse.Namespace, path: Path) -> int:
    """`podium run FLEET.yaml`: refused up front when one of its scores does not compile."""
    for given, option in (
        (args.start_sheet != 1, "--start-sheet"),
        (args.workspace, "--workspace"),
        (args.fresh, "--fresh"),
        (args.show_prompts, "--show-prompts"),
    ):
        if given:
            raise UserError(
                f"{option} applies to a score, not to a fleet ({path.name} is a fleet file); "
                "set it in the fleet's scores instead"
            )
    plan = load_fleet(path)
    if args.dry_run:
        return _dry_run(plan, as_json=args.json)
    key = args.idempotency_key or uuid.uuid4().hex
    locations = ensure_running(locate(), no_start=args.no_start)
    with client(locations) as conductor:
        params: FleetSubmitParams = {
            "path": str(path),
            "client_cwd": os.getcwd(),
            "idempotency_key": key,
        }
        environment = None if args.conductor_env else _environment(conductor, path, plan)
        params.update({"environment": environment} if environment is not None else {})
        try:
            fleet = conductor.request(FLEET_SUBMIT(params))
        except AnswerLost as lost:
            print(
                f"podium: the conductor {unanswered(lost)}; the fleet may have been "
                f"accepted: run 'podium list --all' to see (or run this again with "
                f"--idempotency-key {key}, which submits it only if it was not)",
                file=sys.stderr,
            )
            return exits.ANSWER_LOST
        if fleet.get("duplicate") and not args.json:
            print(
                f"idempotency key {key} was used before: fleet {fleet['fleet_id']} is the one "
                "submitted then; nothing new was submitted",
                file=sys.stderr,
            )
        if args.json:
            print(json.dumps(fleet))
        else:
            groups = sum(1 for g in fleet["groups"] if g["name"] is not None)
            print(
                f"fleet {fleet['fleet_id']} submitted: {len(fleet['members'])} score(s) in "
                f"{groups} group(s)"
            )
            print(members_table(fleet))
        wait = args.wait if args.wait is not None else sys.stdout.isatty()
        if not wait:
            return _ended_at_once(fleet)
        try:
            return follow_fleet(conductor, fleet["fleet_id"], quiet=args.json)
        except KeyboardInterrupt:
            print(
                f"\nstopped following; fleet {fleet['fleet_id']} goes on "
                f"(podium status {fleet['fleet_id']})",
                file=sys.stderr,
            )
            return exits.INTERRUPTED


def _ended_at_once(fleet: FleetInfo) -> int:
    """Exit code OK, unless the fleet failed as it was submitted (a score of a group that
    starts at once could not be submitted): then why, and JOB_FAILED."""
    if fleet["status"] != "failed":
        return exits.OK
    print(f"podium: fleet {fleet['fleet_id']} failed: {fleet['reason']}", file=sys.stderr)
    return exits.JOB_FAILED


def _dry_run(plan: FleetPlan, *, as_json: bool) -> int:
    names: list[str | None] = [None] if any(g is None for _, g in plan.scores) else []
    names += group_order(plan.groups)
    steps = [
        (
            name,
            list(plan.groups[name]) if name is not None else [],
            [score for score, group in plan.scores if group == name],
        )
        for name in names
    ]
    if as_json:
        groups = [{"name": n, "depends_on": d, "scores": s} for n, d, s in steps]
        print(json.dumps({"name": plan.name, "path": plan.path, "groups": groups}, indent=2))
        return exits.OK
    print(
        f"fleet {plan.name}: {len(plan.scores)} score(s) in {len(plan.groups)} group(s); "
        "nothing submitted (--dry-run)"
    )
    for step, (name, deps, scores) in enumerate(steps, 1):
        start = f"after group {', '.join(deps)} completed" if deps else "at once"
        title = "no group" if name is None else f"group {name}"
        print(f"{step}. {title}: starts {start}")
        for score in scores:
            print(f"     {shown(score, plan.path)}")
    return exits.OK
