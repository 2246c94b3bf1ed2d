"""Before and after: points, relative change and 'improved' by the indicator's direction."""

import pytest

from score_app.catalog.indicators import Direction
from score_app.kpis.compare import compare


def test_efficiency_example_from_the_domain_reference():
    change = compare(63.1, 74.4, Direction.HIGHER, decimals=1)
    assert change.absolute == pytest.approx(11.3)
    assert change.relative == pytest.approx(17.9, abs=0.05)
    assert change.improved


def test_absenteeism_example_from_the_domain_reference():
    change = compare(4.0, 2.8, Direction.LOWER, decimals=1)
    assert change.absolute == pytest.approx(-1.2)
    assert change.relative == pytest.approx(-30.0)
    assert change.improved


@pytest.mark.parametrize(
    ("before", "after", "direction", "improved"),
    [
        (60, 55, Direction.HIGHER, False),
        (3.0, 3.5, Direction.LOWER, False),
        (3.0, 2.5, Direction.LOWER, True),
    ],
)
def test_improved_follows_the_direction(before, after, direction, improved):
    assert compare(before, after, direction, decimals=1).improved is improved


def test_relative_change_from_zero_is_undefined():
    change = compare(0, 2, Direction.LOWER, decimals=0)
    assert change.relative is None
    assert change.absolute == 2


def test_a_change_that_vanishes_when_rounded_is_not_an_improvement():
    change = compare(5.02, 4.98, Direction.LOWER, decimals=1)
    assert change.is_unchanged
    assert not change.improved


def test_a_change_that_rounds_to_zero_is_not_an_improvement_even_across_a_rounding_edge():
    change = compare(63.14, 63.16, Direction.HIGHER, decimals=1)
    assert change.is_unchanged
    assert not change.improved
