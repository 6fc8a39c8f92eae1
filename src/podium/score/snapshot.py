"""A score frozen at submission: its text and the template file it reads.

A job that is recovered after a restart is compiled from its snapshot, so that an edited or
moved template file cannot change (or break) the prompts of a job already running.
"""

import json
from pathlib import Path

from podium.score.compiled import CompiledScore, compile_data
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.yamlsource import load_yaml


def freeze(score: CompiledScore) -> str:
    template_file = None
    if score.model.prompt.template_file is not None and score.template_source is not None:
        template_file = score.template_source.text
    frozen: dict[str, object] = {"score": score.text, "template_file": template_file}
    if score.workspace_override is not None:
        frozen["workspace"] = score.workspace_override
    if score.rehearsal:
        frozen["rehearsal"] = True
    return json.dumps(frozen)


def thaw(snapshot: str, path: Path) -> CompiledScore:
    try:
        frozen = json.loads(snapshot)
        text, template = frozen["score"], frozen["template_file"]
        workspace = frozen.get("workspace")
        rehearsal = frozen.get("rehearsal") is True
    except (ValueError, KeyError, TypeError):
        raise ScoreError(
            [Diagnostic(str(path), 1, 1, "", "the job's stored score cannot be read")]
        ) from None
    data, source = load_yaml(text, str(path))
    return compile_data(
        data,
        source,
        text,
        path,
        template_file_text=template,
        workspace=workspace,
        rehearsal=rehearsal,
    )
