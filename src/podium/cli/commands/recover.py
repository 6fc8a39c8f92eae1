"""`podium recover JOB`: a job's failed sheets checked again without running them (those whose
validations pass now are completed), or its sheets from one on put back to pending."""

from __future__ import annotations

import argparse
import json

from podium.cli import exits
from podium.cli.connect import client
from podium.domain.errors import UserError
from podium.ipc.methods import JOB_RECOVER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import RecoverParams

RECHECK_TIMEOUT_SECONDS = 3600.0
"""How long `recover` waits for the checks (a `command_succeeds` rule may take a while)."""


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="a failed, cancelled or paused job")
    p.add_argument(
        "--sheet",
        "-s",
        type=int,
        action="append",
        metavar="N",
        help="check only sheet N (failed, cancelled or skipped; repeat it for more)",
    )
    p.add_argument(
        "--from-sheet",
        type=int,
        metavar="N",
        help="instead, put every finished sheet from N on (completed ones too) back to pending "
        "with a fresh budget; 'podium resume' then runs them",
    )
    p.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help="say what would happen (the checks run), change nothing",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    if args.sheet and args.from_sheet is not None:
        raise UserError(
            "--sheet and --from-sheet do not go together: check sheets again, or "
            "put them back to pending from one on"
        )
    params: RecoverParams = {"job_id": args.job, "dry_run": args.dry_run}
    if args.sheet:
        params["sheets"] = args.sheet
    if args.from_sheet is not None:
        params["from_sheet"] = args.from_sheet
    with client() as conductor:
        done = conductor.request(JOB_RECOVER(params), timeout=RECHECK_TIMEOUT_SECONDS)
    if args.json:
        print(json.dumps(done, indent=2))
        return exits.OK
    dry = "(dry run) " if done["dry_run"] else ""
    print(f"{dry}job {done['job_id']}: {done['message']}")
    for change in done["sheets"]:
        mark = "✓" if change["changed"] else "✗"
        print(f"  {mark} sheet {change['sheet']}: {change['detail']}")
    return exits.OK
