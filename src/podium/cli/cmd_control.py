"""`podium pause|resume|modify|cancel JOB` and `podium rate-limits|clear-rate-limits`."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.output import when

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def pause(args: argparse.Namespace) -> int:
    return _control("job.pause", {"job_id": args.job, "force": args.force}, args.json)


def resume(args: argparse.Namespace) -> int:
    return _control("job.resume", {"job_id": args.job, "no_reload": args.no_reload}, args.json)


def modify(args: argparse.Namespace) -> int:
    params = {
        "job_id": args.job,
        "score_path": str(Path(args.score).absolute()),
        "client_cwd": os.getcwd(),
    }
    return _control("job.modify", params, args.json)


def cancel(args: argparse.Namespace) -> int:
    return _control("job.cancel", {"job_id": args.job}, args.json)


def _control(method: str, params: dict[str, Any], as_json: bool) -> int:
    with client() as conductor:
        done = conductor.call(method, params)
    print(json.dumps(done) if as_json else f"job {done['job_id']}: {done['message']}")
    return exits.OK


def rate_limits(args: argparse.Namespace) -> int:
    with client() as conductor:
        found = conductor.call("daemon.rate_limits")
    if args.json:
        print(json.dumps(found, indent=2))
        return exits.OK
    windows = found["rate_limits"]
    if not windows:
        print("no rate limits")
    for line in describe_rate_limits(windows):
        print(line)
    return exits.OK


def clear_rate_limits(args: argparse.Namespace) -> int:
    params = {"instrument": args.instrument} if args.instrument else {}
    with client() as conductor:
        done = conductor.call("daemon.clear_rate_limits", params)
    print(json.dumps(done) if args.json else done["message"])
    return exits.OK


def describe_rate_limits(windows: list[dict[str, Any]]) -> list[str]:
    """'claude-code (opus): waiting until 15:00:00 — 429 Too Many Requests'."""
    lines = []
    for w in windows:
        name = w["instrument"] if w["model"] is None else f"{w['instrument']} ({w['model']})"
        lines.append(f"{name}: rate limited until {when(w['until'])}: {w['reason']}")
    return lines
