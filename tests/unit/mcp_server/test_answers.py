"""What a tool answers: cut to a size an agent can take, saying how to read the rest, and the
structured content that carries the text too (some agent CLIs show the model only that)."""

import json

from podium.mcp_server.answers import Answer, clip, structured


def test_a_short_text_is_left_whole() -> None:
    assert clip("a\nb", "more", limit=10) == "a\nb"


def test_a_long_text_keeps_its_head_in_whole_lines_and_says_what_was_left_out() -> None:
    text = "\n".join(f"line {n}" for n in range(100))
    cut = clip(text, "ask for less", limit=100)
    kept, note = cut.rsplit("\n", 1)
    assert text.startswith(kept) and kept.endswith("line 12")
    assert (
        note
        == f"[the last {len(text) - len(kept)} of {len(text)} characters left out; ask for less]"
    )


def test_a_long_log_keeps_its_tail_in_whole_lines() -> None:
    text = "\n".join(f"line {n}" for n in range(100))
    cut = clip(text, "tail=N", keep="tail", limit=100)
    note, kept = cut.split("\n", 1)
    assert text.endswith(kept) and kept.startswith("line 88")
    assert note == f"[the first {len(text) - len(kept)} of {len(text)} characters left out; tail=N]"


def test_structured_content_holds_the_text_and_a_small_result_whole() -> None:
    answer = Answer("job j: paused", {"job_id": "j", "message": "paused"})
    assert structured(answer) == {
        "text": "job j: paused",
        "result": {"job_id": "j", "message": "paused"},
    }


def test_a_result_too_large_is_left_out_and_said_so() -> None:
    data = {"sheets": ["x" * 50] * 10}
    found = structured(Answer("view", data), limit=100)
    assert found["text"] == "view"
    assert "result" not in found
    size = len(json.dumps(data))
    assert str(found["result_left_out"]).startswith(f"the conductor's answer is {size} characters")
