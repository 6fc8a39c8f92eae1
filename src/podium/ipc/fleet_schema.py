"""The parameters and results of the `fleet.*` methods, as TypedDicts (see `schema`)."""

from typing import NotRequired

from typing_extensions import TypedDict


class FleetSubmitParams(TypedDict):
    path: str
    """The fleet file (relative to client_cwd); its scores' paths are relative to its folder."""
    client_cwd: NotRequired[str]
    idempotency_key: NotRequired[str]
    """Names this submission: asked again with the same key, the conductor gives back the fleet
    it made then (`duplicate`) and submits nothing. The CLI sends a fresh one each run."""
    environment: NotRequired[dict[str, str]]
    """What the submitting shell carries for the fleet's jobs, as with `job.submit`."""


class FleetParams(TypedDict):
    fleet_id: str


class FleetPauseParams(TypedDict):
    fleet_id: str
    force: NotRequired[bool]
    """Stop the members' running attempts now (they run again on resume)."""


class FleetListParams(TypedDict):
    all: NotRequired[bool]
    """Finished fleets too (default: the unfinished ones)."""
    limit: NotRequired[int]


class FleetGroupInfo(TypedDict):
    name: str | None
    """None: the scores with no group (they start at once)."""
    depends_on: list[str]
    waits_for: list[str]
    """The groups it depends on that have not completed yet."""
    never_starts: bool
    """A member of it, or of a group it depends on, failed, was cancelled or was refused."""


class FleetMemberInfo(TypedDict):
    num: int
    score_path: str
    group: str | None
    job_id: str | None
    job_status: str | None
    error: str | None
    """Why its score could not be submitted."""
    state: str
    """Its job's status, or what it waits for ('waits for group build')."""


class FleetInfo(TypedDict):
    fleet_id: str
    name: str
    path: str
    status: str
    """running, paused, completed, failed or cancelled."""
    reason: str | None
    created_at: float
    ended_at: float | None
    groups: list[FleetGroupInfo]
    """In order: each after the groups it depends on."""
    members: list[FleetMemberInfo]
    message: NotRequired[str]
    """What a pause, resume or cancel did."""
    duplicate: NotRequired[bool]
    """From fleet.submit: the idempotency key had been used; this is the fleet made then."""


class FleetListResult(TypedDict):
    fleets: list[FleetInfo]
