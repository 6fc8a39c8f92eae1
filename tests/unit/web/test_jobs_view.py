from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from podium.ipc.schema import JobInfo
from podium.web.jobs_view import ACTIONS, TABS, Filter, acted_on, counts, in_tab

STATUSES = ("queued", "running", "paused", "paused_at_chain", "completed", "failed", "cancelled")


def job(job_id: str, status: str, **extra: Any) -> JobInfo:
    found: dict[str, Any] = {
        "job_id": job_id,
        "name": extra.pop("name", job_id),
        "status": status,
        "score_path": extra.pop("score_path", f"/scores/{job_id}.yaml"),
        "workspace": "/w",
        "submitted_at": 0.0,
        "started_at": None,
        "finished_at": None,
        "error": None,
        "detail": None,
        "resume_when_idle": False,
        "total_sheets": 1,
        "completed_sheets": 0,
        "chain_depth": 0,
        "cost": 0.0,
    }
    return found  # type: ignore[return-value]


def test_each_status_has_one_tab_besides_all() -> None:
    for status in STATUSES:
        tabs = [
            t for t, _ in TABS if t not in ("all", "review") and in_tab(job("a", status), t, ())
        ]
        assert len(tabs) == 1, status


def test_needs_review_holds_the_jobs_with_open_questions_whatever_their_status() -> None:
    assert in_tab(job("a", "running"), "review", {"a"})
    assert in_tab(job("a", "paused"), "review", {"a"})
    assert not in_tab(job("b", "running"), "review", {"a"})


def test_text_and_score_filters() -> None:
    nightly = job("nightly", "running", name="Nightly build", score_path="/ops/nightly.yaml")
    report = job("report-2", "failed", score_path="/ops/report.yaml")
    assert Filter(text="NIGHT").keeps(nightly, ())
    assert not Filter(text="night").keeps(report, ())
    assert Filter(text="failed").keeps(report, ())
    assert Filter(score="report.yaml").keeps(report, ())
    assert not Filter(score="report.yaml").keeps(nightly, ())
    assert Filter(score="nightly build").keeps(nightly, ())


def test_a_filter_round_trips_through_its_query() -> None:
    chosen = Filter(tab="failed", text="x", score="", instrument="claude-code")
    assert chosen.query() == {"tab": "failed", "q": "x", "instrument": "claude-code"}
    assert Filter.of(chosen.query()) == chosen
    assert Filter.of({"tab": "nonsense"}).tab == "all"
    assert Filter().query() == {}


@given(st.lists(st.sampled_from(STATUSES), max_size=30), st.sets(st.integers(0, 29)))
def test_counts_match_the_tabs(statuses: list[str], asked: set[int]) -> None:
    jobs = [job(f"j{i}", s) for i, s in enumerate(statuses)]
    review = {f"j{i}" for i in asked}
    found = counts(jobs, review)
    assert found["all"] == len(jobs)
    assert sum(found[t] for t in ("running", "waiting", "failed", "completed")) == len(jobs)
    assert found["review"] == sum(1 for j in jobs if j["job_id"] in review)


def test_a_bulk_action_touches_only_the_jobs_it_applies_to() -> None:
    jobs = [job(f"j-{s}", s) for s in STATUSES]
    assert acted_on("pause", jobs) == ["j-queued", "j-running"]
    assert acted_on("resume", jobs) == ["j-paused", "j-paused_at_chain", "j-failed", "j-cancelled"]
    assert "j-completed" not in acted_on("cancel", jobs)
    assert set(ACTIONS) == {"pause", "resume", "cancel"}
