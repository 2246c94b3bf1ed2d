"""An enterprise with figures before and after, its EIT, and an active improvement plan."""

import io
from datetime import date

import pytest
from PIL import Image

from score_app.auth.models import User
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.formulas import compute
from score_app.kpis.models import ChecklistAssessment, Measurement, Phase, Status
from score_app.plans import services
from score_app.plans.models import ImprovementPlan, PlanAction
from tests.conftest import sign_in

BASELINE = (date(2025, 1, 1), date(2025, 1, 31))
FOLLOW_UP = (date(2025, 7, 1), date(2025, 7, 31))
# (indicator, baseline inputs, follow-up inputs): efficiency 63.1 -> 74.4 %, absenteeism
# 4.0 -> 2.8 %, defects 3.0 -> 1.5 %, LTIFR 4.17 -> 0 (one injury in 240,000 hours, then none).
FIGURES = (
    ("operating_efficiency", (631_000, 1_000_000), (744_000, 1_000_000)),
    ("absenteeism_rate", (40, 1000), (28, 1000)),
    ("defect_rate", (30, 1000), (15, 1000)),
    ("ltifr", (1, 240_000), (0, 240_000)),
)


def add_figures(enterprise_id: int, user_id: int, figures=FIGURES) -> None:
    for code, before, after in figures:
        for phase, (start, end), (first, second), status in (
            (Phase.BASELINE, BASELINE, before, Status.VERIFIED),
            (Phase.FOLLOW_UP, FOLLOW_UP, after, Status.SUBMITTED),
        ):
            definition_inputs = [
                spec.name for spec in Measurement(indicator=code).definition.inputs
            ]
            value = compute(code, dict(zip(definition_inputs, (first, second), strict=True)))
            db.session.add(
                Measurement(
                    enterprise_id=enterprise_id, indicator=code, phase=phase,
                    period_start=start, period_end=end, input_1=first, input_2=second,
                    value=value, status=status, entered_by_id=user_id,
                )
            )  # fmt: skip
    db.session.commit()


def october_defects(app, plan_world, status: Status) -> None:
    """A defect-rate follow-up of October 2025 (1.0 %), after the world's July one."""
    with app.app_context():
        db.session.add(
            Measurement(
                enterprise_id=plan_world["enterprise"].id, indicator="defect_rate",
                phase=Phase.FOLLOW_UP, period_start=date(2025, 10, 1),
                period_end=date(2025, 10, 31), input_1=10, input_2=1000, value=1.0,
                status=status,
            )
        )  # fmt: skip
        db.session.commit()


def action_fields(**overrides) -> dict:
    """Form data for a valid action."""
    return {
        "problem": "Needles break on line 3",
        "root_cause": "Worn needle plates",
        "action": "Replace needle plates and check them weekly",
        "responsible": "Kofi Mensah",
        "start_date": "2025-02-03",
        "due_date": "2099-03-31",
        "status": "planned",
        "module_slug": "quality-management",
        "indicator": "defect_rate",
        "target_value": "1.5",
        "estimated_cost": "1200.50",
        "realised_savings": "",
        **overrides,
    }


def service_fields(form: dict) -> dict:
    """Form data as the form hands it to the service: dates parsed, the rest as typed."""
    return {
        name: (date.fromisoformat(value) if value else None) if name.endswith("_date") else value
        for name, value in form.items()
    }


def png_bytes(size=(4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (30, 200, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def plan_data(app, create_enterprise, create_user, create_person, tmp_path):
    """The enterprise, its people and users, figures, checklists and active plan; no one signed
    in (the browser tests sign in through the page)."""
    app.config["SCORE_UPLOAD_DIR"] = str(tmp_path / "uploads")
    enterprise = create_enterprise(
        name="Accra Works", country="GH", workers_women=60, workers_men=40, product="Shirts"
    )
    users = {
        "owner": create_user("enterprise_owner", enterprises=[enterprise], full_name="Ama Owusu"),
        "trainer": create_user("trainer", enterprises=[enterprise], full_name="Kwame Boateng"),
        "staff": create_user("programme_staff", countries=["GH"]),
        "admin": create_user("admin"),
    }
    eit = [
        create_person(enterprise, "Efua Asante", "female", "manager"),
        create_person(enterprise, "Yaw Darko", "male", "worker"),
    ]
    create_person(enterprise, "Not In Team", "male", "worker")
    with app.app_context():
        ent = db.session.get(Enterprise, enterprise.id)
        owner = db.session.get(User, users["owner"].id)
        enterprise_services.set_eit_members(
            owner, ent, set(eit), seen_versions={p.id: p.version for p in ent.people}
        )
        add_figures(enterprise.id, users["trainer"].id)
        db.session.add_all(
            [
                ChecklistAssessment(
                    enterprise_id=enterprise.id, phase=Phase.BASELINE,
                    assessed_on=date(2025, 1, 15), assessed_items=["wc-01", "wc-02", "wc-03"],
                    present_items=["wc-01"],
                ),
                ChecklistAssessment(
                    enterprise_id=enterprise.id, phase=Phase.FOLLOW_UP,
                    assessed_on=date(2025, 7, 15), assessed_items=["wc-01", "wc-02", "wc-03"],
                    present_items=["wc-01", "wc-02"],
                ),
            ]
        )  # fmt: skip
        db.session.commit()
        plan = services.start_plan(
            owner, ent, title="Plan 2025", started_on=date(2025, 2, 1), carry_over=False,
            seen_current=None,
        )  # fmt: skip
        plan_id = plan.id
    return {"enterprise": enterprise, "users": users, "plan": plan_id}


@pytest.fixture
def plan_world(app, plan_data):
    """The plan's world with a signed-in client per user."""
    clients = {role: sign_in(app.test_client(), user) for role, user in plan_data["users"].items()}
    return {**plan_data, "clients": clients}


def add_action(app, plan_id: int, user_id: int, **overrides) -> int:
    """An action saved through the service; `done_on` may be fixed for a stable print."""
    done_on = overrides.pop("done_on", None)
    with app.app_context():
        plan = db.session.get(ImprovementPlan, plan_id)
        action = services.add_action(
            db.session.get(User, user_id), plan, service_fields(action_fields(**overrides))
        )
        if done_on:
            action.done_on = done_on
            db.session.commit()
        return action.id


def action_state(app, action_id: int) -> PlanAction | None:
    with app.app_context():
        action = db.session.get(PlanAction, action_id)
        if action is not None:
            db.session.expunge(action)
        return action
