"""What `podium pause|resume|modify|cancel ID` share: the call on a job and, when there is no
such job, on a fleet of that id (fleet ids share the job id namespace)."""

from __future__ import annotations

import json

from podium.cli import exits
from podium.cli.connect import client
from podium.ipc.client import RemoteError
from podium.ipc.protocol import JOB_NOT_FOUND

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TypeVar

    from podium.ipc.fleet_schema import FleetInfo
    from podium.ipc.methods import Call, P
    from podium.ipc.schema import ControlResult

    F = TypeVar("F", bound=Mapping[str, object])
    """The params of a fleet's control method."""


def control(
    job: Call[P, ControlResult], as_json: bool, fleet: Call[F, FleetInfo] | None = None
) -> int:
    """Send `job`; with `fleet`, send that instead when there is no such job (fleet ids share
    the job id namespace)."""
    with client() as conductor:
        try:
            done = conductor.request(job)
        except RemoteError as exc:
            if fleet is None or exc.code != JOB_NOT_FOUND:
                raise
            changed = conductor.request(fleet)
            print(
                json.dumps(changed)
                if as_json
                else f"fleet {changed['fleet_id']}: {changed['message']}"
            )
            return exits.OK
    print(json.dumps(done) if as_json else f"job {done['job_id']}: {done['message']}")
    return exits.OK
