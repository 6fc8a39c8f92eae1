"""`podium run SCORE`: check the score here, submit it to the conductor, maybe follow it."""

import argparse
import json
import os
import sys
from pathlib import Path

from podium.cli import exits
from podium.cli.connect import client, conductor_info, start_in_background
from podium.cli.follow import follow
from podium.cli.output import use_color
from podium.ipc.client import ConductorUnavailable
from podium.locations import locate
from podium.score.compiled import load_score


def main(args: argparse.Namespace) -> int:
    path = Path(args.score).absolute()
    score = load_score(path)
    score.check()
    locations = locate()
    with client(locations) as conductor:
        if conductor_info(conductor) is None:
            if args.no_start:
                raise ConductorUnavailable(locations.socket, "not running, and --no-start")
            info = start_in_background(locations)
            print(
                f"started the conductor in the background (pid {info['pid']}; "
                f"log: {info['log_file']})",
                file=sys.stderr,
            )
        submitted = conductor.call(
            "job.submit", {"score_path": str(path), "client_cwd": os.getcwd()}
        )
        job_id = submitted["job_id"]
        if args.json:
            print(json.dumps(submitted))
        else:
            print(
                f"job {job_id} submitted: {submitted['total_sheets']} sheet(s), "
                f"workspace {submitted['workspace']}"
            )
        wait = args.wait if args.wait is not None else sys.stdout.isatty()
        if not wait:
            return exits.OK
        try:
            return follow(conductor, job_id, color=use_color())
        except KeyboardInterrupt:
            print(
                f"\nstopped following; job {job_id} goes on (podium status {job_id})",
                file=sys.stderr,
            )
            return exits.INTERRUPTED
