"""The pictures a page shows, from what the conductor answered: the sheet graph, the
attempts' timeline, and the costs (`podium.web.graphics` draws them)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from itertools import chain

from podium.web.graphics.cost_chart import CHART_CSS, render_cost_chart
from podium.web.graphics.costs import by_job, summarize
from podium.web.graphics.dag import DAG_CSS, render_dag
from podium.web.graphics.gantt import GANTT_CSS, render_gantt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import AttemptDetailInfo, JobStatusResult

CSS = "\n".join((DAG_CSS, GANTT_CSS, CHART_CSS))
"""The pictures' colours, by status and outcome: every page carries them."""


def dag(job: JobStatusResult) -> str:
    return render_dag(job["job_id"], job["sheets"])


def gantt(job: JobStatusResult, attempts: Sequence[AttemptDetailInfo]) -> str:
    return render_gantt(job["job_id"], attempts, time.time())


def costs(attempts: Mapping[str, Sequence[AttemptDetailInfo]]) -> dict[str, object]:
    """The costs page's chart and tables, over the attempts of every job given."""
    every = list(chain.from_iterable(attempts.values()))
    summary = summarize("all", every)
    return {
        "chart": render_cost_chart(every, time.time()),
        "by_job": by_job(attempts),
        "summary": summary,
    }
