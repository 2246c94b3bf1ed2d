"""Evidence photos kept in the database (SCORE_STORAGE=database), where every app server finds
them: saved and deleted with the rows that name them, photos kept in the folder before the
switch still shown, and `flask score storage move-to-database` moving them in."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from score_app.extensions import db
from score_app.plans.models import ActionPhoto
from score_app.storage import StoredFile
from tests.conftest import post_seen
from tests.plans.conftest import add_action, jpeg_bytes, png_bytes


@pytest.fixture
def in_database(app):
    app.config["SCORE_STORAGE"] = "database"
    return app


def _upload(client, action_id, data=None):
    return client.post(
        f"/actions/{action_id}/photos",
        data={"photo": (io.BytesIO(data or png_bytes()), "after.png"), "caption": "After"},
        content_type="multipart/form-data",
    )


def _stored(app) -> dict[str, bytes]:
    with app.app_context():
        return dict(db.session.execute(select(StoredFile.name, StoredFile.data)).all())


def _photos(app) -> list[tuple[int, str]]:
    with app.app_context():
        return db.session.execute(
            select(ActionPhoto.id, ActionPhoto.stored_name).order_by(ActionPhoto.id)
        ).all()


def _folder(app) -> Path:
    return Path(app.config["SCORE_UPLOAD_DIR"])


def _files(app) -> list[str]:
    folder = _folder(app)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_photo_kept_in_the_database_is_shown_and_nothing_is_written_to_disk(
    in_database, plan_world
):
    app, owner = in_database, plan_world["users"]["owner"]
    action_id = add_action(app, plan_world["plan"], owner.id)
    assert _upload(plan_world["clients"]["owner"], action_id).status_code == 302
    [(photo_id, name)] = _photos(app)
    stored = _stored(app)
    assert list(stored) == [name]
    assert _files(app) == []
    served = plan_world["clients"]["trainer"].get(f"/photos/{photo_id}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == stored[name]
    assert served.headers["Cache-Control"] == "private, max-age=0"


def test_deleting_a_photo_or_its_action_deletes_its_bytes(in_database, plan_world):
    app, client = in_database, plan_world["clients"]["owner"]
    owner = plan_world["users"]["owner"]
    first = add_action(app, plan_world["plan"], owner.id)
    second = add_action(app, plan_world["plan"], owner.id, title="Second action")
    for action_id in (first, first, second):
        assert _upload(client, action_id).status_code == 302
    assert len(_stored(app)) == 3
    photo_id = _photos(app)[0][0]
    assert client.post(f"/photos/{photo_id}/delete").status_code == 302
    assert len(_stored(app)) == 2
    assert post_seen(client, f"/actions/{second}/delete").status_code == 302
    assert len(_photos(app)) == 1
    assert set(_stored(app)) == {name for _, name in _photos(app)}


def test_a_photo_kept_in_the_folder_before_the_switch_is_still_shown(app, plan_world):
    owner = plan_world["users"]["owner"]
    action_id = add_action(app, plan_world["plan"], owner.id)
    assert _upload(plan_world["clients"]["owner"], action_id, jpeg_bytes()).status_code == 302
    [(photo_id, name)] = _photos(app)
    on_disk = (_folder(app) / name).read_bytes()
    app.config["SCORE_STORAGE"] = "database"
    served = plan_world["clients"]["trainer"].get(f"/photos/{photo_id}")
    assert served.status_code == 200 and served.data == on_disk


def test_move_to_database_moves_each_photo_once_and_they_are_still_shown(app, plan_world, runner):
    owner, client = plan_world["users"]["owner"], plan_world["clients"]["owner"]
    action_id = add_action(app, plan_world["plan"], owner.id)
    for data in (png_bytes(), jpeg_bytes()):
        assert _upload(client, action_id, data).status_code == 302
    on_disk = {name: (_folder(app) / name).read_bytes() for name in _files(app)}
    (_folder(app) / "stray.txt").write_bytes(b"no photo names this file")

    app.config["SCORE_STORAGE"] = "database"
    result = runner.invoke(args=["score", "storage", "move-to-database"])
    assert result.exit_code == 0, result.output
    assert f"Moved 2 photos from {_folder(app)} into the database." in result.output
    assert _stored(app) == on_disk
    assert _files(app) == ["stray.txt"]
    for photo_id, name in _photos(app):
        served = plan_world["clients"]["trainer"].get(f"/photos/{photo_id}")
        assert served.status_code == 200 and served.data == on_disk[name]

    again = runner.invoke(args=["score", "storage", "move-to-database"])
    assert "Moved 0 photos" in again.output
    assert _stored(app) == on_disk


def test_move_to_database_refuses_while_photos_are_kept_in_the_folder(app, runner, tmp_path):
    app.config["SCORE_UPLOAD_DIR"] = str(tmp_path)
    (tmp_path / "kept.png").write_bytes(png_bytes())
    result = runner.invoke(args=["score", "storage", "move-to-database"])
    assert result.exit_code == 1
    assert "SCORE_STORAGE is not database" in result.output
    assert (tmp_path / "kept.png").exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
