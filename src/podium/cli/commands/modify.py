"""`podium modify JOB SCORE`: the job pauses, lets its attempts in flight finish and goes on
with the new score."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.control import control
from podium.cli.follow import follow
from podium.cli.output import use_color
from podium.domain.errors import UserError
from podium.ipc.methods import JOB_MODIFY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ModifyParams


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument("score", nargs="?", help="the new score file (or --config FILE)")
    p.add_argument("--config", "-c", metavar="FILE", help="the new score file")
    p.add_argument(
        "--resume",
        "-r",
        action="store_true",
        help="a paused job goes on at once with the new score (without it, it stays paused "
        "until 'podium resume'); a running job always goes on",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="then follow the job until it ends or pauses, as 'run --wait' does",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    if (args.score is None) == (args.config is None):
        raise UserError(
            "give the new score once: 'podium modify JOB --config FILE' (or 'podium modify "
            "JOB FILE')"
        )
    params: ModifyParams = {
        "job_id": args.job,
        "score_path": str(Path(args.config or args.score).absolute()),
        "client_cwd": os.getcwd(),
        "resume": args.resume,
    }
    if not args.wait:
        return control(JOB_MODIFY(params), args.json)
    with client() as conductor:
        done = conductor.request(JOB_MODIFY(params))
        print(json.dumps(done) if args.json else f"job {done['job_id']}: {done['message']}")
        try:
            return follow(conductor, args.job, color=use_color())
        except KeyboardInterrupt:
            print(
                f"\nstopped following; job {args.job} goes on (podium status {args.job})",
                file=sys.stderr,
            )
            return exits.INTERRUPTED
