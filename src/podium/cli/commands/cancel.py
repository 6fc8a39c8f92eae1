"""`podium cancel ID`: the job (or every active job of the fleet) is cancelled, its running
attempts stopped."""

import argparse

from podium.cli.control import control
from podium.ipc.methods import FLEET_CANCEL, JOB_CANCEL


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job", help="the job id, or a fleet id (its active jobs are cancelled, no group starts)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    return control(
        JOB_CANCEL({"job_id": args.job}), args.json, fleet=FLEET_CANCEL({"fleet_id": args.job})
    )
