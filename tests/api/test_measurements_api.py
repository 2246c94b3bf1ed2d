"""The indicator endpoints of the API: the contract, every kind of 422, and the comparison."""

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from score_app.catalog.indicators import BY_CODE
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement
from tests.api.conftest import assert_documented
from tests.conftest import january_baseline_meanwhile, submit_drafts

BASELINE = {
    "indicator": "absenteeism_rate",
    "phase": "baseline",
    "period_start": "2025-01-01",
    "period_end": "2025-01-31",
    "inputs": {"absent_person_days": 40, "scheduled_person_days": 1000},
}


@pytest.fixture
def api(app, create_enterprise, api_as):
    enterprise = create_enterprise(workers_women=30, workers_men=20)
    owner = api_as("enterprise_owner", enterprises=[enterprise])

    def call(method, path, **kwargs):
        return owner.open(path.format(id=enterprise.id), method=method, **kwargs)

    call.app, call.enterprise_id = app, enterprise.id
    return call


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Measurement))


def test_indicators_are_listed_in_the_requests_language(api):
    body = api("GET", "/api/v1/indicators", headers={"Accept-Language": "es"}).get_json()
    codes = [item["code"] for item in body]
    assert codes[:4] == ["operating_efficiency", "absenteeism_rate", "defect_rate", "dhu"]
    efficiency = body[0]
    assert efficiency["name"] == "Eficiencia operativa"
    assert efficiency["direction"] == "higher" and efficiency["unit"] == "%"
    assert [i["name"] for i in efficiency["inputs"]] == ["minutes_produced", "minutes_attended"]


def test_a_measurement_is_stored_with_its_value_and_status(app, api):
    response = api("POST", "/api/v1/enterprises/{id}/measurements", json=BASELINE)
    assert response.status_code == 201
    body = response.get_json()
    assert body["value"] == 4.0 and body["status"] == "draft" and body["id"]
    assert body["inputs"] == {"absent_person_days": 40, "scheduled_person_days": 1000}
    assert api("GET", "/api/v1/enterprises/{id}/measurements").get_json() == [body]


