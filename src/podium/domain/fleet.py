"""Fleets: several scores run together, in groups that wait for one another.

A group starts once every group it depends on has completed (every job of it completed). A
member whose job failed, was cancelled or was removed, or whose score could not be submitted,
breaks its group: the groups that depend on it, directly or not, never start. The fleet's status is
derived from its members' facts each time it is asked, never kept up to date by hand.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from podium.domain.ids import JobId
from podium.domain.records import Carried
from podium.domain.status import JobStatus

Groups = Mapping[str, Sequence[str]]
"""Each group's name and the groups it depends on."""


class FleetStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    """Held: no waiting group starts until it is resumed."""
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (FleetStatus.COMPLETED, FleetStatus.FAILED, FleetStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """A fleet file as read: what `podium run` submits."""

    name: str
    path: str
    groups: Mapping[str, tuple[str, ...]]
    """In the order they were declared."""
    scores: tuple[tuple[str, str | None], ...]
    """Each score's absolute path and its group (None: it starts at once)."""


@dataclass(frozen=True, slots=True)
class FleetMember:
    """One score of a fleet, as stored."""

    num: int
    """Its place in the fleet file's `scores` (1 for the first)."""
    score_path: str
    group: str | None
    job_id: JobId | None = None
    """Given (and stored) before the job is submitted."""
    submitted: bool = False
    error: str | None = None
    """Why its score could not be submitted."""


@dataclass(frozen=True, slots=True)
class FleetRecord:
    fleet_id: JobId
    """Fleet ids share the job id namespace."""
    name: str
    path: str
    status: FleetStatus
    created_at: float
    groups: Mapping[str, tuple[str, ...]]
    reason: str | None = None
    ended_at: float | None = None
    environment: Carried | None = None
    """What the submitting shell carried (see `JobSpec`), for each job the fleet submits."""


@dataclass(frozen=True, slots=True)
class StoredFleet:
    record: FleetRecord
    members: tuple[FleetMember, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    start: tuple[int, ...]
    """The members (by `num`) whose jobs are to be submitted now."""
    status: FleetStatus
    reason: str | None = None


_ACTIVE = frozenset(
    {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.PAUSED_AT_CHAIN}
)


def group_order(groups: Groups) -> list[str]:
    """The groups in an order where each comes after those it depends on; otherwise in the
    order they were declared. The groups must not depend on each other in a circle."""
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(groups):
        ready = [g for g in groups if g not in placed and set(groups[g]) <= placed]
        if not ready:
            raise ValueError(f"the groups depend on each other in a circle: {sorted(groups)}")
        order.append(ready[0])
        placed.add(ready[0])
    return order


def _broken(member: FleetMember, statuses: Mapping[JobId, JobStatus]) -> bool:
    if member.error is not None or _removed(member, statuses):
        return True
    status = statuses.get(member.job_id) if member.job_id else None
    return status in (JobStatus.FAILED, JobStatus.CANCELLED)


def _removed(member: FleetMember, statuses: Mapping[JobId, JobStatus]) -> bool:
    """Its job was submitted (so it was stored) but is no longer there: it was cleared."""
    return member.submitted and member.job_id is not None and member.job_id not in statuses


def _completed(member: FleetMember, statuses: Mapping[JobId, JobStatus]) -> bool:
    return member.job_id is not None and statuses.get(member.job_id) is JobStatus.COMPLETED


def _doomed(groups: Groups, broken: set[str]) -> set[str]:
    """The broken groups and every group that depends on one of them, directly or not."""
    doomed = set(broken)
    changed = True
    while changed:
        changed = False
        for name, deps in groups.items():
            if name not in doomed and doomed.intersection(deps):
                doomed.add(name)
                changed = True
    return doomed


def waits_for(
    groups: Groups,
    members: Sequence[FleetMember],
    statuses: Mapping[JobId, JobStatus],
    group: str | None,
) -> list[str]:
    """The groups `group` depends on that have not completed yet."""
    if group is None:
        return []
    return [
        dep
        for dep in groups[group]
        if not all(_completed(m, statuses) for m in members if m.group == dep)
    ]


def never_start(
    groups: Groups, members: Sequence[FleetMember], statuses: Mapping[JobId, JobStatus]
) -> set[str]:
    """The groups that can no longer complete: a member failed, was cancelled, was removed or
    could not be submitted, in the group or in one it depends on (directly or not)."""
    broken = {m.group for m in members if m.group is not None and _broken(m, statuses)}
    return _doomed(groups, broken)


def decide(
    record: FleetRecord,
    members: Sequence[FleetMember],
    statuses: Mapping[JobId, JobStatus],
) -> Decision:
    """What the fleet does now, given its members and their jobs' statuses: the members to
    submit, and the fleet's status (with the reason, when it failed)."""
    if record.status in (FleetStatus.CANCELLED, FleetStatus.COMPLETED, FleetStatus.FAILED):
        return Decision((), record.status, record.reason)
    if all(_completed(m, statuses) for m in members):
        return Decision((), FleetStatus.COMPLETED)
    broken = [m for m in members if _broken(m, statuses)]
    doomed = never_start(record.groups, members, statuses)
    startable = [
        m
        for m in members
        if m.job_id is None
        and m.error is None
        and m.group not in doomed
        and not waits_for(record.groups, members, statuses, m.group)
    ]
    held = record.status is FleetStatus.PAUSED
    if startable:
        if held:
            return Decision((), FleetStatus.PAUSED)
        return Decision(tuple(m.num for m in startable), FleetStatus.RUNNING)
    active = any(m.job_id is not None and not _ended(m, statuses) for m in members)
    if broken and not active:
        return Decision((), FleetStatus.FAILED, _failure(broken[0], statuses, doomed))
    return Decision((), FleetStatus.PAUSED if held else FleetStatus.RUNNING)


def _ended(member: FleetMember, statuses: Mapping[JobId, JobStatus]) -> bool:
    status = statuses.get(member.job_id) if member.job_id else None
    return (
        member.error is not None
        or _removed(member, statuses)
        or (status is not None and status not in _ACTIVE)
    )


def _failure(member: FleetMember, statuses: Mapping[JobId, JobStatus], doomed: set[str]) -> str:
    where = f"group '{member.group}'" if member.group else "no group"
    if member.error is not None:
        what = f"the score {member.score_path} ({where}) could not be submitted: {member.error}"
    else:
        assert member.job_id is not None
        ended = statuses.get(member.job_id, "was removed ('podium clear')")
        what = f"job {member.job_id} ({member.score_path}, {where}) {ended}"
    never = sorted(doomed - {member.group})
    if never:
        what += f"; so group(s) {', '.join(never)} never started"
    return what
