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
    from typing import Any


def control(
    method: str, params: dict[str, Any], as_json: bool, fleet: dict[str, Any] | None = None
) -> int:
    """Call `method` on a job; with `fleet` (the fleet method's own params), a fleet of that
    id when there is no such job (fleet ids share the job id namespace)."""
    with client() as conductor:
        try:
            done = conductor.call(method, params)
        except RemoteError as exc:
            if fleet is None or exc.code != JOB_NOT_FOUND:
                raise
            action = method.removeprefix("job.")
            fleet_id = params["job_id"]
            done = conductor.call(f"fleet.{action}", {"fleet_id": fleet_id, **fleet})
            print(json.dumps(done) if as_json else f"fleet {fleet_id}: {done['message']}")
            return exits.OK
    print(json.dumps(done) if as_json else f"job {done['job_id']}: {done['message']}")
    return exits.OK
