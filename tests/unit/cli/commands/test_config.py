"""`podium config set` changes the one line of the setting and keeps the file's comments."""

from typing import Any

import yaml

from podium.cli.commands.config import _edit_in_place
from podium.config import starter_text

TEXT = """\
# mine
max_concurrent_jobs: 15  # the jobs
resource_limits:
  # memory
  max_memory_mb: 8192
  max_processes: 256
socket:
  path: null
"""


def expected_with(text: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(text)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node: Any = data
        for key in parents:
            node = node[key]
        node[last] = value
    return data


def test_a_nested_setting_changes_on_its_line_and_the_comments_stay() -> None:
    expected = expected_with(TEXT, resource_limits__max_memory_mb=4096)
    edited = _edit_in_place(TEXT, ["resource_limits", "max_memory_mb"], "4096", expected)
    assert edited == TEXT.replace("max_memory_mb: 8192", "max_memory_mb: 4096")


def test_a_comment_after_the_value_stays() -> None:
    expected = expected_with(TEXT, max_concurrent_jobs=3)
    edited = _edit_in_place(TEXT, ["max_concurrent_jobs"], "3", expected)
    assert edited is not None and "max_concurrent_jobs: 3  # the jobs\n" in edited


def test_a_new_top_level_setting_is_added_at_the_end() -> None:
    expected = {**yaml.safe_load(TEXT), "log_level": "debug"}
    edited = _edit_in_place(TEXT, ["log_level"], "debug", expected)
    assert edited == TEXT + "\nlog_level: debug\n"


def test_a_change_the_line_cannot_express_gives_none() -> None:
    block = expected_with(TEXT, resource_limits=5)
    assert _edit_in_place(TEXT, ["resource_limits"], "5", block) is None
    missing_nested = expected_with(TEXT, socket__backlog=5)
    assert _edit_in_place(TEXT, ["socket", "backlog"], "5", missing_nested) is None


def test_every_setting_of_the_starter_file_can_be_changed_in_place() -> None:
    text = starter_text()
    expected = expected_with(text, socket__path="/run/p.sock")
    edited = _edit_in_place(text, ["socket", "path"], "/run/p.sock", expected)
    assert edited is not None and edited.count("#") == text.count("#")
