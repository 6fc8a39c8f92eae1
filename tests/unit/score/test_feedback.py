"""The agent's feedback block: found, parsed as the score says, kept as text when it does not
parse, the last one winning; and offered to later sheets' templates."""

from pathlib import Path

import pytest

from podium.domain.ids import SheetNum
from podium.score.assembly import AttemptContext, assemble
from podium.score.blocks import FeedbackConfig
from podium.score.feedback import MAX_FEEDBACK_CHARS, feedback_json, feedback_value
from tests.unit.score.test_assembly import score_in

ON = FeedbackConfig(enabled=True)


@pytest.mark.parametrize(
    ("config", "text", "value"),
    [
        (ON, 'Done.\nFEEDBACK_START\n{"score": 8, "notes": ["a"]}\nFEEDBACK_END', {"score": 8, "notes": ["a"]}),
        (ON, "FEEDBACK_START {not json} FEEDBACK_END", "{not json}"),
        (ON, 'FEEDBACK_START {"n": 1} FEEDBACK_END then FEEDBACK_START {"n": 2} FEEDBACK_END', {"n": 2}),
        (ON, "no block here", None),
        (ON, "", None),
        (FeedbackConfig(enabled=True, format="yaml"), "FEEDBACK_START\nscore: 3\nok: true\nFEEDBACK_END", {"score": 3, "ok": True}),
        (FeedbackConfig(enabled=True, format="yaml"), "FEEDBACK_START\n[unclosed\nFEEDBACK_END", "[unclosed"),
        (FeedbackConfig(enabled=True, format="text"), "FEEDBACK_START  Went well.  FEEDBACK_END", "Went well."),
        (FeedbackConfig(enabled=True, format="text", pattern=r"RATING: \d+"), "RATING: 4 of 5", "RATING: 4"),
        (FeedbackConfig(), 'FEEDBACK_START {"score": 8} FEEDBACK_END', None),
    ],
)  # fmt: skip
def test_the_block_is_found_and_read_as_its_format(
    config: FeedbackConfig, text: str, value: object
) -> None:
    assert feedback_value(text, config) == value


def test_a_huge_block_is_cut_and_kept_as_text_and_json_is_what_the_store_keeps() -> None:
    huge = "FEEDBACK_START " + "x" * (MAX_FEEDBACK_CHARS + 10) + " FEEDBACK_END"
    value = feedback_value(huge, ON)
    assert isinstance(value, str) and value.endswith(" […]")
    assert len(value) == MAX_FEEDBACK_CHARS + 4
    assert feedback_json('FEEDBACK_START {"é": 1} FEEDBACK_END', ON) == '{"é": 1}'
    assert feedback_json("nothing", ON) is None


def test_later_sheets_see_earlier_feedback_in_their_template(tmp_path: Path) -> None:
    score = score_in(
        tmp_path,
        """
        name: fb
        workspace: ./ws
        sheet: {size: 1, total_items: 3}
        feedback: {enabled: true}
        prompt:
          template: "Sheet 1 rated {{ previous_feedback[1].score }}; all: {{ previous_feedback }}"
        """,
    )
    answers = {1: 'ok FEEDBACK_START {"score": 9} FEEDBACK_END', 2: "no feedback"}
    context = AttemptContext(output_of=answers.get)
    prompt = assemble(score, SheetNum(3), context, raw=True)
    assert prompt == "Sheet 1 rated 9; all: {1: {'score': 9}}"
    assert assemble(score, SheetNum(1), context, raw=True) == "Sheet 1 rated ; all: {}"
