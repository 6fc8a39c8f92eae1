"""The dashboard's pictures, drawn on the server as inline SVG: pure functions from the
conductor's answers (`podium.ipc.schema`) to markup, with the CSS each one needs.

- `render_dag(job_id, sheets)` and `DAG_CSS`: the sheets and their dependencies (`dag`).
- `render_gantt(job_id, attempts, now)` and `GANTT_CSS`: attempts and waits on a timeline (`gantt`).
- `render_cost_chart(attempts, now)` and `CHART_CSS`: money spent over time (`cost_chart`).
- `summarize(job_id, attempts)` and `by_job(jobs)`: cost totals and breakdowns (`costs`).

Every user-supplied text is escaped; the markup goes into a page as is (Jinja's `|safe`).
"""

from podium.web.graphics.cost_chart import CHART_CSS, render_cost_chart
from podium.web.graphics.costs import CostRow, CostSummary, by_job, summarize
from podium.web.graphics.dag import DAG_CSS, render_dag
from podium.web.graphics.gantt import GANTT_CSS, render_gantt

__all__ = [
    "CHART_CSS",
    "DAG_CSS",
    "GANTT_CSS",
    "CostRow",
    "CostSummary",
    "by_job",
    "render_cost_chart",
    "render_dag",
    "render_gantt",
    "summarize",
]
