"""A new action saved with its first photo, in one save: both or neither; photo inputs that offer
a phone's camera and a script that makes the picture small; the printed plan showing the
photos of its actions as small pictures."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from score_app.extensions import db
from score_app.plans.models import ActionPhoto, PlanAction
from tests.plans.conftest import action_fields, add_action, jpeg_bytes, png_bytes


def _new_action(client, enterprise_id, photo=None, **overrides):
    data = action_fields(**overrides)
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "site.jpg")
        data["caption"] = "Line 3 after the change"
    return client.post(
        f"/enterprises/{enterprise_id}/plan/actions/new",
        data=data,
        content_type="multipart/form-data",
    )


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        actions = db.session.scalar(select(func.count()).select_from(PlanAction))
        photos = db.session.scalar(select(func.count()).select_from(ActionPhoto))
        return actions, photos


def _kept_files(app) -> list[Path]:
    folder = Path(app.config["SCORE_UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_new_action_form_takes_a_photo_that_the_action_page_then_shows(app, plan_world):
    client = plan_world["clients"]["owner"]
    form = client.get(f"/enterprises/{plan_world['enterprise'].id}/plan/actions/new")
    page = form.get_data(True)
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/*"' in page and 'data-resize="1600"' in page
    assert "js/photo-resize.js" in page

    response = _new_action(client, plan_world["enterprise"].id, photo=jpeg_bytes())
    assert response.status_code == 302, response.get_data(True)
    assert _counts(app) == (1, 1)
    shown = client.get(response.headers["Location"]).get_data(True)
    assert "Line 3 after the change" in shown
    with app.app_context():
        photo_id = db.session.scalar(select(ActionPhoto.id))
    assert f'src="/photos/{photo_id}"' in shown
    assert len(_kept_files(app)) == 1


def test_an_action_without_a_photo_is_saved_as_before(app, plan_world):
    response = _new_action(plan_world["clients"]["owner"], plan_world["enterprise"].id)
    assert response.status_code == 302
    assert _counts(app) == (1, 0)


def test_a_refused_action_keeps_no_photo_and_asks_to_choose_it_again(app, plan_world):
    response = _new_action(
        plan_world["clients"]["owner"], plan_world["enterprise"].id, photo=jpeg_bytes(), due_date=""
    )
    assert response.status_code == 422
    page = response.get_data(True)
    assert "Enter the date the action is due." in page
    assert "The photo was not saved with the action: choose it again." in page
    assert "Needles break on line 3" in page, "what was typed is kept"
    assert _counts(app) == (0, 0)
    assert _kept_files(app) == []


def test_a_refused_photo_keeps_no_action_and_says_why(app, plan_world):
    data = png_bytes()
    too_big = data + b"\0" * (14_700_000 - len(data))
    response = _new_action(plan_world["clients"]["owner"], plan_world["enterprise"].id, too_big)
    assert response.status_code == 422
    page = response.get_data(True)
    assert "This photo is 14.7 MB; the largest accepted is 5 MB." in page
    assert "Replace needle plates and check them weekly" in page
    assert _counts(app) == (0, 0)
    assert _kept_files(app) == []


def test_a_file_that_is_not_a_picture_keeps_no_action(app, plan_world):
    response = _new_action(
        plan_world["clients"]["owner"], plan_world["enterprise"].id, photo=b"<html>not a photo"
    )
    assert response.status_code == 422
    assert "Only JPEG and PNG photos can be uploaded." in response.get_data(True)
    assert _counts(app) == (0, 0)


def test_the_photo_form_of_an_action_offers_the_camera(app, plan_world):
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    page = plan_world["clients"]["owner"].get(f"/actions/{action_id}").get_data(True)
    assert 'accept="image/*"' in page and "js/photo-resize.js" in page


def test_the_resize_script_is_served(client):
    response = client.get("/static/js/photo-resize.js")
    assert response.status_code == 200
    assert b"toBlob" in response.data


@pytest.mark.parametrize(("photos", "pictures", "note"), [(1, 1, "1 photo"), (5, 3, "3 of 5")])
def test_the_printed_plan_shows_a_few_small_photos_per_action(
    app, plan_world, photos, pictures, note
):
    client = plan_world["clients"]["owner"]
    action_id = add_action(app, plan_world["plan"], plan_world["users"]["owner"].id)
    for _ in range(photos):
        response = client.post(
            f"/actions/{action_id}/photos",
            data={"photo": (io.BytesIO(png_bytes((1200, 900))), "site.png"), "caption": ""},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    response = client.get(f"/enterprises/{plan_world['enterprise'].id}/plan.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    # Pages share their resources, so each picture is counted once, by name.
    images = {image.name: image for page in reader.pages for image in page.images}.values()
    # The organisation has no logo here: every picture is a photo, made small for print.
    assert len(images) == pictures
    assert all(max(image.image.size) <= 360 for image in images)
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert note in text


def test_a_photo_far_over_what_a_request_may_carry_is_refused_saying_its_size(app, plan_world):
    app.config["MAX_CONTENT_LENGTH"] = 2_000_000
    data = png_bytes()
    response = _new_action(
        plan_world["clients"]["owner"],
        plan_world["enterprise"].id,
        photo=data + b"\0" * (2_600_000 - len(data)),
    )
    assert response.status_code == 413
    assert "What was sent is 2.6 MB, more than can be received" in response.get_data(True)
    assert _counts(app) == (0, 0)
