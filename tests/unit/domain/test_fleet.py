"""Fleet decisions: which groups start, and the fleet's status, from its members' facts."""

import random
from collections.abc import Mapping
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.fleet import (
    Decision,
    FleetMember,
    FleetRecord,
    FleetStatus,
    decide,
    group_order,
    never_start,
    waits_for,
)
from podium.domain.ids import JobId
from podium.domain.status import JobStatus

GROUPS = {"build": (), "test": ("build",), "docs": (), "ship": ("test", "docs")}


def fleet(
    status: FleetStatus = FleetStatus.RUNNING, groups: Mapping[str, tuple[str, ...]] = GROUPS
) -> FleetRecord:
    return FleetRecord(JobId("f"), "f", "/f.yaml", status, 0.0, groups)


def members(*groups: str | None) -> list[FleetMember]:
    return [FleetMember(n, f"/s{n}.yaml", g) for n, g in enumerate(groups, 1)]


def started(
    found: list[FleetMember], *nums: int, status: JobStatus = JobStatus.RUNNING
) -> tuple[list[FleetMember], dict[JobId, JobStatus]]:
    jobs = {n: JobId(f"j{n}") for n in nums}
    out = [replace(m, job_id=jobs[m.num], submitted=True) if m.num in jobs else m for m in found]
    return out, dict.fromkeys(jobs.values(), status)


def test_groups_without_dependencies_and_scores_without_a_group_start_at_once() -> None:
    found = members(None, "build", "test", "docs", "ship")
    assert decide(fleet(), found, {}) == Decision((1, 2, 4), FleetStatus.RUNNING)


def test_a_group_starts_once_every_job_of_its_dependencies_completed() -> None:
    found, statuses = started(members("build", "build", "test"), 1, 2)
    statuses[JobId("j1")] = JobStatus.COMPLETED
    assert decide(fleet(), found, statuses) == Decision((), FleetStatus.RUNNING)
    assert waits_for(GROUPS, found, statuses, "test") == ["build"]
    statuses[JobId("j2")] = JobStatus.COMPLETED
    assert decide(fleet(), found, statuses) == Decision((3,), FleetStatus.RUNNING)
    assert waits_for(GROUPS, found, statuses, "test") == []
    assert waits_for(GROUPS, found, statuses, None) == []


def test_every_member_completed_completes_the_fleet() -> None:
    found, statuses = started(members("build", None), 1, 2, status=JobStatus.COMPLETED)
    assert decide(fleet(), found, statuses) == Decision((), FleetStatus.COMPLETED)


@pytest.mark.parametrize("ended", [JobStatus.FAILED, JobStatus.CANCELLED])
def test_a_broken_group_never_starts_those_that_depend_on_it_and_fails_the_fleet_at_the_end(
    ended: JobStatus,
) -> None:
    found, statuses = started(members("build", "docs", "test", "ship"), 1, 2)
    statuses[JobId("j1")] = ended
    # docs still runs: the fleet goes on
    assert decide(fleet(), found, statuses) == Decision((), FleetStatus.RUNNING)
    assert never_start(GROUPS, found, statuses) == {"build", "test", "ship"}
    statuses[JobId("j2")] = JobStatus.COMPLETED
    decision = decide(fleet(), found, statuses)
    assert decision.start == () and decision.status is FleetStatus.FAILED
    assert decision.reason == (
        f"job j1 (/s1.yaml, group 'build') {ended}; so group(s) ship, test never started"
    )


def test_a_score_that_could_not_be_submitted_breaks_its_group() -> None:
    found = [replace(m, error="it does not compile") for m in members(None)]
    decision = decide(fleet(), found, {})
    assert decision == Decision(
        (),
        FleetStatus.FAILED,
        "the score /s1.yaml (no group) could not be submitted: it does not compile",
    )


def test_a_member_given_an_id_but_not_yet_in_the_store_is_still_active() -> None:
    found, statuses = started(members("build", "docs"), 1, 2, status=JobStatus.FAILED)
    found[1] = replace(found[1], submitted=False)
    del statuses[JobId("j2")]
    assert decide(fleet(), found, statuses).status is FleetStatus.RUNNING


