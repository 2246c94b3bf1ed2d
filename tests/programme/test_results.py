"""Programme results computed in SQL match the hand-worked numbers (DOMAIN.md section 6), follow
the filters and the user's scope, leave out enterprises without consent, and show new data at
once. The suite runs on SQLite and PostgreSQL, so both give these same numbers."""

from datetime import date

import pytest

from score_app.auth.models import User
from score_app.extensions import db
from score_app.kpis import services as kpis
from score_app.kpis.models import Status
from score_app.programme import services
from score_app.programme.filters import Filters
from tests.programme.conftest import JUL, seed


def _results(app, world, role="staff", **filters):
    with app.app_context():
        user = db.session.get(User, world["users"][role].id)
        return {r.indicator.code: r for r in services.indicator_results(user, Filters(**filters))}


def test_defect_rate_across_the_shared_enterprises_of_ghana(app, results_world):
    defects = _results(app, results_world)["defect_rate"]
    assert (defects.n, defects.n_baseline_only, defects.n_follow_up_only) == (3, 1, 0)
    assert defects.baseline_mean == pytest.approx((3.0 + 2.5 + 2.0) / 3)
    assert defects.follow_up_mean == pytest.approx((1.5 + 3.0 + 2.0) / 3)  # July, not April
    assert defects.pooled_baseline == pytest.approx(140 / 5500 * 100)
    assert defects.pooled_follow_up == pytest.approx(145 / 5500 * 100)
    assert defects.median_change == pytest.approx(0.0)  # of -1.5, 0 and +0.5
    assert defects.share_improved == pytest.approx(1 / 3)  # no change is not improved


def test_an_even_number_of_changes_has_the_mean_of_the_middle_two_as_median(app, results_world):
    efficiency = _results(app, results_world)["operating_efficiency"]
    assert efficiency.n == 2
    assert efficiency.median_change == pytest.approx(7.5)
    assert efficiency.share_improved == pytest.approx(1.0)
    assert efficiency.pooled_baseline == pytest.approx(55.0)
    assert efficiency.pooled_follow_up == pytest.approx(62.5)


def test_a_period_range_takes_the_latest_figures_inside_it(app, results_world):
    defects = _results(app, results_world, period_to=date(2025, 5, 31))["defect_rate"]
    assert (defects.n, defects.n_baseline_only) == (1, 3)
    assert defects.median_change == pytest.approx(-1.0)  # E1: 3.0 -> 2.0 in April
    assert "operating_efficiency" in _results(app, results_world, period_to=date(2025, 5, 31))


def test_filters_narrow_the_enterprises(app, results_world):
    assert _results(app, results_world, sector="textiles")["defect_rate"].n == 1
    assert _results(app, results_world, cohort="nobody") == {}


def test_consent_and_scope_decide_who_is_counted(app, results_world):
    admin = _results(app, results_world, "admin")["defect_rate"]
    assert admin.n == 4  # E6 in South Africa too; E5 never
    with app.app_context():
        staff = db.session.get(User, results_world["users"]["staff"].id)
        assert services.excluded_without_consent(staff, Filters()) == 1
    owner = _results(app, results_world, "owner")  # only the own enterprise, E1
    assert owner["defect_rate"].n == 1 and owner["defect_rate"].median_change == -1.5


def test_new_figures_count_the_moment_they_are_saved(app, results_world):
    assert _results(app, results_world)["defect_rate"].n_baseline_only == 1
    with app.app_context():
        seed(results_world["enterprises"][4].id, "defect_rate", "follow_up", JUL, 10, 1000)
    defects = _results(app, results_world)["defect_rate"]
    assert (defects.n, defects.n_baseline_only) == (4, 0)
    with app.app_context():
        e1 = results_world["enterprises"][1].id
        july = next(m for m in kpis.measurements_of(e1, "defect_rate") if m.period_start == JUL[0])
        july.status = Status.DRAFT  # an unverified figure can be deleted
        admin = db.session.get(User, results_world["users"]["admin"].id)
        kpis.delete_measurement(
            admin, july, "Entered for the wrong month", seen_version=july.version
        )
    defects = _results(app, results_world)["defect_rate"]
    assert defects.follow_up_mean == pytest.approx((2.0 + 3.0 + 2.0 + 1.0) / 4)  # April again


def test_training_outputs_and_completeness(app, results_world, create_person):
    e1 = results_world["enterprises"][1]
    create_person(e1, "Ama", "female", "worker")
    with app.app_context():
        staff = db.session.get(User, results_world["users"]["staff"].id)
        outputs = services.training_outputs(staff, Filters(), date.today())
        gaps = services.completeness(staff, Filters())
        assert outputs.certificates.total == 0 and outputs.eit_members.total == 0
        names = {key: [e.name for e, _n in gap.enterprises] for key, gap in gaps.items()}
    assert names["missing_follow_up"] == ["E4"]
    assert names["missing_baseline"] == []
    assert names["unverified"] == []


def test_drafts_stay_out_until_they_are_submitted(app, results_world):
    e3 = results_world["enterprises"][3].id
    with app.app_context():
        seed(e3, "defect_rate", "follow_up", (date(2025, 10, 1), date(2025, 10, 31)), 400, 500,
             status=Status.DRAFT)  # fmt: skip
    defects = _results(app, results_world)["defect_rate"]
    assert defects.follow_up_mean == pytest.approx((1.5 + 3.0 + 2.0) / 3)  # the typo waits


def test_a_period_range_selects_follow_ups_and_keeps_each_baseline(app, results_world):
    defects = _results(app, results_world, period_from=date(2025, 6, 1))["defect_rate"]
    assert (defects.n, defects.n_baseline_only) == (3, 1)  # January baselines still count
    assert defects.follow_up_mean == pytest.approx((1.5 + 3.0 + 2.0) / 3)
