"""An enterprise with its owner, trainer and programme staff, ready to record figures."""

import pytest
from sqlalchemy import select

from score_app.extensions import db
from score_app.kpis.models import Measurement
from tests.conftest import sign_in


@pytest.fixture
def figures_world(app, create_enterprise, create_user):
    enterprise = create_enterprise(
        name="Accra Works", country="GH", workers_women=60, workers_men=40
    )
    users = {
        "owner": create_user("enterprise_owner", enterprises=[enterprise]),
        "trainer": create_user("trainer", enterprises=[enterprise]),
        "staff": create_user("programme_staff", countries=["GH"]),
    }
    clients = {role: sign_in(app.test_client(), user) for role, user in users.items()}
    return {"enterprise": enterprise, "users": users, "clients": clients}


def period_form(phase="baseline", start="2025-01-01", end="2025-01-31", action="save", **rows):
    """Form data for the period page; rows are {code: {input: value, 'comment': text}}."""
    data = {"phase": phase, "period_start": start, "period_end": end, "action": action}
    for code, values in rows.items():
        for name, value in values.items():
            data[f"{code}-{name}"] = value
    return data


@pytest.fixture
def draft(app, figures_world):
    """A defect-rate baseline of January 2025 entered by the owner: 45 of 1500, version 1; its
    id."""
    figures_world["clients"]["owner"].post(
        f"/enterprises/{figures_world['enterprise'].id}/measurements/new",
        data=period_form(defect_rate={"defective_units": "45", "inspected_units": "1500"}),
    )
    with app.app_context():
        return db.session.scalar(select(Measurement.id))