def test_half_days_of_absence_go_in_and_come_back_as_sent(api):
    inputs = {"absent_person_days": 12.5, "scheduled_person_days": 1000}
    response = api(
        "POST", "/api/v1/enterprises/{id}/measurements", json={**BASELINE, "inputs": inputs}
    )
    assert response.status_code == 201
    assert response.get_json()["inputs"] == inputs and response.get_json()["value"] == 1.25
    listed = api("GET", "/api/v1/indicators").get_json()
    assert [(i["whole_number"], i["step"]) for i in listed[1]["inputs"]] == [(False, 0.5)] * 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"indicator": "happiness"}, "indicator", "Unknown indicator."),
        ({"phase": "midline"}, "phase", "Choose baseline or follow-up."),
        ({"period_start": "2025-13-01"}, "period_start", "YYYY-MM-DD"),
        ({"period_end": None}, "period_end", "Enter the last day of the period."),
        ({"period_end": "2024-12-31"}, "period_end", "on or after the first day"),
        ({"period_end": "2999-01-31"}, "period_end", "cannot end in the future"),
        ({"inputs": {"absent_person_days": 40}}, "inputs.scheduled_person_days", "Enter a number."),
        (
            {"inputs": {"absent_person_days": "40", "scheduled_person_days": 1000}},
            "inputs.absent_person_days",
            "Must be a number.",
        ),
        (
            {"inputs": {"absent_person_days": -1, "scheduled_person_days": 1000}},
            "inputs.absent_person_days",
            "Cannot be negative.",
        ),
        (
            {"inputs": {"absent_person_days": 4.25, "scheduled_person_days": 1000}},
            "inputs.absent_person_days",
            "Enter whole or half days, like 12 or 12.5.",
        ),
        (
            {"inputs": {"absent_person_days": 0, "scheduled_person_days": 0}},
            "inputs.scheduled_person_days",
            "more than zero",
        ),
        (
            {"inputs": {"absent_person_days": 1001, "scheduled_person_days": 1000}},
            "inputs.absent_person_days",
            "Cannot be more than",
        ),
        ({"inputs": [40, 1000]}, "inputs", "named numbers"),
        ({"colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_each_bad_field_gets_a_422_and_nothing_is_saved(app, api, change, field, message):
    response = api("POST", "/api/v1/enterprises/{id}/measurements", json={**BASELINE, **change})
    assert response.status_code == 422
    assert message in response.get_json()["errors"][field]
    assert _count(app) == 0


def test_several_bad_fields_are_named_together(api):
    body = {
        **BASELINE,
        "phase": "x",
        "inputs": {"absent_person_days": "4", "scheduled_person_days": 0},
    }
    errors = api("POST", "/api/v1/enterprises/{id}/measurements", json=body).get_json()["errors"]
    assert {"phase", "inputs.absent_person_days", "inputs.scheduled_person_days"} <= set(errors)


def test_a_warning_without_comment_is_a_422_that_asks_for_one(app, api):
    api("POST", "/api/v1/enterprises/{id}/measurements", json=BASELINE)
    follow_up = {
        **BASELINE,
        "phase": "follow_up",
        "period_start": "2025-06-01",
        "period_end": "2025-06-30",
        "inputs": {"absent_person_days": 10, "scheduled_person_days": 1000},
    }
    refused = api("POST", "/api/v1/enterprises/{id}/measurements", json=follow_up)
    assert refused.status_code == 422
    assert "Add a comment" in refused.get_json()["errors"]["comment"]
    saved = api(
        "POST", "/api/v1/enterprises/{id}/measurements", json={**follow_up, "comment": "Checked."}
    )
    assert saved.status_code == 201 and saved.get_json()["warnings"]


def test_the_same_period_twice_is_refused(app, api):
    api("POST", "/api/v1/enterprises/{id}/measurements", json=BASELINE)
    again = api("POST", "/api/v1/enterprises/{id}/measurements", json=BASELINE)
    assert (
        again.status_code == 422
        and "already has a measurement" in again.get_json()["errors"]["period_start"]
    )
    assert _count(app) == 1


@pytest.mark.committing
def test_the_same_period_saved_by_someone_else_at_the_same_moment_is_a_409(app, api):
    with app.app_context():
        enterprise_id = db.session.scalar(select(Enterprise.id))
    with january_baseline_meanwhile(enterprise_id, "absenteeism_rate", (50, 1000), 5.0):
        refused = api("POST", "/api/v1/enterprises/{id}/measurements", json=BASELINE)
    assert refused.status_code == 409
    assert "Someone else changed this" in refused.get_json()["error"]
    assert_documented(refused)
    with app.app_context():
        assert db.session.scalars(select(Measurement.value)).all() == [5.0]  # theirs alone


def test_comparison_uses_the_latest_or_the_chosen_follow_up(api):
    api("POST", "/api/v1/enterprises/{id}/measurements", json=BASELINE)
    for month, absent in ((4, 30), (7, 28)):
        api(
            "POST",
            "/api/v1/enterprises/{id}/measurements",
            json={
                **BASELINE,
                "phase": "follow_up",
                "period_start": f"2025-0{month}-01",
                "period_end": f"2025-0{month}-30",
                "inputs": {"absent_person_days": absent, "scheduled_person_days": 1000},
            },
        )
    submit_drafts(api.app, api.enterprise_id)
    latest = api("GET", "/api/v1/enterprises/{id}/comparison").get_json()
    assert latest == [
        {
            "indicator": "absenteeism_rate",
            "unit": "%",
            "direction": "lower",
            "cycle": 1,
            "baseline": 4.0,
            "baseline_period": {"start": "2025-01-01", "end": "2025-01-31", "status": "submitted"},
            "follow_up": 2.8,
            "follow_up_period": {"start": "2025-07-01", "end": "2025-07-30", "status": "submitted"},
            "follow_up_number": 2,
            "compared_per_days": None,
            "change_abs": -1.2,
            "change_pct": -30.0,
            "improved": True,
            "newer_baseline": None,
            "drafts": 0,
        }
    ]
    first = api("GET", "/api/v1/enterprises/{id}/comparison?follow_up=1").get_json()[0]
    assert (first["follow_up"], first["change_pct"]) == (3.0, -25.0)


def test_follow_ups_are_numbered_by_date_within_their_cycle(api):
    def post(indicator, inputs, phase, month):
        body = {
            "indicator": indicator,
            "phase": phase,
            "period_start": f"2025-{month:02d}-01",
            "period_end": f"2025-{month:02d}-28",
            "inputs": inputs,
            "comment": "Checked.",
        }
        assert api("POST", "/api/v1/enterprises/{id}/measurements", json=body).status_code == 201

    defects = {"defective_units": 30, "inspected_units": 1000}
    dhu = {"defects_found": 50, "inspected_units": 1000}
    post("defect_rate", defects, "baseline", 1)
    post("dhu", dhu, "baseline", 1)
    post("defect_rate", defects, "follow_up", 4)  # defect rate's follow-up 1: April
    post("defect_rate", defects, "follow_up", 7)  # and its follow-up 2: July
    post("dhu", dhu, "follow_up", 7)  # DHU's follow-up 1: July
    submit_drafts(api.app, api.enterprise_id)
    second = {
        r["indicator"]: r
        for r in api("GET", "/api/v1/enterprises/{id}/comparison?follow_up=2").get_json()
    }
    assert second["defect_rate"]["follow_up_period"]["start"] == "2025-07-01"
    assert (second["dhu"]["follow_up"], second["dhu"]["follow_up_number"]) == (None, None)
    latest = {
        r["indicator"]: r for r in api("GET", "/api/v1/enterprises/{id}/comparison").get_json()
    }
    assert (latest["defect_rate"]["follow_up_number"], latest["dhu"]["follow_up_number"]) == (2, 1)


_FRESH_PERIODS = itertools.count()
_NUMBERS = st.one_of(
    st.integers(min_value=-10, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.sampled_from(sorted(BY_CODE)),
    first=_NUMBERS,
    second=_NUMBERS,
    month=st.integers(min_value=1, max_value=12),
)
def test_any_input_is_saved_consistently_or_refused_with_messages(
    app, api, code, first, second, month
):
    names = [spec.name for spec in BY_CODE[code].inputs]
    body = {
        "indicator": code,
        "phase": "baseline",
        "period_start": f"2024-{month:02d}-01",
        "period_end": f"2024-{month:02d}-28",
        "inputs": dict(zip(names, (first, second), strict=True)),
        "comment": "Checked on site.",
    }
    before = _count(app)
    response = api("POST", "/api/v1/enterprises/{id}/measurements", json=body)
    if any(isinstance(v, str) and "\x00" in v for v in (first, second)):
        # Text with a NUL character is refused before any check (see tests/test_security.py).
        assert response.status_code == 400 and response.get_json()["error"]
        assert _count(app) == before
        return
    assert response.status_code in (201, 422)
    if response.status_code == 201:
        saved = response.get_json()
        expected = compute(code, {n: float(v) for n, v in body["inputs"].items()})
        assert math.isclose(saved["value"], expected, rel_tol=1e-6, abs_tol=1e-6)
        assert _count(app) == before + 1
    else:
        errors = response.get_json()["errors"]
        assert errors and all(isinstance(m, str) and m for m in errors.values())
        assert _count(app) == before


def test_a_follow_up_before_the_first_baseline_is_a_422_and_a_new_baseline_a_new_cycle(api):
    assert api("POST", "/api/v1/enterprises/{id}/measurements", json=BASELINE).status_code == 201
    early = {**BASELINE, "phase": "follow_up", "period_start": "2024-12-01",
             "period_end": "2024-12-31"}  # fmt: skip
    refused = api("POST", "/api/v1/enterprises/{id}/measurements", json=early)
    assert refused.status_code == 422
    assert refused.get_json() == {
        "errors": {
            "period_start": "A follow-up must start after the indicator's first baseline, "
            "which ends on Jan 31, 2025."
        }
    }
    second = {**BASELINE, "period_start": "2025-10-01", "period_end": "2025-10-31",
              "inputs": {"absent_person_days": 70, "scheduled_person_days": 1000}}  # fmt: skip
    assert api("POST", "/api/v1/enterprises/{id}/measurements", json=second).status_code == 201
    april = {**BASELINE, "phase": "follow_up", "period_start": "2025-04-01",
             "period_end": "2025-04-30",
             "inputs": {"absent_person_days": 30, "scheduled_person_days": 1000}}  # fmt: skip
    assert api("POST", "/api/v1/enterprises/{id}/measurements", json=april).status_code == 201
    submit_drafts(api.app, api.enterprise_id)
    (row,) = api("GET", "/api/v1/enterprises/{id}/comparison").get_json()
    assert (row["cycle"], row["baseline"], row["follow_up"], row["improved"]) == (1, 4.0, 3.0, True)
    assert row["newer_baseline"] == {
        "value": 7.0,
        "period": {"start": "2025-10-01", "end": "2025-10-31", "status": "submitted"},
    }
