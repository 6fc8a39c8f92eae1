"""The resources `podium mcp` offers, by URI: a job's view, and the end of a sheet's latest
output. Pure but for `read`, which asks the conductor."""

from __future__ import annotations

import re
from dataclasses import dataclass

from podium.mcp_server import jobs
from podium.mcp_server.answers import ToolRefused


@dataclass(frozen=True)
class Template:
    """One kind of resource: its URI template (RFC 6570), its name and what it holds."""

    uri_template: str
    name: str
    description: str


JOB = Template(
    "podium://jobs/{job_id}",
    "job",
    "A job as `podium status JOB` shows it: progress, sheets, waits, errors, next steps.",
)
SHEET_OUTPUT = Template(
    "podium://jobs/{job_id}/sheets/{sheet}/output",
    "sheet-output",
    f"The last {jobs.OUTPUT_LINES} lines of stdout and stderr of a sheet's latest attempt "
    "(credentials masked).",
)
TEMPLATES = (JOB, SHEET_OUTPUT)

_JOB = re.compile(r"podium://jobs/(?P<job>[^/]+)")
_SHEET_OUTPUT = re.compile(r"podium://jobs/(?P<job>[^/]+)/sheets/(?P<sheet>\d+)/output")


def job_uri(job_id: str) -> str:
    return f"podium://jobs/{job_id}"


def read(uri: str) -> str:
    """The text of the resource at `uri`; `ToolRefused` when it names none."""
    found = _SHEET_OUTPUT.fullmatch(uri)
    if found:
        return jobs.sheet_output(found["job"], int(found["sheet"]))
    found = _JOB.fullmatch(uri)
    if found:
        return jobs.job_text(found["job"])
    raise ToolRefused(
        f"no resource {uri!r}; podium's are " + " and ".join(t.uri_template for t in TEMPLATES)
    )
