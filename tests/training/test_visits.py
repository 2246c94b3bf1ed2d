"""In-factory visits: findings and agreed next steps, within the trainer's enterprises."""

from sqlalchemy import select

from score_app.extensions import db
from score_app.training.models import Visit


def _form(enterprise, **fields):
    return {
        "enterprise_id": enterprise.id,
        "module_slug": "workplace-cooperation",
        "visit_date": "2026-04-02",
        "findings": "Offcuts on the floor of the cutting room.",
        "next_steps": "5S pilot in cutting by 30 April.",
        **fields,
    }


def test_trainer_records_a_visit_and_the_owner_reads_it(app, client_as, create_enterprise):
    mine = create_enterprise()
    trainer = client_as("trainer", enterprises=[mine])
    response = trainer.post("/training/visits/new", data=_form(mine))
    assert response.status_code == 302
    owner = client_as("enterprise_owner", enterprises=[mine])
    page = owner.get(response.location).get_data(True)
    assert "Offcuts on the floor" in page and "5S pilot in cutting" in page


def test_visit_to_an_enterprise_outside_scope_is_refused(app, client_as, create_enterprise):
    mine, other = create_enterprise(), create_enterprise()
    trainer = client_as("trainer", enterprises=[mine])
    page = trainer.post("/training/visits/new", data=_form(other)).get_data(True)
    assert "Not a valid choice." in page
    with app.app_context():
        assert db.session.scalar(select(Visit)) is None


def test_visit_needs_a_date_and_keeps_the_findings(client_as, create_enterprise):
    mine = create_enterprise()
    page = (
        client_as("trainer", enterprises=[mine])
        .post("/training/visits/new", data=_form(mine, visit_date=""))
        .get_data(True)
    )
    assert "This field is required." in page
    assert "Offcuts on the floor of the cutting room." in page


def test_user_text_is_shown_as_text_not_markup(client_as, create_enterprise):
    mine = create_enterprise()
    trainer = client_as("trainer", enterprises=[mine])
    response = trainer.post(
        "/training/visits/new", data=_form(mine, findings="<script>alert(1)</script>")
    )
    page = trainer.get(response.location).get_data(True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
