"""Programme results computed in SQL match the hand-worked numbers (docs/domain.md, 'Programme
results'), follow the filters and the user's scope, leave out enterprises without consent, and show
new data at once. The suite runs on SQLite and PostgreSQL, so both give these same numbers."""

from datetime import date

import pytest

from score_app.auth.models import User
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis import services as kpis
from score_app.kpis.models import Status
from score_app.plans import services as plans
from score_app.plans.models import ActionStatus
from score_app.programme import services
from score_app.programme.filters import Filters
from score_app.training import services as training
from score_app.training.models import Workshop
from tests.plans.conftest import action_fields, service_fields
from tests.programme.conftest import JAN, JUL, seed


def _results(app, world, role="staff", **filters):
    with app.app_context():
        user = db.session.get(User, world["users"][role].id)
        return {r.indicator.code: r for r in services.figures(user, Filters(**filters)).results}


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


def test_an_indicator_measured_only_once_is_listed_with_no_pairs(app, results_world):
    e1, e2 = results_world["enterprises"][1].id, results_world["enterprises"][2].id
    with app.app_context():
        seed(e1, "absenteeism_rate", "baseline", JAN, 30, 1000)
        seed(e2, "absenteeism_rate", "follow_up", JUL, 20, 1000)
    absence = _results(app, results_world)["absenteeism_rate"]
    assert (absence.n, absence.n_baseline_only, absence.n_follow_up_only) == (0, 1, 1)
    assert absence.baseline_mean is None and absence.pooled_follow_up is None
    assert absence.median_change is None and absence.share_improved is None


def test_consent_and_scope_decide_who_is_counted(app, results_world):
    admin = _results(app, results_world, "admin")["defect_rate"]
    assert admin.n == 4  # E6 in South Africa too; E5 never
    with app.app_context():
        staff = db.session.get(User, results_world["users"]["staff"].id)
        found = services.figures(staff, Filters())
    assert (found.in_view, found.excluded) == (5, 1)
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


def _training_and_plans(app, world, create_user, people) -> None:
    """A finished Workplace Cooperation workshop and an unfinished Quality one, with attendance,
    certificates (one revoked), EIT members and plans, in E1 (shares) and E5 (does not)."""
    e1, e5 = world["enterprises"][1], world["enterprises"][5]
    trainer = create_user("trainer", enterprises=[e1, e5])
    with app.app_context():
        user = db.session.get(User, trainer.id)
        finished = training.save_workshop(
            user, None, module_slug="workplace-cooperation", trainer=user, place="Accra",
            enterprise_ids=[e1.id, e5.id], days=[date(2025, 3, 11), date(2025, 3, 12)],
        )  # fmt: skip
        training.save_workshop(
            user, None, module_slug="quality-management", trainer=user, place="Accra",
            enterprise_ids=[e1.id], days=[date(2099, 3, 11)],
        )  # fmt: skip
        for day in finished.days:
            training.save_attendance(user, day, set(people.values()))
        certificates = training.issue_certificates(
            user, db.session.get(Workshop, finished.id), "en"
        )
        kofi = next(c for c in certificates if c.person_id == people["kofi"])
        training.revoke_certificate(user, kofi, "Left before the end")
        db.session.commit()
        for enterprise, team in ((e1, {people["kofi"], people["adjoa"]}), (e5, {people["esi"]})):
            stored = db.session.get(Enterprise, enterprise.id)
            versions = {p.id: p.version for p in stored.people}
            enterprise_services.set_eit_members(user, stored, team, seen_versions=versions)
        db.session.commit()
        for enterprise, saved in ((e1, ("100.00", "250.50", "")), (e5, ("999.00",))):
            plan = plans.start_plan(
                user, db.session.get(Enterprise, enterprise.id), title="Plan",
                started_on=date(2025, 2, 1), carry_over=False, seen_current=None,
            )  # fmt: skip
            for status, savings in zip(("done", "done", "planned"), saved, strict=False):
                fields = action_fields(status=status, realised_savings=savings)
                plans.add_action(user, plan, service_fields(fields))


