"""The conductor's `fleet.*` JSON-RPC methods: submit a fleet file, show a fleet, pause,
resume or cancel it, list fleets. A thin translation to `podium.runtime.jobs.fleets.FleetRunner`."""

from pathlib import Path

from podium.conductor.api.jobs import carried
from podium.domain.errors import UserError
from podium.domain.fleet import FleetMember, FleetStatus, group_order, never_start, waits_for
from podium.domain.status import JobStatus
from podium.ipc import methods
from podium.ipc.fleet_schema import (
    FleetGroupInfo,
    FleetInfo,
    FleetListParams,
    FleetListResult,
    FleetMemberInfo,
    FleetParams,
    FleetPauseParams,
    FleetSubmitParams,
)
from podium.ipc.routes import Handler, handle
from podium.runtime.jobs import submit_keys
from podium.runtime.jobs.fleets import FleetRunner, FleetState


class FleetApi:
    def __init__(self, fleets: FleetRunner) -> None:
        self._fleets = fleets

    def handlers(self) -> list[Handler]:
        """The `fleet.*` methods."""
        return [
            handle(methods.FLEET_SUBMIT, self.submit),
            handle(methods.FLEET_STATUS, self.status),
            handle(methods.FLEET_LIST, self.list),
            handle(methods.FLEET_PAUSE, self.pause),
            handle(methods.FLEET_RESUME, self.resume),
            handle(methods.FLEET_CANCEL, self.cancel),
        ]

    async def submit(self, params: FleetSubmitParams) -> FleetInfo:
        path = Path(params.get("client_cwd", "/"), params["path"]).absolute()
        key = submit_keys.checked(params.get("idempotency_key"))
        state = await self._fleets.submit(path, key, carried(params.get("environment")))
        info = fleet_info(state)
        if state.duplicate:
            info["duplicate"] = True
        return info

    async def status(self, params: FleetParams) -> FleetInfo:
        return fleet_info(self._fleets.status(params["fleet_id"]))

    async def list(self, params: FleetListParams) -> FleetListResult:
        limit = params.get("limit", 50)
        if limit < 1:
            raise UserError(f"limit must be at least 1, got {limit}")
        found = self._fleets.listed(include_finished=params.get("all", False), limit=limit)
        return FleetListResult(fleets=[fleet_info(f) for f in found])

    async def pause(self, params: FleetPauseParams) -> FleetInfo:
        fleet_id = params["fleet_id"]
        message = await self._fleets.pause(fleet_id, force=params.get("force", False))
        return self._answer(fleet_id, message)

    async def resume(self, params: FleetParams) -> FleetInfo:
        fleet_id = params["fleet_id"]
        return self._answer(fleet_id, await self._fleets.resume(fleet_id))

    async def cancel(self, params: FleetParams) -> FleetInfo:
        fleet_id = params["fleet_id"]
        return self._answer(fleet_id, await self._fleets.cancel(fleet_id))

    def _answer(self, fleet_id: str, message: str) -> FleetInfo:
        info = fleet_info(self._fleets.status(fleet_id))
        info["message"] = message
        return info


def fleet_info(state: FleetState) -> FleetInfo:
    record, members, statuses = state.fleet.record, state.fleet.members, state.statuses
    doomed = never_start(record.groups, members, statuses)
    names: list[str | None] = [None] if any(m.group is None for m in members) else []
    names += group_order(record.groups)
    groups = [
        FleetGroupInfo(
            name=name,
            depends_on=list(record.groups[name]) if name is not None else [],
            waits_for=waits_for(record.groups, members, statuses, name),
            never_starts=name in doomed and not any(m.job_id for m in members if m.group == name),
        )
        for name in names
    ]
    waiting = {g["name"]: g["waits_for"] for g in groups}
    return FleetInfo(
        fleet_id=record.fleet_id,
        name=record.name,
        path=record.path,
        status=record.status.value,
        reason=record.reason,
        created_at=record.created_at,
        ended_at=record.ended_at,
        groups=groups,
        members=[
            _member_info(m, state, waiting.get(m.group, []), m.group in doomed) for m in members
        ],
    )


def _member_info(
    member: FleetMember, state: FleetState, waits: list[str], doomed: bool
) -> FleetMemberInfo:
    status = state.statuses.get(member.job_id) if member.job_id else None
    return FleetMemberInfo(
        num=member.num,
        score_path=member.score_path,
        group=member.group,
        job_id=member.job_id,
        job_status=status.value if status else None,
        error=member.error,
        state=_state(member, state.fleet.record.status, status, waits, doomed),
    )


def _state(
    member: FleetMember,
    fleet: FleetStatus,
    status: JobStatus | None,
    waits: list[str],
    doomed: bool,
) -> str:
    if member.error is not None:
        return f"not submitted: {member.error}"
    if status is not None:
        return str(status)
    if member.job_id is not None:
        return "removed ('podium clear')" if member.submitted else "being submitted"
    if doomed:
        return "never starts (a group it depends on did not complete)"
    if fleet is FleetStatus.CANCELLED:
        return "never starts (the fleet was cancelled)"
    if waits:
        return f"waits for group {', '.join(waits)}"
    return "held (the fleet is paused)" if fleet is FleetStatus.PAUSED else "starting"
