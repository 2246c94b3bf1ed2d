"""Entering a period's figures: all indicators at once, errors on fields, warnings need comments."""

import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from score_app.extensions import db
from score_app.kpis.models import Measurement, MeasurementAudit
from tests.conftest import january_baseline_meanwhile
from tests.kpis.conftest import period_form


def _count(app, model=Measurement):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _url(world):
    return f"/enterprises/{world['enterprise'].id}/measurements/new"


EFFICIENCY = {"minutes_produced": "6310", "minutes_attended": "10000"}
DEFECTS = {"defective_units": "45", "inspected_units": "1500"}


def test_one_form_saves_several_indicators_as_drafts(app, figures_world):
    owner = figures_world["clients"]["owner"]
    response = owner.post(
        _url(figures_world), data=period_form(operating_efficiency=EFFICIENCY, defect_rate=DEFECTS)
    )
    assert response.status_code == 302
    with app.app_context():
        saved = {
            m.indicator: (m.value, m.status.value) for m in db.session.scalars(select(Measurement))
        }
    assert saved == {"operating_efficiency": (63.1, "draft"), "defect_rate": (3.0, "draft")}
    assert _count(app, MeasurementAudit) == 2


def test_check_shows_the_computed_values_and_saves_nothing(app, figures_world):
    owner = figures_world["clients"]["owner"]
    page = owner.post(
        _url(figures_world), data=period_form(action="check", operating_efficiency=EFFICIENCY)
    ).get_data(True)
    assert "Result: 63.1 %" in page
    assert _count(app) == 0


def test_one_impossible_value_saves_nothing_and_keeps_every_typed_figure(app, figures_world):
    owner = figures_world["clients"]["owner"]
    response = owner.post(
        _url(figures_world),
        data=period_form(
            operating_efficiency=EFFICIENCY,
            defect_rate={"defective_units": "1600", "inspected_units": "1500"},
        ),
    )
    page = response.get_data(True)
    assert response.status_code == 422
    assert 'id="defect_rate-defective_units-error">Cannot be more than units inspected.' in page
    assert 'value="1600"' in page and 'value="6310"' in page
    assert _count(app) == 0


def test_a_single_indicator_can_be_entered_alone(app, figures_world):
    owner = figures_world["clients"]["owner"]
    page = owner.get(_url(figures_world) + "?indicator=absenteeism_rate").get_data(True)
    assert page.count('<fieldset class="card indicator-entry"') == 1


def test_a_warning_needs_a_comment_before_saving(app, figures_world):
    owner = figures_world["clients"]["owner"]
    owner.post(_url(figures_world), data=period_form(defect_rate=DEFECTS))
    follow_up = {"defective_units": "10", "inspected_units": "1500"}  # 3 % -> 0.67 %
    kwargs = {"phase": "follow_up", "start": "2025-06-01", "end": "2025-06-30"}
    refused = owner.post(_url(figures_world), data=period_form(defect_rate=follow_up, **kwargs))
    assert refused.status_code == 422
    assert "differs from the baseline by more than half" in refused.get_data(True)
    assert _count(app) == 1
    explained = {**follow_up, "comment": "New inspection table since March."}
    saved = owner.post(_url(figures_world), data=period_form(defect_rate=explained, **kwargs))
    assert saved.status_code == 302
    with app.app_context():
        follow = db.session.scalar(select(Measurement).where(Measurement.phase == "follow_up"))
        assert follow.comment == "New inspection table since March."
        assert follow.warnings


def test_the_period_must_end_after_it_starts_and_not_in_the_future(figures_world):
    owner = figures_world["clients"]["owner"]
    page = owner.post(
        _url(figures_world),
        data=period_form(start="2025-02-01", end="2025-01-31", defect_rate=DEFECTS),
    ).get_data(True)
    assert "The last day must be on or after the first day." in page
    page = owner.post(
        _url(figures_world),
        data=period_form(start="2025-02-01", end="2999-01-31", defect_rate=DEFECTS),
    ).get_data(True)
    assert "The period cannot end in the future." in page


def test_an_empty_form_says_what_to_fill_in(figures_world):
    page = (
        figures_world["clients"]["owner"]
        .post(_url(figures_world), data=period_form())
        .get_data(True)
    )
    assert "Fill in the inputs of at least one indicator." in page


def test_programme_staff_cannot_enter_figures(figures_world):
    staff = figures_world["clients"]["staff"]
    assert staff.post(_url(figures_world), data=period_form(defect_rate=DEFECTS)).status_code == 403


