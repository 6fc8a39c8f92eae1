"""A format spec in a validation path cannot pad a value to gigabytes."""

import pytest

from podium.score.placeholders import SPEC_MAX_WIDTH, PlaceholderError, expand_path


def test_ordinary_specs_fill_in_as_str_format_does() -> None:
    values = {"sheet_num": 7, "ratio": 0.5, "name": "a"}
    assert expand_path("{sheet_num:03d}-{ratio:.2f}-{name:>3}", values) == "007-0.50-  a"


@pytest.mark.parametrize(
    "spec", [">1000000000", "01000000000d", ".1000000000f", f"<{SPEC_MAX_WIDTH + 1}"]
)
def test_a_spec_wider_than_any_path_is_refused(spec: str) -> None:
    with pytest.raises(PlaceholderError, match="a format spec may pad a value to at most 4096"):
        expand_path(f"out-{{sheet_num:{spec}}}.txt", {"sheet_num": 1})
