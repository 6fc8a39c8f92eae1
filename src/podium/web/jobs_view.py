"""The jobs page's decisions, free of I/O: which tab a job belongs to, which jobs a filter
keeps, and what a bulk action may touch."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import JobInfo

TABS: tuple[tuple[str, str], ...] = (
    ("running", "Running"),
    ("waiting", "Waiting"),
    ("review", "Needs review"),
    ("failed", "Failed"),
    ("completed", "Completed"),
    ("all", "All"),
)
"""Each tab's name in the address (`/?tab=failed`) and on the page."""

_TAB_STATUSES: Mapping[str, frozenset[str]] = {
    "running": frozenset({"running"}),
    "waiting": frozenset({"queued", "paused", "paused_at_chain"}),
    "failed": frozenset({"failed", "cancelled"}),
    "completed": frozenset({"completed"}),
}

ACTIONS: Mapping[str, frozenset[str]] = {
    "pause": frozenset({"queued", "running"}),
    "resume": frozenset({"paused", "paused_at_chain", "failed", "cancelled"}),
    "cancel": frozenset({"queued", "running", "paused", "paused_at_chain"}),
}
"""The job actions, and the statuses each applies to (a bulk action skips the others)."""


@dataclass(frozen=True, slots=True)
class Filter:
    """What the jobs page shows: a tab, and text the job's id, name or score must hold
    (`score`), and an instrument one of its sheets plays (`instrument`)."""

    tab: str = "all"
    text: str = ""
    score: str = ""
    instrument: str = ""

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Filter:
        tab = query.get("tab", "all")
        return cls(
            tab=tab if tab in dict(TABS) else "all",
            text=query.get("q", "").strip(),
            score=query.get("score", "").strip(),
            instrument=query.get("instrument", "").strip(),
        )

    def query(self) -> dict[str, str]:
        """The filter as an address's query, its empty parts left out."""
        found = {"tab": self.tab, "q": self.text, "score": self.score}
        found["instrument"] = self.instrument
        return {k: v for k, v in found.items() if v and not (k == "tab" and v == "all")}

    def keeps(self, job: JobInfo, review: Collection[str]) -> bool:
        """Whether `job` passes the tab and the text filters (the instrument is checked
        apart: the job's list does not carry it)."""
        return in_tab(job, self.tab, review) and self._text_ok(job)

    def _text_ok(self, job: JobInfo) -> bool:
        if self.text:
            needle = self.text.casefold()
            haystack = (job["job_id"], job["name"], job["score_path"], job["status"])
            if not any(needle in value.casefold() for value in haystack):
                return False
        if self.score:
            needle = self.score.casefold()
            return needle in job["score_path"].casefold() or needle in job["name"].casefold()
        return True


def in_tab(job: JobInfo, tab: str, review: Collection[str]) -> bool:
    if tab == "all":
        return True
    if tab == "review":
        return job["job_id"] in review
    return job["status"] in _TAB_STATUSES.get(tab, frozenset())


def counts(jobs: Iterable[JobInfo], review: Collection[str]) -> dict[str, int]:
    """How many jobs each tab holds."""
    listed = list(jobs)
    return {tab: sum(1 for job in listed if in_tab(job, tab, review)) for tab, _ in TABS}


def acted_on(action: str, jobs: Iterable[JobInfo]) -> list[str]:
    """The jobs a bulk `action` touches: those whose status it applies to."""
    applies = ACTIONS[action]
    return [job["job_id"] for job in jobs if job["status"] in applies]
