"""What `podium history` prints, from the conductor's answer."""

from podium.cli.commands.history import render_history
from tests.unit.cli.answers import CHECK, attempt, found_of


def test_history_lists_attempts_latest_last_with_what_ran_them_and_their_output() -> None:
    newest_first = [
        attempt(
            1,
            2,
            "succeeded",
            model="opus",
            input_tokens=1200,
            output_tokens=30,
            cost=0.01,
            cost_estimated=True,
            checks=[{**CHECK, "passed": True}],
        ),
        attempt(1, 1, signal=9, exit_code=None, stderr_tail="a\nb\n"),
    ]
    text = render_history(found_of(newest_first, status="completed", total=7), False)
    blocks = text.split("\n\n")
    assert blocks[0] == "demo  completed"
    first = blocks[1].splitlines()
    assert first[0].endswith("sheet 1  attempt 1  failed  E009 transient")
    assert first[1] == "  cli (default model) · killed by SIGKILL · took 3.0s"
    assert first[2:] == ["  error  exit code 1: boom", "  stderr  │ a", "          │ b"]
    second = blocks[2].splitlines()
    assert second[1] == (
        "  cli (opus) · exit code 0 · took 3.0s · 1,200 in / 30 out tokens · $0.0100 (estimated)"
    )
    assert second[2] == "  checks  ✓ out.txt exists"
    assert blocks[3] == "(the latest 2 of 7 attempts; --limit shows more)"
    running = attempt(1, 3, "running", exit_code=None, exited_at=None, ended_at=None)
    text = render_history(found_of([running], status="running"), False)
    assert " · running for " in text.splitlines()[3]
    empty = found_of([], status="queued")
    assert render_history(empty, False) == "job demo (queued) has no attempts yet"
