"""`podium approvals` as it describes a question, and what `approve --prompt` reads."""

import argparse
import dataclasses
from pathlib import Path

import pytest

from podium.cli import answer
from podium.cli.commands import approve
from podium.cli.commands.approvals import describe
from podium.domain.errors import UserError
from podium.domain.gates import GateRecord, GateWhen, OnTimeout
from podium.domain.ids import JobId, SheetNum
from podium.ipc.approval_convert import approval_info

QUESTION = GateRecord(
    JobId("ship"),
    SheetNum(2),
    "release",
    "read the report",
    GateWhen.BEFORE,
    1000.0,
    context="sheet 2 of 3; attempts so far 0",
)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({}, "  asked "),
        ({"deadline": 2000.0, "on_timeout": OnTimeout.SKIP}, "; answered by itself (skip) at "),
        ({"deadline": 2000.0}, "; the job pauses at "),
        ({"deadline": 2000.0, "expired": True}, "; the job paused: no answer in time"),
    ],
)
def test_a_question_says_when_it_was_asked_and_what_its_deadline_does(
    changes: dict[str, object], says: str
) -> None:
    lines = describe(approval_info(dataclasses.replace(QUESTION, **changes)))  # type: ignore[arg-type]
    assert lines[0] == "ship sheet 2 (before it runs): 'release': read the report"
    assert says in lines[1]
    assert lines[2] == "  sheet 2 of 3; attempts so far 0"
    assert lines[-2:] == [
        "  answer: podium approve ship 2 [--note TEXT] [--prompt @FILE]",
        "          podium reject ship 2   ·   podium skip ship 2",
    ]


def test_a_question_after_the_checks_with_an_input_schema_shows_it() -> None:
    gate = dataclasses.replace(
        QUESTION, point=GateWhen.AFTER_CHECKS, input_schema='{"type": "object"}', message=""
    )
    lines = describe(approval_info(gate))
    assert lines[0] == "ship sheet 2 (its checks passed): 'release'"
    assert '  input: {"type": "object"}' in lines


def test_a_prompt_is_text_or_a_files_text(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text("do it this way\n")
    assert answer.prompt_text("inline") == "inline"
    assert answer.prompt_text(f"@{tmp_path / 'p.md'}") == "do it this way\n"
    with pytest.raises(UserError, match="cannot read the prompt file"):
        answer.prompt_text(f"@{tmp_path / 'missing.md'}")


def test_replace_without_a_prompt_is_refused_before_anything_is_sent() -> None:
    args = argparse.Namespace(job="ship", sheet=2, note=None, json=False, prompt=None, replace=True)
    with pytest.raises(UserError, match="--replace goes with --prompt"):
        approve.run(args)
