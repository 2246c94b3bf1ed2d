"""The plan as its users work it: start a plan, add and move actions, bad input kept on the form,
overdue actions on the plan and the home page, evidence photos, visits, and who may do what."""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import delete, func, select, update

from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.models import Status
from score_app.plans import services as plans
from score_app.plans.models import ActionPhoto, ActionStatus, ImprovementPlan, PlanAction
from score_app.training.models import Visit
from tests.conftest import (
    VERSION_FIELD,
    conflict_table,
    post_seen,
    saved_meanwhile,
    seen_version,
)
from tests.plans.conftest import (
    action_fields,
    action_state,
    add_action,
    jpeg_bytes,
    october_defects,
    png_bytes,
)

STATIC = Path(__file__).resolve().parents[2] / "score_app" / "static"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_an_enterprise_without_a_plan_is_invited_to_start_one(app, client_as, create_enterprise):
    enterprise = create_enterprise(name="Fresh Start")
    owner = client_as("enterprise_owner", enterprises=[enterprise])
    page = owner.get(f"/enterprises/{enterprise.id}/plan").get_data(True)
    assert "No improvement plan yet" in page
    assert f"/enterprises/{enterprise.id}/plans/new" in page
    response = owner.post(
        f"/enterprises/{enterprise.id}/plans/new",
        data={"title": "Plan 2026", "started_on": "2026-01-05"},
    )
    assert response.status_code == 302
    page = owner.get(f"/enterprises/{enterprise.id}/plan").get_data(True)
    assert "Plan 2026" in page and "No action yet." in page


def test_starting_a_plan_without_a_title_keeps_the_form_and_says_why(app, client_as, plan_world):
    owner = plan_world["clients"]["owner"]
    url = f"/enterprises/{plan_world['enterprise'].id}/plans/new"
    response = owner.post(
        url, data={"current_plan": plan_world["plan"], "title": " ", "started_on": "2026-01-05"}
    )
    assert response.status_code == 422
    page = response.get_data(True)
    assert "Give the plan a title." in page and 'value="2026-01-05"' in page
    assert _count(app, ImprovementPlan) == 1


