"""`podium resume ID`: a paused, failed or cancelled job goes on (a completed one runs again
with --force); a fleet's paused jobs resume and its waiting groups may start."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from podium.cli.control import control
from podium.domain.errors import UserError
from podium.ipc.methods import FLEET_RESUME, JOB_RESUME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ResumeParams


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job",
        help="the job id, or a fleet id (its paused jobs resume, waiting groups may start; a "
        "failed fleet's failed and cancelled jobs resume too)",
    )
    p.add_argument(
        "--no-reload",
        action="store_true",
        help="go on with the score the job was submitted with, not the file as it is now",
    )
    p.add_argument(
        "--config",
        "-c",
        metavar="FILE",
        help="go on with this score file instead (it becomes the job's, as with modify)",
    )
    p.add_argument(
        "--force",
        "-f",
        action="store_true",
        help="also resume a completed job: every sheet runs again, with a fresh budget",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    params: ResumeParams = {"job_id": args.job, "no_reload": args.no_reload}
    if args.force:
        params["force"] = True
    if args.config:
        if args.no_reload:
            raise UserError("--config reads a new score file; it cannot go with --no-reload")
        params["score_path"] = str(Path(args.config).absolute())
        params["client_cwd"] = os.getcwd()
    # --config and --force name a job's score and sheets; a fleet takes neither.
    fleet = None if args.config or args.force else FLEET_RESUME({"fleet_id": args.job})
    return control(JOB_RESUME(params), args.json, fleet=fleet)