def test_training_outputs_count_the_people_of_sharing_enterprises_by_sex_and_role(
    app, results_world, create_user, create_person
):
    e1, e5 = results_world["enterprises"][1], results_world["enterprises"][5]
    people = {
        "ama": create_person(e1, "Ama", "female", "worker"),
        "kofi": create_person(e1, "Kofi", "male", "manager"),
        "adjoa": create_person(e1, "Adjoa", "female", "supervisor"),
        "esi": create_person(e5, "Esi", "female", "worker"),  # E5 keeps its figures to itself
    }
    _training_and_plans(app, results_world, create_user, people)
    with app.app_context():
        staff = db.session.get(User, results_world["users"]["staff"].id)
        outputs = services.training_outputs(staff, Filters(), date.today())
    took_part = outputs.participants["workplace-cooperation"]
    assert took_part.by_sex == {"female": 2, "male": 1}  # each person once, over both days
    assert took_part.by_role == {"manager": 1, "supervisor": 1, "worker": 1}
    assert "quality-management" not in outputs.participants
    # The Quality workshop has not ended, so only Workplace Cooperation has trained E1.
    assert outputs.enterprises_trained == {"workplace-cooperation": 1}
    assert (outputs.certificates.total, outputs.certificates.by_sex["male"]) == (2, 0)
    assert outputs.eit_members.by_role == {"manager": 1, "supervisor": 1, "worker": 0}
    assert outputs.actions == {
        ActionStatus.PLANNED: 1, ActionStatus.IN_PROGRESS: 0, ActionStatus.DONE: 2,
        ActionStatus.VERIFIED: 0,
    }  # fmt: skip
    assert outputs.savings == {"GHS": 35050}


def test_gap_lists_show_the_first_enterprises_by_name_and_count_them_all(
    app, results_world, create_enterprise, client_as
):
    for n in range(27, 0, -1):  # created in reverse, so the order comes from the names
        create_enterprise(name=f"Élan {n:02d}", country="GH")
    with app.app_context():
        staff = db.session.get(User, results_world["users"]["staff"].id)
        gaps = services.completeness(staff, Filters())
    names = {kind: [e.name for e, _n in gap.enterprises] for kind, gap in gaps.items()}
    assert gaps["missing_baseline"].total == 27
    assert names["missing_baseline"] == [f"Élan {n:02d}" for n in range(1, 26)]
    assert gaps["missing_follow_up"].total == 28  # E4 has a baseline only
    assert names["missing_follow_up"] == ["E4", *(f"Élan {n:02d}" for n in range(1, 25))]
    page = client_as(results_world["users"]["staff"]).get("/programme").get_data(as_text=True)
    assert "and 2 more enterprises" in page and "and 3 more enterprises" in page


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


NOV_25, DEC_25 = (date(2025, 11, 1), date(2025, 11, 30)), (date(2025, 12, 1), date(2025, 12, 31))


def test_a_newer_baseline_without_follow_up_keeps_the_earlier_cycle_counted(app, results_world):
    # E1's defects: 3.0 in January, 1.5 in July; a new cycle's baseline of 5.0 in November.
    with app.app_context():
        seed(results_world["enterprises"][1].id, "defect_rate", "baseline", NOV_25, 50, 1000)
    defects = _results(app, results_world)["defect_rate"]
    assert (defects.n, defects.n_baseline_only) == (3, 1)
    assert defects.baseline_mean == pytest.approx((3.0 + 2.5 + 2.0) / 3)
    assert defects.follow_up_mean == pytest.approx((1.5 + 3.0 + 2.0) / 3)
    assert defects.share_improved == pytest.approx(1 / 3)