def test_a_paused_fleet_holds_its_waiting_groups_but_still_ends() -> None:
    found, statuses = started(members("build", "test"), 1, status=JobStatus.COMPLETED)
    paused = fleet(FleetStatus.PAUSED)
    assert decide(paused, found, statuses) == Decision((), FleetStatus.PAUSED)
    assert decide(fleet(), found, statuses) == Decision((2,), FleetStatus.RUNNING)
    running, statuses = started(members("build", "docs"), 1, 2)
    assert decide(paused, running, statuses) == Decision((), FleetStatus.PAUSED)
    statuses[JobId("j1")] = statuses[JobId("j2")] = JobStatus.FAILED
    assert decide(paused, running, statuses).status is FleetStatus.FAILED


@pytest.mark.parametrize("status", [FleetStatus.CANCELLED, FleetStatus.FAILED])
def test_an_ended_fleet_starts_nothing_and_keeps_its_status(status: FleetStatus) -> None:
    record = replace(fleet(status), reason="why")
    assert decide(record, members("build"), {}) == Decision((), status, "why")
    assert status.is_terminal and not FleetStatus.PAUSED.is_terminal


def test_groups_are_ordered_after_their_dependencies_then_as_declared() -> None:
    assert group_order(GROUPS) == ["build", "test", "docs", "ship"]
    assert group_order({"b": ("a",), "a": ()}) == ["a", "b"]
    with pytest.raises(ValueError, match="circle"):
        group_order({"a": ("b",), "b": ("a",)})


# ---- a whole fleet, played out -------------------------------------------------------------


@st.composite
def fleets(draw: st.DrawFn) -> tuple[dict[str, tuple[str, ...]], list[FleetMember]]:
    """Groups depending only on earlier ones (no circle), and members in them or in none."""
    count = draw(st.integers(1, 5))
    names = [f"g{i}" for i in range(count)]
    groups = {
        name: tuple(draw(st.sets(st.sampled_from(names[:i]))) if i else ())
        for i, name in enumerate(names)
    }
    placed = draw(st.lists(st.sampled_from([None, *names]), min_size=1, max_size=8))
    return groups, members(*placed)


@given(fleets(), st.randoms(use_true_random=False), st.booleans())
def test_a_fleet_never_starts_a_group_early_never_starts_a_member_twice_and_always_ends(
    drawn: tuple[dict[str, tuple[str, ...]], list[FleetMember]],
    rng: random.Random,
    failures: bool,
) -> None:
    groups, found = drawn
    record = fleet(groups=groups)
    statuses: dict[JobId, JobStatus] = {}
    for _ in range(100):
        decision = decide(record, found, statuses)
        for num in decision.start:
            member = found[num - 1]
            assert member.job_id is None, "started twice"
            for dep in groups.get(member.group or "", ()):
                assert all(
                    m.job_id and statuses[m.job_id] is JobStatus.COMPLETED
                    for m in found
                    if m.group == dep
                ), "started before its dependencies completed"
            found[num - 1] = replace(member, job_id=JobId(f"j{num}"), submitted=True)
            statuses[JobId(f"j{num}")] = JobStatus.RUNNING
        if decision.status.is_terminal:
            break
        running = [j for j, s in statuses.items() if s is JobStatus.RUNNING]
        assert running or decision.start, "stuck: nothing runs and nothing starts"
        if running:
            job = rng.choice(running)
            bad = failures and rng.random() < 0.3
            statuses[job] = JobStatus.FAILED if bad else JobStatus.COMPLETED
    else:
        pytest.fail("the fleet never ended")
    broken = any(s is JobStatus.FAILED for s in statuses.values())
    assert decision.status is (FleetStatus.FAILED if broken else FleetStatus.COMPLETED)
    assert not any(s is JobStatus.RUNNING for s in statuses.values())
    doomed = never_start(groups, found, statuses)
    assert all(m.job_id is not None for m in found if m.group not in doomed)


def test_a_member_whose_job_was_removed_breaks_its_group_instead_of_waiting_forever() -> None:
    found, statuses = started(members("build", "test"), 1, status=JobStatus.COMPLETED)
    del statuses[JobId("j1")]  # cleared: submitted, but no longer stored
    decision = decide(fleet(), found, statuses)
    assert decision == Decision(
        (),
        FleetStatus.FAILED,
        "job j1 (/s1.yaml, group 'build') was removed ('podium clear'); "
        "so group(s) ship, test never started",
    )
    assert never_start(GROUPS, found, statuses) == {"build", "test", "ship"}
