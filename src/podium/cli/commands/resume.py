"""`podium resume ID`: a paused, failed or cancelled job goes on (a completed one runs again
with --force); a fleet's paused jobs resume and its waiting groups may start."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from podium.cli.control import control
from podium.domain.errors import UserError
from podium.ipc.client import ConductorClient, ConductorUnavailable, RemoteError
from podium.ipc.methods import FLEET_RESUME, JOB_RESUME, JOB_STATUS

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
    p.add_argument(
        "--keep-env",
        action="store_true",
        help="keep the environment the job was submitted with; by default a resume sends "
        "this shell's PATH and its instruments' variables, which replace it "
        "(docs/environment.md)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _environment(job_id: str, score: str | None) -> dict[str, str] | None:
    """This shell's environment for the instruments seen from the job's score folder (the
    conductor keeps what the job's own instruments ask for); None when it takes none."""
    from podium.cli import carry  # noqa: PLC0415 - the profiles
    from podium.cli.connect import client  # noqa: PLC0415
    from podium.instruments.registry import discover  # noqa: PLC0415

    with client() as conductor:
        given = carry.policy(conductor)
        folder = Path(score).absolute().parent if score else _score_dir(conductor, job_id)
    return carry.sent(carry.every_profile(discover(folder)), given)


def _score_dir(conductor: ConductorClient, job_id: str) -> Path | None:
    """The folder of the job's score (its project profiles); None for a fleet, or when the
    conductor does not answer (the resume itself then says why)."""
    try:
        return Path(conductor.request(JOB_STATUS({"job_id": job_id}))["score_path"]).parent
    except (RemoteError, ConductorUnavailable):
        return None


def run(args: argparse.Namespace) -> int:
    params: ResumeParams = {"job_id": args.job, "no_reload": args.no_reload}
    if args.force:
        params["force"] = True
    if args.config:
        if args.no_reload:
            raise UserError("--config reads a new score file; it cannot go with --no-reload")
        params["score_path"] = str(Path(args.config).absolute())
        params["client_cwd"] = os.getcwd()
    if not args.keep_env:
        environment = _environment(args.job, args.config)
        if environment is not None:
            params["environment"] = environment
    # --config and --force name a job's score and sheets; a fleet takes neither.
    fleet = None if args.config or args.force else FLEET_RESUME({"fleet_id": args.job})
    return control(JOB_RESUME(params), args.json, fleet=fleet)
