"""Plan rules: one active plan, action checks in the user's locale, money in minor units, the
status workflow, archived plans read-only, the agenda, totals and targets."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from score_app.auth.models import User
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.i18n import format_money
from score_app.plans import services
from score_app.plans.models import ActionStatus, ImprovementPlan, PlanAction
from tests.plans.conftest import action_fields, action_state, add_action, service_fields


def _plan(plan_id):
    return db.session.get(ImprovementPlan, plan_id)


def _user(world, role):
    return db.session.get(User, world["users"][role].id)


def _check(app, world, locale="en", **overrides):
    with app.app_context():
        return services.check_action(
            _plan(world["plan"]), service_fields(action_fields(**overrides)), locale
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("problem", "  ", "Describe the problem."),
        ("action", "", "Say what will be done."),
        ("responsible", "", "Name the person responsible."),
        ("responsible", "x" * 201, "Keep this under 200 characters."),
        ("due_date", "", "Enter the date the action is due."),
        ("due_date", "2025-02-01", "The due date cannot come before the start date."),
        ("status", "verified", "Choose planned, in progress or done."),
        ("module_slug", "juggling", "Choose a module from the catalogue."),
        ("indicator", "happiness", "Unknown indicator."),
        ("target_value", "-3", "Cannot be negative."),
        ("target_value", "lots", "Enter a number written like 12.5."),
        ("estimated_cost", "12.345", "This currency has 2 decimals at most."),
        ("estimated_cost", "-5", "Cannot be negative."),
        ("realised_savings", "twelve", "Enter an amount written like 1,250.50."),
        ("realised_savings", "10000000000000", "This amount is too large: check it."),
    ],
)
def test_each_bad_action_field_gets_its_own_message(app, plan_world, field, value, message):
    with pytest.raises(InvalidInput) as refused:
        _check(app, plan_world, **{field: value})
    assert refused.value.errors[field] == message


def test_a_target_needs_its_indicator(app, plan_world):
    with pytest.raises(InvalidInput) as refused:
        _check(app, plan_world, indicator="", target_value="2")
    assert refused.value.errors == {"indicator": "Choose the indicator that the target is for."}


def test_amounts_are_read_strictly_in_the_users_locale_and_kept_in_cents(app, plan_world):
    checked = _check(app, plan_world, "fr", estimated_cost="1 200,50", target_value="1,5")
    assert checked.estimated_cost_minor == 120050
    assert checked.target_value == 1.5
    with pytest.raises(InvalidInput) as refused:
        _check(app, plan_world, "es", estimated_cost="1200.50")
    assert "estimated_cost" in refused.value.errors


def test_the_plan_takes_the_currency_of_the_enterprise_country(app, create_enterprise, plan_world):
    vn = create_enterprise(name="Công ty May", country="VN")
    with app.app_context():
        plan = services.start_plan(
            _user(plan_world, "admin"), db.session.get(Enterprise, vn.id),
            title="Kế hoạch", started_on=date(2025, 3, 1), carry_over=False, seen_current=None,
        )  # fmt: skip
        assert plan.currency == "VND"
        assert _plan(plan_world["plan"]).currency == "GHS"
        with pytest.raises(InvalidInput) as refused:
            services.check_action(plan, service_fields(action_fields(estimated_cost="10.5")))
        assert refused.value.errors["estimated_cost"] == "This currency has 0 decimals at most."


def _plain_spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_money_is_printed_in_the_currency_and_the_users_locale(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert _plain_spaces(format_money(120050, "GHS")) == "1 200,50 GHS"
        # The dong has no cents: 2,500,000 minor units are 2,500,000 dong.
        assert _plain_spaces(format_money(2_500_000, "VND")) == "2 500 000 ₫"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_money(120050, "GHS") == "GHS1,200.50"


def test_starting_a_plan_archives_the_current_one_and_can_carry_over_open_actions(app, plan_world):
    owner_id = plan_world["users"]["owner"].id
    open_id = add_action(app, plan_world["plan"], owner_id)
    done_id = add_action(app, plan_world["plan"], owner_id, status="done")
    with app.app_context():
        enterprise = db.session.get(Enterprise, plan_world["enterprise"].id)
        new = services.start_plan(
            _user(plan_world, "owner"), enterprise, title="Plan 2026",
            started_on=date(2026, 1, 5), carry_over=True, seen_current=plan_world["plan"],
        )  # fmt: skip
        old = _plan(plan_world["plan"])
        assert old.archived_at is not None and new.is_active
        assert services.active_plan(enterprise.id).id == new.id
        assert [a.id for a in new.actions] == [open_id]
        assert [a.id for a in old.actions] == [done_id]
        assert [p.id for p in services.plans_of(enterprise.id)] == [new.id, old.id]


def test_the_database_holds_one_active_plan_per_enterprise(app, plan_world):
    with app.app_context():
        db.session.add(
            ImprovementPlan(
                enterprise_id=plan_world["enterprise"].id, title="Second", currency="GHS",
                started_on=date(2025, 5, 1),
            )
        )  # fmt: skip
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_done_is_dated_verify_needs_done_and_a_change_undoes_verification(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    with app.app_context():
        action = db.session.get(PlanAction, action_id)
        with pytest.raises(InvalidInput):
            services.verify_action(
                _user(plan_world, "trainer"), action, seen_version=action.version
            )
        services.move_action(
            _user(plan_world, "owner"), action, "done", seen_version=action.version
        )
        assert action.done_on == date.today()
        services.verify_action(_user(plan_world, "trainer"), action, seen_version=action.version)
        assert action.status == ActionStatus.VERIFIED
        assert action.verified_by_id == plan_world["users"]["trainer"].id
        services.update_action(
            _user(plan_world, "owner"),
            action,
            service_fields(action_fields(status="done", realised_savings="300")),
            seen_version=action.version,
        )
        assert action.status == ActionStatus.DONE
        assert action.verified_by_id is None and action.realised_savings_minor == 30000
        services.move_action(
            _user(plan_world, "owner"), action, "in_progress", seen_version=action.version
        )
        assert action.done_on is None


# Whoever marked an action done, as it stands, cannot verify it, as for figures.

SELF_VERIFIED = "Someone other than the person who marked this action done must verify it."


def _move(world, role, action, status):
    services.move_action(_user(world, role), action, status, seen_version=action.version)


def _verify(world, role, action):
    services.verify_action(_user(world, role), action, seen_version=action.version)


def _refused_to_verify(world, role, action):
    with pytest.raises(InvalidInput) as refused:
        _verify(world, role, action)
    db.session.rollback()
    assert refused.value.errors == {"status": SELF_VERIFIED}
    assert action.status == ActionStatus.DONE


@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_whoever_marked_an_action_done_cannot_verify_it(app, plan_world, role):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    with app.app_context():
        action = db.session.get(PlanAction, action_id)
        _move(plan_world, role, action, "done")
        assert action.done_by_id == plan_world["users"][role].id
        _refused_to_verify(plan_world, role, action)
        _verify(plan_world, "staff", action)
        assert action.status == ActionStatus.VERIFIED
        assert action.verified_by_id == plan_world["users"]["staff"].id
        assert action.done_by_id == plan_world["users"][role].id


def test_an_action_made_done_again_by_someone_else_is_verified_by_the_first(app, plan_world):
    """Done by the trainer, back in progress (who marked it done is forgotten), then done by the
    admin: the trainer may verify it now, the admin may not."""
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    with app.app_context():
        action = db.session.get(PlanAction, action_id)
        _move(plan_world, "trainer", action, "done")
        _move(plan_world, "owner", action, "in_progress")
        assert action.done_by_id is None
        _move(plan_world, "admin", action, "done")
        _refused_to_verify(plan_world, "admin", action)
        _verify(plan_world, "trainer", action)
        assert action.status == ActionStatus.VERIFIED


def test_whoever_changes_a_done_action_is_the_one_who_marked_it_done(app, plan_world):
    """Saved as done with something changed, even from verified, the action is its saver's
    claim; saved unchanged, it stays the claim of whoever made it."""
    owner_id, trainer_id = plan_world["users"]["owner"].id, plan_world["users"]["trainer"].id
    action_id = add_action(app, plan_world["plan"], trainer_id, status="done")

    def save(role, **changes):
        fields = service_fields(action_fields(status="done", **changes))
        services.update_action(_user(plan_world, role), action, fields, seen_version=action.version)

    with app.app_context():
        action = db.session.get(PlanAction, action_id)
        assert action.done_by_id == trainer_id  # made done from the start
        _refused_to_verify(plan_world, "trainer", action)
        save("owner", realised_savings="300")
        assert action.done_by_id == owner_id
        save("admin", realised_savings="300")  # unchanged
        assert action.done_by_id == owner_id
        _verify(plan_world, "admin", action)
        save("trainer", realised_savings="450")
        assert (action.status, action.done_by_id) == (ActionStatus.DONE, trainer_id)
        _refused_to_verify(plan_world, "trainer", action)


def test_an_archived_plan_is_read_only(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    with app.app_context():
        enterprise = db.session.get(Enterprise, plan_world["enterprise"].id)
        services.start_plan(
            _user(plan_world, "owner"), enterprise, title="Next", started_on=date(2026, 1, 1),
            carry_over=False, seen_current=plan_world["plan"],
        )  # fmt: skip
        action = db.session.get(PlanAction, action_id)
        for step in (
            lambda: services.move_action(
                _user(plan_world, "owner"), action, "done", seen_version=action.version
            ),
            lambda: services.update_action(
                _user(plan_world, "owner"),
                action,
                service_fields(action_fields()),
                seen_version=action.version,
            ),
            lambda: services.add_action(
                _user(plan_world, "owner"), action.plan, service_fields(action_fields())
            ),
        ):
            with pytest.raises(InvalidInput) as refused:
                step()
            assert refused.value.errors == {
                "plan": "This plan is archived: it can be read, not changed."
            }
    assert action_state(app, action_id).status == ActionStatus.PLANNED


def test_the_agenda_lists_late_and_this_weeks_open_actions_in_scope(app, plan_world, create_user):
    today = date.today()
    owner_id = plan_world["users"]["owner"].id
    late = add_action(
        app, plan_world["plan"], owner_id, start_date="", due_date=str(today - timedelta(days=2))
    )
    soon = add_action(
        app, plan_world["plan"], owner_id, start_date="", due_date=str(today + timedelta(days=6))
    )
    add_action(
        app, plan_world["plan"], owner_id, start_date="", due_date=str(today + timedelta(days=7))
    )
    add_action(
        app, plan_world["plan"], owner_id, start_date="", due_date=str(today - timedelta(days=9)),
        status="done",
    )  # fmt: skip
    stranger = create_user("enterprise_owner")
    with app.app_context():
        agenda = services.agenda(_user(plan_world, "owner"), today)
        assert [a.id for a in agenda.overdue] == [late]
        assert [a.id for a in agenda.due_this_week] == [soon]
        nothing = services.agenda(db.session.get(User, stranger.id), today)
        assert nothing.overdue == [] and nothing.due_this_week == []


def test_totals_count_actions_by_status_and_add_up_money(app, plan_world):
    owner_id = plan_world["users"]["owner"].id
    add_action(app, plan_world["plan"], owner_id, realised_savings="100.25")
    add_action(
        app, plan_world["plan"], owner_id, status="done", realised_savings="50", estimated_cost=""
    )
    add_action(app, plan_world["plan"], owner_id, status="in_progress", estimated_cost="10")
    with app.app_context():
        totals = services.totals(_plan(plan_world["plan"]))
    assert totals.total == 3
    assert totals.by_status[ActionStatus.PLANNED] == 1
    assert totals.done_or_verified == 1
    assert totals.realised_savings_minor == 15025
    assert totals.estimated_cost_minor == 120050 + 1000


@pytest.mark.parametrize(
    ("indicator", "target", "latest", "reached"),
    [
        ("defect_rate", 1.5, 1.5, True),  # lower is better: at the target counts
        ("defect_rate", 1.5, 1.6, False),
        ("operating_efficiency", 75.0, 74.4, False),  # higher is better
        ("operating_efficiency", 74.0, 74.4, True),
        ("operating_efficiency", 74.0, None, None),  # no follow-up yet
    ],
)
def test_a_target_is_reached_in_the_direction_of_the_indicator(indicator, target, latest, reached):
    action = PlanAction(indicator=indicator, target_value=target)
    latest_values = {} if latest is None else {indicator: latest}
    assert services.target_reached(action, latest_values) is reached
