"""Photos taken at a visit: kept as an action's evidence photos are (cleaned, size and type
checked), shown on the visit to those who see it, removed by those who record visits."""

import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from score_app.extensions import db
from score_app.training.models import Visit, VisitPhoto
from tests.plans.conftest import png_bytes
from tests.plans.test_photos import phone_jpeg


@pytest.fixture
def visit_world(app, client_as, create_enterprise, create_user, tmp_path):
    """A trainer's visit to Accra Works, a trainer of another enterprise, and the owner."""
    app.config["SCORE_UPLOAD_DIR"] = str(tmp_path / "uploads")
    mine, other = create_enterprise(name="Accra Works"), create_enterprise(name="Tema Foods")
    trainer = create_user("trainer", enterprises=[mine])
    with app.app_context():
        visit = Visit(
            enterprise_id=mine.id, module_slug="workplace-cooperation",
            visit_date=date(2026, 4, 2), trainer_id=trainer.id,
        )  # fmt: skip
        db.session.add(visit)
        db.session.commit()
        visit_id = visit.id
    return {
        "visit": visit_id,
        "trainer": client_as(trainer),
        "owner": client_as("enterprise_owner", enterprises=[mine]),
        "stranger": client_as("trainer", enterprises=[other]),
        "uploads": tmp_path / "uploads",
    }


def _upload(client, visit_id, data, name="floor.jpg", caption="Cutting room after 5S"):
    return client.post(
        f"/training/visits/{visit_id}/photos",
        data={"photo": (io.BytesIO(data), name), "caption": caption},
        content_type="multipart/form-data",
    )


def _photos(app) -> list[VisitPhoto]:
    with app.app_context():
        photos = db.session.scalars(select(VisitPhoto)).all()
        db.session.expunge_all()
        return photos


def _files(world) -> list[Path]:
    return sorted(world["uploads"].glob("*")) if world["uploads"].exists() else []


def test_a_photo_taken_at_a_visit_is_kept_cleaned_and_shown_to_the_owner(app, visit_world):
    response = _upload(visit_world["trainer"], visit_world["visit"], phone_jpeg())
    assert response.status_code == 302
    (photo,) = _photos(app)
    assert photo.caption == "Cutting room after 5S" and photo.content_type == "image/jpeg"
    page = visit_world["owner"].get(f"/training/visits/{visit_world['visit']}").get_data(True)
    assert f'src="/training/visit-photos/{photo.id}"' in page
    assert 'alt="Cutting room after 5S"' in page
    served = visit_world["owner"].get(f"/training/visit-photos/{photo.id}")
    assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(served.data)) as image:
        assert not image.getexif(), "the phone's GPS position and camera are not kept"


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(app, visit_world):
    response = _upload(visit_world["trainer"], visit_world["visit"], b"%PDF-1.7 report", "a.jpg")
    page = response.get_data(True)
    assert response.status_code == 422
    assert "Only JPEG and PNG photos can be uploaded." in page
    assert 'value="Cutting room after 5S"' in page  # the caption typed is kept
    assert _photos(app) == [] and _files(visit_world) == []


def test_a_photo_over_the_limit_says_its_size_and_the_limit(app, visit_world):
    data = png_bytes()
    response = _upload(
        visit_world["trainer"], visit_world["visit"], data + b"\0" * (6_200_000 - len(data))
    )
    assert response.status_code == 422
    assert "This photo is 6.2 MB; the largest accepted is 5 MB." in response.get_data(True)
    assert _photos(app) == [] and _files(visit_world) == []


def test_a_visit_keeps_twelve_photos_at_most(app, visit_world):
    for _ in range(12):
        assert _upload(visit_world["trainer"], visit_world["visit"], png_bytes()).status_code == 302
    refused = _upload(visit_world["trainer"], visit_world["visit"], png_bytes())
    assert refused.status_code == 422
    assert "A visit keeps 12 photos at most." in refused.get_data(True)
    assert len(_photos(app)) == 12 and len(_files(visit_world)) == 12


def test_the_owner_sees_but_neither_adds_nor_removes_photos(app, visit_world):
    _upload(visit_world["trainer"], visit_world["visit"], png_bytes())
    (photo,) = _photos(app)
    page = visit_world["owner"].get(f"/training/visits/{visit_world['visit']}").get_data(True)
    assert "Upload the photo" not in page and "Remove" not in page
    assert _upload(visit_world["owner"], visit_world["visit"], png_bytes()).status_code == 403
    owner_delete = visit_world["owner"].post(f"/training/visit-photos/{photo.id}/delete")
    assert owner_delete.status_code == 403
    assert len(_photos(app)) == 1


def test_a_trainer_of_another_enterprise_can_neither_see_nor_add_photos(app, visit_world):
    _upload(visit_world["trainer"], visit_world["visit"], png_bytes())
    (photo,) = _photos(app)
    stranger = visit_world["stranger"]
    assert stranger.get(f"/training/visit-photos/{photo.id}").status_code == 404
    assert _upload(stranger, visit_world["visit"], png_bytes()).status_code == 404
    assert stranger.post(f"/training/visit-photos/{photo.id}/delete").status_code == 404
    assert len(_photos(app)) == 1


def test_removing_a_photo_deletes_its_file(app, visit_world):
    _upload(visit_world["trainer"], visit_world["visit"], png_bytes())
    (photo,) = _photos(app)
    response = visit_world["trainer"].post(f"/training/visit-photos/{photo.id}/delete")
    assert response.status_code == 302
    assert _photos(app) == [] and _files(visit_world) == []
    page = visit_world["trainer"].get(response.location).get_data(True)
    assert "The photo is removed." in page and "No photo yet." in page
