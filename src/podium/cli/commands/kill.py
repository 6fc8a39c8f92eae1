"""`podium kill JOB SHEET`: stop a sheet's running attempt now (it looks stuck, or astray);
the sheet runs again at once (on resume, for a paused job), its retries untouched."""

import argparse

from podium.cli.control import control
from podium.ipc.methods import JOB_KILL


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument("sheet", type=int, help="the sheet whose running attempt is stopped")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    return control(JOB_KILL({"job_id": args.job, "sheet": args.sheet}), args.json)
