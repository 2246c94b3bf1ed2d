"""Every formula against an example worked out by hand."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from score_app.catalog.indicators import INDICATORS
from score_app.kpis.formulas import FORMULAS, SHAPES, compute, compute_by_shape

# code, inputs, expected value (worked by hand)
EXAMPLES = [
    ("operating_efficiency", {"minutes_produced": 6310, "minutes_attended": 10000}, 63.1),
    ("operating_efficiency", {"minutes_produced": 15600, "minutes_attended": 12000}, 130.0),
    ("absenteeism_rate", {"absent_person_days": 28, "scheduled_person_days": 1000}, 2.8),
    ("absenteeism_rate", {"absent_person_days": 12.5, "scheduled_person_days": 500}, 2.5),
    ("defect_rate", {"defective_units": 45, "inspected_units": 1500}, 3.0),
    ("dhu", {"defects_found": 75, "inspected_units": 50}, 150.0),  # several defects a unit
    ("ltifr", {"lost_time_injuries": 1, "hours_worked": 240_000}, 4.1667),
    ("recordable_incident_rate", {"recordable_incidents": 3, "hours_worked": 400_000}, 1.5),
    ("lost_day_rate", {"lost_days": 12, "hours_worked": 120_000}, 20.0),
    ("osh_incidents", {"accidents": 4, "near_misses": 17}, 4.0),
    ("staff_turnover", {"separations": 9, "average_headcount": 180}, 5.0),
    ("labour_productivity", {"output_units": 5_200, "worker_hours": 1_600}, 3.25),
    ("energy_intensity", {"energy_kwh": 19_550, "output_units": 46_000}, 0.425),
    ("waste_per_unit", {"waste_kg": 340, "output_units": 8_500}, 0.04),
    ("on_time_delivery", {"orders_on_time": 47, "orders_delivered": 50}, 94.0),
]


@pytest.mark.parametrize(("code", "inputs", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_formula_gives_the_hand_worked_value(code, inputs, expected):
    assert compute(code, inputs) == pytest.approx(expected, abs=1e-4)


def test_every_indicator_has_a_formula_and_an_example():
    assert set(FORMULAS) == {indicator.code for indicator in INDICATORS}
    assert {code for code, _i, _e in EXAMPLES} == set(FORMULAS)


def test_every_formula_documents_its_unit_and_direction():
    for function in FORMULAS.values():
        doc = function.__doc__
        assert "Unit" in doc and ("higher is better" in doc or "lower is better" in doc)


@pytest.mark.parametrize(("code", "inputs", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_the_shape_sent_to_the_browser_gives_the_hand_worked_value(code, inputs, expected):
    assert compute_by_shape(code, inputs) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("indicator", INDICATORS, ids=lambda i: i.code)
@given(
    first=st.floats(min_value=0, max_value=1e9),
    second=st.floats(min_value=1e-3, max_value=1e9),
)
def test_the_shape_sent_to_the_browser_agrees_with_the_formula(indicator, first, second):
    inputs = dict(zip((spec.name for spec in indicator.inputs), (first, second), strict=True))
    assert SHAPES[indicator.code].numerator in inputs
    assert compute_by_shape(indicator.code, inputs) == pytest.approx(
        compute(indicator.code, inputs), rel=1e-12
    )
