"""In-factory visits: findings and agreed next steps, within the trainer's enterprises."""

from sqlalchemy import select

from score_app.extensions import db
from score_app.training.models import Visit
from tests.conftest import VERSION_FIELD, conflict_table, post_seen, seen_version


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


def test_a_visit_saved_by_someone_else_meanwhile_shows_both_versions(
    app, client_as, create_enterprise
):
    mine = create_enterprise()
    trainer = client_as("trainer", enterprises=[mine])
    visit_id = int(
        trainer.post("/training/visits/new", data=_form(mine)).location.rsplit("/", 1)[1]
    )
    admin = client_as("admin", full_name="Yaw Admin")
    edit = f"/training/visits/{visit_id}/edit"
    trainers_version = seen_version(trainer, edit)
    theirs = _form(mine, findings="Offcuts on the floor; fire exit blocked.")
    assert post_seen(admin, edit, data=theirs).status_code == 302

    mine_typed = _form(mine, next_steps="5S pilot in cutting by 15 April.")
    refused = trainer.post(edit, data={"version": trainers_version, **mine_typed})
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert "Yaw Admin saved a new version" in html
    table = conflict_table(html)
    assert table["Findings"] == (
        "Offcuts on the floor; fire exit blocked.",
        "Offcuts on the floor of the cutting room.",
        True,
    )
    assert table["Next steps agreed with the EIT"][1:] == ("5S pilot in cutting by 15 April.", True)
    assert table["Date of the visit"] == ("Apr 2, 2026", "Apr 2, 2026", False)
    assert "5S pilot in cutting by 15 April.</textarea>" in html
    with app.app_context():
        stored = db.session.get(Visit, visit_id)
        assert stored.findings == "Offcuts on the floor; fire exit blocked."
        assert stored.next_steps == "5S pilot in cutting by 30 April."

    again = trainer.post(edit, data={"version": VERSION_FIELD.search(html).group(1), **mine_typed})
    assert again.status_code == 302