def test_each_enterprise_counts_with_its_latest_complete_cycle_in_the_period(app, results_world):
    e1 = results_world["enterprises"][1].id
    with app.app_context():
        seed(e1, "defect_rate", "baseline", NOV_25, 50, 1000)
        seed(e1, "defect_rate", "follow_up", DEC_25, 60, 1000)  # worse: 5.0 -> 6.0
    whole = _results(app, results_world)["defect_rate"]
    assert whole.n == 3 and whole.baseline_mean == pytest.approx((5.0 + 2.5 + 2.0) / 3)
    assert whole.follow_up_mean == pytest.approx((6.0 + 3.0 + 2.0) / 3)
    assert whole.share_improved == 0
    first_half = _results(
        app, results_world, period_from=date(2025, 1, 1), period_to=date(2025, 7, 31)
    )["defect_rate"]
    assert first_half.n == 3 and first_half.baseline_mean == pytest.approx((3.0 + 2.5 + 2.0) / 3)
    assert first_half.follow_up_mean == pytest.approx((1.5 + 3.0 + 2.0) / 3)
    # From August on, only E1's second cycle has a follow-up inside the range.
    late = _results(app, results_world, period_from=date(2025, 8, 1))["defect_rate"]
    assert (late.n, late.baseline_mean, late.follow_up_mean) == (1, 5.0, 6.0)


def test_a_follow_up_taken_before_any_baseline_counts_its_enterprise_as_baseline_only(
    app, results_world
):
    e3 = results_world["enterprises"][3]
    with app.app_context():
        enterprise = create_enterprise_like(e3)
        seed(enterprise, "defect_rate", "follow_up", JAN, 10, 1000)  # before any baseline
        seed(enterprise, "defect_rate", "baseline", JUL, 40, 1000)
    defects = _results(app, results_world)["defect_rate"]
    # As its results page shows: July's baseline, waiting for a follow-up.
    assert (defects.n, defects.n_baseline_only, defects.n_follow_up_only) == (3, 2, 0)
    everything = _results(app, results_world, period_from=date(2024, 1, 1))["defect_rate"]
    assert (everything.n, everything.n_baseline_only, everything.n_follow_up_only) == (3, 2, 0)


def create_enterprise_like(model) -> int:
    """A new sharing enterprise of the same country, saved; its id."""
    enterprise = Enterprise(
        name="E7", name_folded="e7", country=model.country, sector=model.sector,
        region="", product="", workers_women=10, workers_men=10, data_sharing_consent=True,
    )  # fmt: skip
    db.session.add(enterprise)
    db.session.commit()
    return enterprise.id


def test_accidents_over_months_of_different_lengths_are_compared_per_30_days(app, results_world):
    february, march = (date(2025, 2, 1), date(2025, 2, 28)), (date(2025, 3, 1), date(2025, 3, 31))
    e1, e2 = results_world["enterprises"][1].id, results_world["enterprises"][2].id
    with app.app_context():
        # E1: 3 accidents in 28 days (3.21 per 30 days), 3 in 31 days (2.90): fewer per day.
        seed(e1, "osh_incidents", "baseline", february, 3, 0)
        seed(e1, "osh_incidents", "follow_up", march, 3, 4)
        # E2: 2 in January, 1 in March: months of one length, compared as counted.
        seed(e2, "osh_incidents", "baseline", JAN, 2, 0)
        seed(e2, "osh_incidents", "follow_up", (date(2025, 3, 1), date(2025, 3, 31)), 1, 0)
    incidents = _results(app, results_world)["osh_incidents"]
    assert incidents.n == 2 and incidents.share_improved == 1.0
    assert incidents.baseline_mean == pytest.approx((3 * 30 / 28 + 2) / 2)
    assert incidents.follow_up_mean == pytest.approx((3 * 30 / 31 + 1) / 2)
    assert incidents.pooled_baseline == 5 and incidents.pooled_follow_up == 4  # raw totals