def test_the_owner_adds_an_action_and_sees_it_on_the_plan(app, plan_world):
    owner = plan_world["clients"]["owner"]
    eid = plan_world["enterprise"].id
    form = owner.get(f"/enterprises/{eid}/plan/actions/new").get_data(True)
    assert '<option value="Efua Asante">' in form  # the EIT's people are suggested
    assert "Amounts are in Ghanaian Cedi." in form
    response = owner.post(f"/enterprises/{eid}/plan/actions/new", data=action_fields())
    assert response.status_code == 302
    action = action_state(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert action.estimated_cost_minor == 120050 and action.status == ActionStatus.PLANNED
    page = owner.get(f"/enterprises/{eid}/plan").get_data(True)
    assert "Replace needle plates and check them weekly" in page
    assert "Kofi Mensah" in page


def test_a_bad_action_is_refused_whole_with_every_message_and_the_typed_text_kept(app, plan_world):
    owner = plan_world["clients"]["owner"]
    eid = plan_world["enterprise"].id
    data = action_fields(
        responsible="",
        due_date="2025-01-01",
        estimated_cost="12,5",
        problem="Lint <b>everywhere</b>",
    )
    response = owner.post(f"/enterprises/{eid}/plan/actions/new", data=data)
    assert response.status_code == 422
    page = response.get_data(True)
    assert "Name the person responsible." in page
    assert "The due date cannot come before the start date." in page
    assert "Enter an amount written like 1,250.50." in page
    assert "Lint &lt;b&gt;everywhere&lt;/b&gt;" in page and 'value="12,5"' in page
    assert _count(app, PlanAction) == 0


def test_a_french_owner_types_amounts_the_french_way(app, plan_world):
    owner = plan_world["clients"]["owner"]
    owner.post("/locale", data={"locale": "fr"})
    eid = plan_world["enterprise"].id
    response = owner.post(
        f"/enterprises/{eid}/plan/actions/new",
        data=action_fields(estimated_cost="1 500,75", target_value="1,5"),
    )
    assert response.status_code == 302
    action_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert action_state(app, action_id).estimated_cost_minor == 150075
    edit = owner.get(f"/actions/{action_id}/edit").get_data(True)
    assert 'value="1500,75"' in edit and 'value="1,5"' in edit


def test_overdue_actions_stand_out_on_the_plan_and_the_owners_home(app, plan_world):
    today = date.today()
    owner_id = plan_world["users"]["owner"].id
    add_action(app, plan_world["plan"], owner_id, action="Fix the boiler", start_date="",
               due_date=str(today - timedelta(days=3)))  # fmt: skip
    add_action(app, plan_world["plan"], owner_id, action="Train the new packers", start_date="",
               due_date=str(today + timedelta(days=2)))  # fmt: skip
    add_action(app, plan_world["plan"], owner_id, action="Paint the walkways", start_date="",
               due_date=str(today + timedelta(days=30)))  # fmt: skip
    owner = plan_world["clients"]["owner"]
    plan_page = owner.get(f"/enterprises/{plan_world['enterprise'].id}/plan").get_data(True)
    boiler = plan_page.split("Fix the boiler")[0].rsplit("<li", 1)[1]
    assert "overdue" in boiler
    assert "Overdue since" in plan_page.split("Fix the boiler")[1].split("</li>")[0]
    home = owner.get("/").get_data(True)
    overdue, due = home.split("Due this week")
    assert "Fix the boiler" in overdue and "Train the new packers" not in overdue
    assert "Train the new packers" in due
    assert "Paint the walkways" not in home


def test_moving_and_verifying_an_action_from_the_plan(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner, trainer = plan_world["clients"]["owner"], plan_world["clients"]["trainer"]
    plan_url = f"/enterprises/{plan_world['enterprise'].id}/plan"
    response = post_seen(
        owner, f"/actions/{action_id}/move", data={"status": "done", "next": plan_url}
    )
    assert response.headers["Location"] == plan_url
    assert "Verify" not in owner.get(plan_url).get_data(True)  # owners do not verify
    post_seen(trainer, f"/actions/{action_id}/verify")
    state = action_state(app, action_id)
    assert state.status == ActionStatus.VERIFIED and state.done_on == date.today()
    refused = post_seen(owner, f"/actions/{action_id}/move", data={"status": "verified"})
    assert refused.status_code == 302
    assert action_state(app, action_id).status == ActionStatus.VERIFIED
    follow = owner.get(refused.headers["Location"]).get_data(True)
    assert "Choose planned, in progress or done." in follow


def test_whoever_marked_an_action_done_is_not_offered_its_verification(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    trainer, staff = plan_world["clients"]["trainer"], plan_world["clients"]["staff"]
    plan_url = f"/enterprises/{plan_world['enterprise'].id}/plan"
    verify_form = f'action="/actions/{action_id}/verify"'
    post_seen(trainer, f"/actions/{action_id}/move", data={"status": "done"})
    action_page = trainer.get(f"/actions/{action_id}").get_data(True)
    assert verify_form not in action_page
    assert "You marked this action done, so someone else must verify it." in action_page
    assert verify_form not in trainer.get(plan_url).get_data(True)
    assert verify_form in staff.get(plan_url).get_data(True)

    refused = post_seen(trainer, f"/actions/{action_id}/verify", data={"next": plan_url})
    assert refused.headers["Location"] == plan_url
    message = "Someone other than the person who marked this action done must verify it."
    assert message in trainer.get(plan_url).get_data(True)
    assert action_state(app, action_id).status == ActionStatus.DONE
    post_seen(staff, f"/actions/{action_id}/verify")
    assert action_state(app, action_id).status == ActionStatus.VERIFIED


def test_a_next_address_off_the_site_is_ignored(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    response = post_seen(
        plan_world["clients"]["owner"],
        f"/actions/{action_id}/move",
        data={"status": "done", "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == f"/actions/{action_id}"


def _upload(client, action_id, data, name="result.png", caption="After"):
    return client.post(
        f"/actions/{action_id}/photos",
        data={"photo": (io.BytesIO(data), name), "caption": caption},
        content_type="multipart/form-data",
    )


def test_a_photo_is_kept_outside_static_and_served_only_in_scope(app, plan_world, client_as):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner = plan_world["clients"]["owner"]
    assert _upload(owner, action_id, png_bytes()).status_code == 302
    assert _upload(owner, action_id, jpeg_bytes(), name="site.jpeg").status_code == 302
    with app.app_context():
        photos = db.session.scalars(select(ActionPhoto).order_by(ActionPhoto.id)).all()
        assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
        stored = [Path(app.config["SCORE_UPLOAD_DIR"]) / p.stored_name for p in photos]
        ids = [p.id for p in photos]
    assert all(path.is_file() and not path.is_relative_to(STATIC) for path in stored)
    served = owner.get(f"/photos/{ids[0]}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == png_bytes()
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client_as("enterprise_owner").get(f"/photos/{ids[0]}").status_code == 404
    assert app.test_client().get(f"/photos/{ids[0]}").status_code == 302  # sign in first
    page = owner.get(f"/actions/{action_id}").get_data(True)
    assert f'src="/photos/{ids[0]}"' in page
    owner.post(f"/photos/{ids[0]}/delete")
    assert not stored[0].exists() and owner.get(f"/photos/{ids[0]}").status_code == 404


def test_a_photo_of_the_wrong_type_is_refused_by_its_content_not_its_name(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner = plan_world["clients"]["owner"]
    for data, name in (
        (b"%PDF-1.7 not a photo", "photo.jpg"),
        (b"GIF89a" + b"\0" * 20, "photo.png"),
        (png_bytes()[:30], "cut-off.png"),
    ):
        response = _upload(owner, action_id, data, name=name, caption="Before the change")
        assert response.status_code == 422
        page = response.get_data(True)
        assert "Only JPEG and PNG photos can be uploaded." in page
        assert 'value="Before the change"' in page
    assert _count(app, ActionPhoto) == 0
    assert not any(Path(app.config["SCORE_UPLOAD_DIR"]).glob("*"))


def test_an_oversized_photo_is_refused_with_its_size_and_the_limit(app, plan_world):
    app.config["SCORE_MAX_PHOTO_MB"] = 1
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    big = png_bytes() + b"\0" * 1_200_000
    response = _upload(plan_world["clients"]["owner"], action_id, big)
    assert response.status_code == 422
    assert "This photo is 1.2 MB; the largest accepted is 1 MB." in response.get_data(True)
    assert _count(app, ActionPhoto) == 0


def test_uploading_without_a_file_says_so(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    response = plan_world["clients"]["owner"].post(
        f"/actions/{action_id}/photos", data={"caption": "x"}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Choose a photo to upload." in response.get_data(True)


def test_deleting_an_action_removes_its_photos(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner = plan_world["clients"]["owner"]
    _upload(owner, action_id, png_bytes())
    response = post_seen(owner, f"/actions/{action_id}/delete")
    assert response.headers["Location"].endswith(f"/enterprises/{plan_world['enterprise'].id}/plan")
    assert action_state(app, action_id) is None and _count(app, ActionPhoto) == 0
    assert not any(Path(app.config["SCORE_UPLOAD_DIR"]).glob("*"))


def test_a_visit_records_the_actions_it_followed_up(app, plan_world):
    owner_id = plan_world["users"]["owner"].id
    first = add_action(app, plan_world["plan"], owner_id, action="Fit guards on the presses")
    second = add_action(app, plan_world["plan"], owner_id, action="Mark the walkways")
    with app.app_context():
        visit = Visit(
            enterprise_id=plan_world["enterprise"].id, module_slug="quality-management",
            visit_date=date(2025, 8, 4), trainer_id=plan_world["users"]["trainer"].id,
        )  # fmt: skip
        db.session.add(visit)
        db.session.commit()
        visit_id = visit.id
    trainer = plan_world["clients"]["trainer"]
    edit = f"/training/visits/{visit_id}/edit"
    form = {
        "enterprise_id": plan_world["enterprise"].id,
        "module_slug": "quality-management",
        "visit_date": "2025-08-04",
    }
    page = trainer.get(edit).get_data(True)
    assert "Fit guards on the presses" in page and 'name="action_ids"' in page
    post_seen(trainer, edit, data={**form, "action_ids": [str(first)]})
    page = trainer.get(f"/actions/{first}").get_data(True)
    assert f"/training/visits/{visit_id}" in page
    assert "No visit has followed up" in trainer.get(f"/actions/{second}").get_data(True)
    assert f'value="{first}" checked' in trainer.get(edit).get_data(True)
    post_seen(trainer, edit, data={**form, "action_ids": [str(second)]})
    with app.app_context():
        linked = db.session.get(Visit, visit_id)
        assert [a.id for a in db.session.get(PlanAction, second).visits] == [linked.id]
        assert db.session.get(PlanAction, first).visits == []
    for bad, message in (
        ("abc", "could not be coerced"),
        ("999999", "Choose actions of this enterprise"),
    ):
        response = post_seen(trainer, edit, data={**form, "action_ids": [bad]})
        assert response.status_code == 200
        assert message in response.get_data(True)
    with app.app_context():
        assert [v.id for v in db.session.get(PlanAction, second).visits] == [visit_id]


def test_programme_staff_read_the_plan_but_do_not_change_it(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    staff = plan_world["clients"]["staff"]
    page = staff.get(f"/enterprises/{plan_world['enterprise'].id}/plan").get_data(True)
    assert "Replace needle plates" in page and "Add an action" not in page
    assert staff.post(f"/actions/{action_id}/move", data={"status": "done"}).status_code == 403
    assert action_state(app, action_id).status == ActionStatus.PLANNED


def test_without_consent_staff_are_told_why_they_cannot_see_the_plan(app, plan_world):
    with app.app_context():
        db.session.get(Enterprise, plan_world["enterprise"].id).data_sharing_consent = False
        db.session.commit()
    response = plan_world["clients"]["staff"].get(
        f"/enterprises/{plan_world['enterprise'].id}/plan.pdf"
    )
    assert response.status_code == 403
    assert "has not agreed to share its figures" in response.get_data(True)


def test_an_archived_plan_stays_readable_and_offers_no_changes(app, plan_world):
    add_action(app, plan_world["plan"], plan_world["users"]["owner"].id, action="Old action")
    owner = plan_world["clients"]["owner"]
    eid = plan_world["enterprise"].id
    new_plan = f"/enterprises/{eid}/plans/new"
    data = {
        "current_plan": _current_plan(owner, new_plan),
        "title": "Plan 2026",
        "started_on": "2026-01-05",
    }
    assert owner.post(new_plan, data=data).status_code == 302
    current = owner.get(f"/enterprises/{eid}/plan").get_data(True)
    assert "Plan 2026" in current and "Old action" not in current
    assert f"?plan={plan_world['plan']}" in current
    old = owner.get(f"/enterprises/{eid}/plan?plan={plan_world['plan']}").get_data(True)
    assert "Old action" in old and "archived" in old and "Mark done" not in old


def _current_plan(client, start_page: str) -> str:
    """The plan that the start page says it will archive (its id, or "" when none)."""
    page = client.get(start_page).get_data(True)
    return re.search(r'name="current_plan" value="(\d*)"', page).group(1)


def test_a_plan_started_by_someone_else_meanwhile_shows_both_versions(app, plan_world):
    owner, trainer = plan_world["clients"]["owner"], plan_world["clients"]["trainer"]
    eid = plan_world["enterprise"].id
    start = f"/enterprises/{eid}/plans/new"
    owners_page = _current_plan(owner, start)
    assert owners_page == str(plan_world["plan"])
    theirs = {"title": "Plan 2026", "started_on": "2026-01-05", "carry_over": "y"}
    assert trainer.post(start, data={"current_plan": owners_page, **theirs}).status_code == 302

    mine = {"title": "Plan 2026 (EIT)", "started_on": "2026-01-12", "carry_over": "y"}
    refused = owner.post(start, data={"current_plan": owners_page, **mine})
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert "Kwame Boateng saved a new version" in html
    assert conflict_table(html) == {
        "Title": ("Plan 2026", "Plan 2026 (EIT)", True),
        "Start date": ("Jan 5, 2026", "Jan 12, 2026", True),
    }
    assert 'value="Plan 2026 (EIT)"' in html
    with app.app_context():
        assert plans.active_plan(eid).title == "Plan 2026"
    assert _count(app, ImprovementPlan) == 2

    again = owner.post(start, data={"current_plan": _current_plan(owner, start), **mine})
    assert again.status_code == 302
    with app.app_context():
        assert plans.active_plan(eid).title == "Plan 2026 (EIT)"
    assert _count(app, ImprovementPlan) == 3


def test_a_draft_follow_up_is_not_the_after_of_the_plan_or_its_print(app, plan_world):
    october_defects(app, plan_world, Status.DRAFT)
    owner = plan_world["clients"]["owner"]
    enterprise_id = plan_world["enterprise"].id
    page = owner.get(f"/enterprises/{enterprise_id}/plan").get_data(True)
    defects = page.split("Defect rate", 1)[1].split("</tr>", 1)[0]
    assert "1.5" in defects and "follow-up 1" in defects and "1.0" not in defects
    assert "Compare the baseline with" not in page  # one reported follow-up: nothing to choose


def test_the_plan_compares_the_baseline_with_a_chosen_follow_up(app, plan_world):
    october_defects(app, plan_world, Status.SUBMITTED)
    owner = plan_world["clients"]["owner"]
    url = f"/enterprises/{plan_world['enterprise'].id}/plan"
    latest = owner.get(url).get_data(True)
    assert "Compare the baseline with" in latest
    defects = latest.split("Defect rate", 1)[1].split("</tr>", 1)[0]
    assert "1.0" in defects and "follow-up 2" in defects
    first = owner.get(url + "?follow_up=1").get_data(True)
    defects = first.split("Defect rate", 1)[1].split("</tr>", 1)[0]
    assert "1.5" in defects and "follow-up 1" in defects
    assert '<option value="1" selected>' in first


def test_a_phone_jpeg_with_a_second_picture_inside_is_accepted(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (4, 3), "red"), Image.new("RGB", (4, 3), "blue")
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    assert _upload(plan_world["clients"]["owner"], action_id, buffer.getvalue()).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ActionPhoto.content_type)) == "image/jpeg"


def test_saving_a_verified_action_unchanged_keeps_it_verified(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner, trainer = plan_world["clients"]["owner"], plan_world["clients"]["trainer"]
    post_seen(owner, f"/actions/{action_id}/move", data={"status": "done"})
    post_seen(trainer, f"/actions/{action_id}/verify")
    form = owner.get(f"/actions/{action_id}/edit").get_data(True)
    assert 'value="1200.5"' in form
    post_seen(owner, f"/actions/{action_id}/edit", data=action_fields(status="done"))
    assert action_state(app, action_id).status == ActionStatus.VERIFIED
    post_seen(
        owner, f"/actions/{action_id}/edit", data=action_fields(status="done", responsible="Ama")
    )
    assert action_state(app, action_id).status == ActionStatus.DONE


def test_staff_see_no_plan_actions_on_a_visit_without_consent(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id,
                           action="Confidential buyer audit fix")  # fmt: skip
    with app.app_context():
        visit = Visit(
            enterprise_id=plan_world["enterprise"].id, module_slug="quality-management",
            visit_date=date(2025, 8, 4), trainer_id=plan_world["users"]["trainer"].id,
        )  # fmt: skip
        db.session.add(visit)
        action = db.session.get(PlanAction, action_id)
        action.visits.append(visit)
        db.session.get(Enterprise, plan_world["enterprise"].id).data_sharing_consent = False
        db.session.commit()
        visit_id = visit.id
    staff_page = plan_world["clients"]["staff"].get(f"/training/visits/{visit_id}")
    assert staff_page.status_code == 200
    assert "Confidential buyer audit fix" not in staff_page.get_data(True)
    trainer_page = plan_world["clients"]["trainer"].get(f"/training/visits/{visit_id}")
    assert "Confidential buyer audit fix" in trainer_page.get_data(True)


def test_an_action_saved_by_someone_else_meanwhile_shows_both_versions(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner, trainer = plan_world["clients"]["owner"], plan_world["clients"]["trainer"]
    edit = f"/actions/{action_id}/edit"
    owners_version = seen_version(owner, edit)
    post_seen(trainer, edit, data=action_fields(responsible="Ama Owusu", status="in_progress"))

    mine = action_fields(due_date="2099-04-30")  # the owner moves the due date
    refused = owner.post(edit, data={"version": owners_version, **mine})
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert "Someone else changed this while you were editing it" in html
    assert f"{plan_world['users']['trainer'].full_name} saved a new version" in html
    table = conflict_table(html)
    assert table["Responsible person"] == ("Ama Owusu", "Kofi Mensah", True)
    assert table["Status"] == ("in progress", "planned", True)
    assert table["Due date"] == ("Mar 31, 2099", "Apr 30, 2099", True)
    assert table["Estimated cost"] == ("1200.5", "1200.50", False)  # the same amount
    assert [label for label, (*_v, differs) in table.items() if differs] == [
        "Responsible person", "Due date", "Status"
    ]  # fmt: skip
    assert 'value="2099-04-30"' in html  # what the owner typed is kept
    stored = action_state(app, action_id)
    assert (stored.responsible, stored.due_date) == ("Ama Owusu", date(2099, 3, 31))

    again = owner.post(edit, data={"version": VERSION_FIELD.search(html).group(1), **mine})
    assert again.status_code == 302
    stored = action_state(app, action_id)
    assert (stored.responsible, stored.due_date) == ("Kofi Mensah", date(2099, 4, 30))


def test_a_quick_button_on_an_older_page_does_nothing_and_says_why(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner, trainer = plan_world["clients"]["owner"], plan_world["clients"]["trainer"]
    plan_url = f"/enterprises/{plan_world['enterprise'].id}/plan"
    post_seen(owner, f"/actions/{action_id}/move", data={"status": "done"})
    trainers_version = seen_version(trainer, f"/actions/{action_id}")
    savings = action_fields(status="done", realised_savings="900")
    post_seen(owner, f"/actions/{action_id}/edit", data=savings)
    refused = trainer.post(
        f"/actions/{action_id}/verify",
        data={"version": trainers_version, "next": plan_url},
        follow_redirects=True,
    )
    assert "Someone else changed this after you opened the page" in refused.get_data(True)
    assert action_state(app, action_id).status == ActionStatus.DONE  # not verified unseen


@pytest.mark.committing
def test_an_action_changed_or_deleted_at_the_same_moment_is_not_overwritten(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    owner = plan_world["clients"]["owner"]
    edit = f"/actions/{action_id}/edit"
    mine = {"version": seen_version(owner, edit), **action_fields(responsible="Efua")}

    def dirty_action(session) -> bool:
        return any(isinstance(obj, PlanAction) for obj in session.dirty)

    theirs = (
        update(PlanAction)
        .where(PlanAction.id == action_id)
        .values(responsible="Ama Owusu", version=PlanAction.version + 1)
    )
    with saved_meanwhile(theirs, when=dirty_action):
        refused = owner.post(edit, data=mine)
    assert refused.status_code == 409
    assert conflict_table(refused.get_data(True))["Responsible person"] == (
        "Ama Owusu", "Efua", True
    )  # fmt: skip
    assert action_state(app, action_id).responsible == "Ama Owusu"

    mine["version"] = VERSION_FIELD.search(refused.get_data(True)).group(1)
    with saved_meanwhile(delete(PlanAction).where(PlanAction.id == action_id), when=dirty_action):
        gone = owner.post(edit, data=mine, follow_redirects=True)
    assert "Someone else deleted this action meanwhile." in gone.get_data(True)
    assert action_state(app, action_id) is None


@pytest.mark.committing
def test_a_photo_for_an_action_deleted_at_the_same_moment_is_not_kept(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    deleted = delete(PlanAction).where(PlanAction.id == action_id)
    with saved_meanwhile(deleted, when=lambda session: any(
        isinstance(obj, ActionPhoto) for obj in session.new
    )):  # fmt: skip
        refused = _upload(plan_world["clients"]["owner"], action_id, png_bytes())
    assert refused.status_code == 409
    assert "Someone else changed this after you opened the page" in refused.get_data(True)
    assert list(Path(app.config["SCORE_UPLOAD_DIR"]).glob("*")) == []  # no file left behind
