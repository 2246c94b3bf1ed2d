"""Factories for people, workshops and the plan actions a visit follows up."""

from datetime import date

import pytest

from score_app.auth.models import User
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.plans import services as plans
from score_app.training import services
from score_app.training.models import Workshop
from tests.plans.conftest import action_fields, service_fields


@pytest.fixture
def create_workshop(app):
    def make(trainer, enterprises, days=(date(2025, 3, 11), date(2025, 3, 12)), **fields):
        with app.app_context():
            user = db.session.get(User, trainer.id)
            workshop = services.save_workshop(
                user,
                None,
                module_slug=fields.get("module_slug", "workplace-cooperation"),
                trainer=user,
                place=fields.get("place", "Accra"),
                enterprise_ids=[e.id for e in enterprises],
                days=list(days),
            )
            return workshop.id, [d.id for d in workshop.days]

    return make


@pytest.fixture
def session_world(create_enterprise, create_user, create_person, create_workshop):
    """A trainer's two-day workshop with two enterprises and three listed people."""
    accra = create_enterprise(name="Accra Works")
    kumasi = create_enterprise(name="Kumasi Works")
    trainer = create_user("trainer", enterprises=[accra, kumasi])
    people = {
        "abena": create_person(accra, "Abena", "female", "manager"),
        "kojo": create_person(accra, "Kojo", "male", "worker"),
        "yaw": create_person(kumasi, "Yaw", "male", "supervisor"),
    }
    workshop_id, day_ids = create_workshop(trainer, [accra, kumasi])
    return {
        "trainer": trainer,
        "accra": accra,
        "kumasi": kumasi,
        "people": people,
        "workshop": workshop_id,
        "days": day_ids,
    }


def workshop_of(app, workshop_id) -> Workshop:
    return db.session.get(Workshop, workshop_id)


def plan_with_actions(app, enterprise, owner, *titles_and_statuses) -> list[int]:
    """An active plan of the enterprise with these (action, status) actions; their ids."""
    with app.app_context():
        user = db.session.get(User, owner.id)
        plan = plans.start_plan(
            user, db.session.get(Enterprise, enterprise.id), title="Plan",
            started_on=date(2026, 1, 5), carry_over=False, seen_current=None,
        )  # fmt: skip
        return [
            plans.add_action(
                user, plan, service_fields(action_fields(action=title, status=status))
            ).id
            for title, status in titles_and_statuses
        ]
