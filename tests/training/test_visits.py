"""In-factory visits: findings, agreed next steps and the plan actions followed up, within the
trainer's enterprises."""

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from score_app.extensions import db
from score_app.plans.models import PlanAction, visit_actions
from score_app.training.models import Visit
from tests.conftest import VERSION_FIELD, conflict_table, post_seen, saved_meanwhile, seen_version
from tests.training.conftest import plan_with_actions


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


def _links(app) -> set[tuple[int, int]]:
    with app.app_context():
        return {tuple(row) for row in db.session.execute(select(visit_actions))}


def _visit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Visit))


@pytest.fixture
def plan_visit_world(app, create_enterprise, create_user):
    """A trainer's enterprise with an active plan of two open actions and a done one, and an
    enterprise the trainer does not work with, with an open action of its own."""
    mine, other = create_enterprise(name="Accra Works"), create_enterprise(name="Tema Foods")
    owner = create_user("enterprise_owner", enterprises=[mine, other])
    guards, walkways, lights = plan_with_actions(
        app, mine, owner, ("Fit guards on the presses", "planned"),
        ("Mark the walkways", "in_progress"), ("Relamp the cutting room", "done"),
    )  # fmt: skip
    (foreign,) = plan_with_actions(app, other, owner, ("Fix the cold store door", "planned"))
    return {
        "mine": mine, "other": other, "guards": guards, "walkways": walkways, "lights": lights,
        "foreign": foreign,
    }  # fmt: skip


def test_a_new_visit_is_dated_today(client_as, create_enterprise):
    mine = create_enterprise()
    page = client_as("trainer", enterprises=[mine]).get("/training/visits/new").get_data(True)
    assert f'name="visit_date" required type="date" value="{date.today().isoformat()}"' in page


def test_the_visit_form_lists_the_open_actions_of_the_trainers_enterprises(
    client_as, plan_visit_world
):
    trainer = client_as("trainer", enterprises=[plan_visit_world["mine"]])
    page = trainer.get("/training/visits/new").get_data(True)
    assert "Fit guards on the presses" in page and "Mark the walkways" in page
    assert "Relamp the cutting room" not in page  # done: nothing left to follow up
    assert "Fix the cold store door" not in page  # an enterprise the trainer does not work with


def test_a_visit_and_the_actions_it_followed_up_are_saved_in_one_go(
    app, client_as, plan_visit_world
):
    world = plan_visit_world
    trainer = client_as("trainer", enterprises=[world["mine"]])
    response = trainer.post(
        "/training/visits/new",
        data=_form(world["mine"], action_ids=[world["guards"], world["walkways"]]),
    )
    assert response.status_code == 302
    visit_id = int(response.location.rsplit("/", 1)[1])
    assert _links(app) == {(visit_id, world["guards"]), (visit_id, world["walkways"])}
    page = trainer.get(response.location).get_data(True)
    assert "Fit guards on the presses" in page and "Mark the walkways" in page


def test_a_visit_with_an_error_saves_neither_the_visit_nor_its_actions_and_keeps_the_ticks(
    app, client_as, plan_visit_world
):
    world = plan_visit_world
    trainer = client_as("trainer", enterprises=[world["mine"]])
    response = trainer.post(
        "/training/visits/new",
        data=_form(world["mine"], visit_date="", action_ids=[world["guards"]]),
    )
    page = response.get_data(True)
    assert response.status_code == 200
    assert "This field is required." in page
    assert f'value="{world["guards"]}" checked' in page
    assert f'value="{world["walkways"]}" checked' not in page
    assert _visit_count(app) == 0 and _links(app) == set()


def test_a_trainer_cannot_tick_an_action_of_an_enterprise_outside_their_scope(
    app, client_as, plan_visit_world
):
    world = plan_visit_world
    trainer = client_as("trainer", enterprises=[world["mine"]])
    response = trainer.post(
        "/training/visits/new",
        data=_form(world["mine"], action_ids=[world["guards"], world["foreign"]]),
    )
    page = response.get_data(True)
    assert "Choose actions of this enterprise&#39;s current plan." in page
    assert "Offcuts on the floor of the cutting room." in page
    assert _visit_count(app) == 0 and _links(app) == set()


def test_an_action_of_another_enterprise_in_scope_is_refused_for_this_visit(
    app, client_as, plan_visit_world
):
    """Both enterprises are the trainer's, but the visit was to one of them."""
    world = plan_visit_world
    trainer = client_as("trainer", enterprises=[world["mine"], world["other"]])
    page = trainer.post(
        "/training/visits/new", data=_form(world["mine"], action_ids=[world["foreign"]])
    ).get_data(True)
    assert "Choose actions of this enterprise&#39;s current plan." in page
    assert _visit_count(app) == 0


def test_editing_a_visit_changes_its_actions_and_keeps_one_done_since(
    app, client_as, plan_visit_world
):
    world = plan_visit_world
    trainer = client_as("trainer", enterprises=[world["mine"]])
    visit_id = int(
        trainer.post(
            "/training/visits/new", data=_form(world["mine"], action_ids=[world["guards"]])
        ).location.rsplit("/", 1)[1]
    )
    with app.app_context():
        db.session.get(PlanAction, world["guards"]).status = "done"
        db.session.commit()
    edit = f"/training/visits/{visit_id}/edit"
    page = trainer.get(edit).get_data(True)
    assert f'value="{world["guards"]}" checked' in page  # done since, still shown as followed up
    bad = post_seen(trainer, edit, data=_form(world["mine"], action_ids=[world["foreign"]]))
    assert "Choose actions of this enterprise" in bad.get_data(True)
    assert _links(app) == {(visit_id, world["guards"])}
    post_seen(trainer, edit, data=_form(world["mine"], action_ids=[world["walkways"]]))
    assert _links(app) == {(visit_id, world["walkways"])}


@pytest.mark.committing
def test_a_visit_whose_action_is_deleted_as_it_is_saved_is_not_kept_either(
    app, client_as, plan_visit_world
):
    world = plan_visit_world
    trainer = client_as("trainer", enterprises=[world["mine"]])
    deleted = delete(PlanAction).where(PlanAction.id == world["guards"])
    with saved_meanwhile(
        deleted, when=lambda session: any(isinstance(obj, Visit) for obj in session.new)
    ):
        refused = trainer.post(
            "/training/visits/new", data=_form(world["mine"], action_ids=[world["guards"]])
        )
    assert refused.status_code == 409
    assert _visit_count(app) == 0 and _links(app) == set()