@pytest.mark.committing
def test_a_period_saved_by_someone_else_at_the_same_moment_saves_nothing(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    with january_baseline_meanwhile(enterprise_id, "defect_rate", (30, 1500), 2.0):
        page = figures_world["clients"]["owner"].post(
            f"/enterprises/{enterprise_id}/measurements/new",
            data=period_form(
                defect_rate={"defective_units": "45", "inspected_units": "1500"},
                absenteeism_rate={"absent_person_days": "40", "scheduled_person_days": "1000"},
            ),
        )
    html = page.get_data(True)
    assert page.status_code == 409
    assert "Figures are already saved for this period" in html  # theirs, beside what was typed
    assert ">30<" in html and 'value="45"' in html
    with app.app_context():
        stored = db.session.execute(select(Measurement.indicator, Measurement.value)).all()
    assert stored == [("defect_rate", 2.0)]  # theirs alone: not even the absenteeism row


def test_half_days_of_absence_are_saved_as_typed(app, figures_world):
    owner = figures_world["clients"]["owner"]
    response = owner.post(
        _url(figures_world),
        data=period_form(
            absenteeism_rate={"absent_person_days": "12.5", "scheduled_person_days": "500.5"}
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(select(Measurement)).one()
        assert (saved.input_1, saved.input_2, round(saved.value, 2)) == (12.5, 500.5, 2.5)


def test_a_quarter_day_of_absence_is_refused_and_what_was_typed_stays(app, figures_world):
    owner = figures_world["clients"]["owner"]
    response = owner.post(
        _url(figures_world),
        data=period_form(
            absenteeism_rate={"absent_person_days": "12.25", "scheduled_person_days": "500"}
        ),
    )
    page = response.get_data(True)
    assert response.status_code == 422
    assert "Enter whole or half days, like 12 or 12.5." in page
    assert 'value="12.25"' in page
    assert _count(app) == 0


def _month_form(month, **rows):
    data = period_form(start="", end="", **rows)
    data["period_month"] = month
    return data


def test_the_form_opens_on_the_last_full_month_with_the_two_days_for_another_period(
    figures_world,
):
    page = figures_world["clients"]["owner"].get(_url(figures_world)).get_data(True)
    last = date.today().replace(day=1) - timedelta(days=1)
    assert f'<option selected value="{last:%Y-%m}">{last:%B %Y}</option>' in page
    assert '<option value="other">Another period (type its first and last day)</option>' in page
    assert 'name="period_start"' in page and 'name="period_end"' in page


def test_a_month_chosen_saves_its_first_and_last_day(app, figures_world):
    owner = figures_world["clients"]["owner"]
    response = owner.post(_url(figures_world), data=_month_form("2024-02", defect_rate=DEFECTS))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(Measurement))
        assert (saved.period_start, saved.period_end) == (date(2024, 2, 1), date(2024, 2, 29))


def test_another_period_uses_the_two_days_typed(app, figures_world):
    owner = figures_world["clients"]["owner"]
    data = {**_month_form("other", defect_rate=DEFECTS), "period_start": "2025-01-06"}
    data["period_end"] = "2025-02-02"
    assert owner.post(_url(figures_world), data=data).status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(Measurement))
        assert (saved.period_start, saved.period_end) == (date(2025, 1, 6), date(2025, 2, 2))


@pytest.mark.parametrize("month", ["2025-13", "January", "2025-1", ""])
def test_a_bad_month_says_so_and_keeps_the_typed_figures(app, figures_world, month):
    owner = figures_world["clients"]["owner"]
    data = _month_form(month, defect_rate=DEFECTS)
    if not month:  # neither a month nor days
        data["period_month"] = "other"
    response = owner.post(_url(figures_world), data=data)
    page = response.get_data(True)
    assert response.status_code == 200  # the form again, as every form answers a bad field
    if month:
        assert "Choose a month from the list, or another period." in page
    else:
        assert 'id="period_start-error"' in page
    assert 'value="45"' in page and 'value="1500"' in page
    assert _count(app) == 0


def test_a_month_still_running_is_refused_on_the_month(figures_world):
    owner = figures_world["clients"]["owner"]
    this_month = f"{date.today():%Y-%m}"
    page = owner.post(_url(figures_world), data=_month_form(this_month, defect_rate=DEFECTS))
    assert 'id="period_month-error"' in page.get_data(True)
    assert "The period cannot end in the future." in page.get_data(True)


def test_comment_boxes_open_only_where_a_warning_asks_or_a_comment_is_typed(figures_world):
    owner = figures_world["clients"]["owner"]
    closed = owner.get(_url(figures_world)).get_data(True)
    assert closed.count('<details class="comment-box" >') == 13
    too_high = {"minutes_produced": "16000", "minutes_attended": "10000"}
    page = owner.post(
        _url(figures_world),
        data=period_form(
            action="check",
            operating_efficiency=too_high,
            defect_rate={**DEFECTS, "comment": "From the end-of-line table."},
        ),
    ).get_data(True)
    opened = re.findall(
        r'id="([a-z_]+)" data-formula.*?<details class="comment-box" (open)?>', page, re.S
    )
    assert {code for code, is_open in opened if is_open} == {"operating_efficiency", "defect_rate"}
    assert "Operating efficiency above 150 is unusual" in page


def test_each_indicator_carries_the_shape_of_its_formula_for_the_live_values(figures_world):
    page = figures_world["clients"]["owner"].get(_url(figures_world)).get_data(True)
    found = re.search(r'id="ltifr" data-formula="([^"]+)"', page)
    shape = json.loads(html.unescape(found[1]))
    assert shape["numerator"] == "lost_time_injuries" and shape["denominator"] == "hours_worked"
    assert shape["factor"] == 1_000_000 and shape["decimals"] == 2
