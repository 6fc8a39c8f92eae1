"""Dependency cycles in a plan, found whatever the order of the sheets."""

from podium.domain.ids import SheetNum
from podium.domain.plan import find_cycle

ONE, TWO, THREE = SheetNum(1), SheetNum(2), SheetNum(3)


def test_a_sheet_already_visited_through_another_is_not_walked_again() -> None:
    assert find_cycle({ONE: [TWO], TWO: [], THREE: [ONE]}) is None


def test_a_cycle_is_reported_as_the_path_that_closes_it() -> None:
    assert find_cycle({ONE: [], TWO: [THREE], THREE: [TWO]}) == [TWO, THREE, TWO]
