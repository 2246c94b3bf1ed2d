"""Where an import's files wait between upload, check and save: with SCORE_STORAGE=database in
the database, which every app server and worker of a cluster reads (nothing on the server's own
disk); with the local default in the import folder, as before. Either way a file no longer kept
says so on the job's page."""

import html
import io
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from score_app.auth.models import User
from score_app.extensions import db
from score_app.kpis.models import Measurement, MeasurementAudit
from score_app.programme import jobs as import_jobs
from score_app.programme.models import MeasurementImport
from score_app.storage import StoredFile
from tests.programme.conftest import check, counts, csv_bytes, row, save, xlsx_bytes

FEBRUARY = {"start": "2025-02-01", "end": "2025-02-28"}
GONE = "This file is no longer kept: upload it again."


@pytest.fixture
def in_database(app, programme_world):
    app.config["SCORE_STORAGE"] = "database"
    return programme_world


def _stored(app) -> dict[str, bytes]:
    with app.app_context():
        return dict(db.session.execute(select(StoredFile.name, StoredFile.data)).all())


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _import_folder(app) -> Path:
    return Path(app.config["SCORE_IMPORT_DIR"])


def _left_on_disk(app) -> list[Path]:
    folder = _import_folder(app)
    return list(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_with_files_in_the_database_an_import_is_checked_and_saved_without_the_disk(
    app, in_database, kind
):
    client = in_database["clients"]["staff"]
    accra = in_database["enterprises"]["accra"].id
    rows = [row(accra, **FEBRUARY), row(accra, start="2025-03-01", end="2025-03-31")]
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    page, token = check(client, data, f"figures.{kind}")
    assert counts(page)["New"] == 2
    kept = _stored(app)
    assert kept[f"imports/{token}.{kind}"] == data
    assert f"imports/{token}.checked.jsonl" in kept, "what the check found waits for the save"
    assert _left_on_disk(app) == []

    before = _count(app, Measurement)
    assert "Saved: 2 new measurements" in save(client, token)
    assert _count(app, Measurement) == before + 2
    assert not [name for name in _stored(app) if name.startswith("imports/")], (
        "the save deleted the import's files with the rows it wrote"
    )
    assert _left_on_disk(app) == []


def test_a_file_checked_again_replaces_what_its_last_check_kept(app, in_database):
    client = in_database["clients"]["staff"]
    accra = in_database["enterprises"]["accra"].id
    _page, token = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    first = _stored(app)[f"imports/{token}.checked.jsonl"]
    assert client.get(f"/programme/imports/{token}", follow_redirects=True).status_code == 200
    again = _stored(app)[f"imports/{token}.checked.jsonl"]
    assert first != again, "the second check began later, and says so"
    assert len([name for name in _stored(app) if name.startswith("imports/")]) == 2


def test_a_file_that_cannot_be_saved_keeps_no_checked_rows(app, in_database):
    client = in_database["clients"]["staff"]
    page, token = check(client, csv_bytes([row("not a number")]))
    assert counts(page)["errors"] == 1
    assert [name for name in _stored(app) if name.startswith("imports/")] == [
        f"imports/{token}.csv"
    ]


def test_a_refused_upload_leaves_nothing_in_the_database(app, in_database):
    client = in_database["clients"]["staff"]
    response = client.post(
        "/programme/imports",
        data={"file": (io.BytesIO(b"no,columns\n"), "figures.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert _stored(app) == {}
    assert _left_on_disk(app) == []


@pytest.mark.parametrize("storage", ["database", "local"])
def test_a_file_no_longer_kept_says_to_upload_it_again(app, programme_world, storage):
    app.config["SCORE_STORAGE"] = storage
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    _page, token = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    with app.app_context():
        db.session.execute(delete_stored())
        db.session.commit()
    for path in _left_on_disk(app):
        path.unlink()
    before = _count(app, Measurement)
    page = html.unescape(save(client, token))
    assert GONE in page
    assert _count(app, Measurement) == before
    checked = client.get(f"/programme/imports/{token}", follow_redirects=True)
    assert checked.status_code == 200 and GONE in html.unescape(checked.get_data(True))


@pytest.mark.parametrize("storage", ["database", "local"])
def test_a_second_save_job_of_a_saved_file_says_it_was_saved_not_to_upload_it_again(
    app, programme_world, storage
):
    """A double click on Save queues two jobs before either runs; the first saves the rows and
    takes the file with it."""
    app.config["SCORE_STORAGE"] = storage
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    _page, token = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    before = _count(app, Measurement)
    with app.test_request_context():
        upload = db.session.scalar(
            select(MeasurementImport).where(MeasurementImport.token == token)
        )
        user = db.session.get(User, upload.user_id)
        first = import_jobs.start(user, upload, save=True, locale="en")
        second = import_jobs.start(user, upload, save=True, locale="en")
        first_id, second_id = first.id, second.id
    assert _count(app, Measurement) == before + 1
    for job_id in (first_id, second_id):
        page = html.unescape(client.get(f"/jobs/{job_id}").get_data(True))
        assert GONE not in page
    assert "This file was already saved." in page


def delete_stored():
    return StoredFile.__table__.delete()


def test_the_message_for_a_file_no_longer_kept_is_in_the_users_language(app, in_database):
    client = in_database["clients"]["staff_fr"]
    accra = in_database["enterprises"]["accra"].id
    _page, token = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    with app.app_context():
        db.session.execute(delete_stored())
        db.session.commit()
    assert "Ce fichier n'est plus conservé : téléversez-le à nouveau." in html.unescape(
        save(client, token)
    )


def test_files_of_imports_left_unsaved_for_a_day_are_swept(app, in_database):
    client = in_database["clients"]["staff"]
    accra = in_database["enterprises"]["accra"].id
    _page, old = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    long_ago = datetime(2020, 1, 1)
    with app.app_context():
        db.session.execute(
            update(MeasurementImport)
            .where(MeasurementImport.token == old)
            .values(uploaded_at=long_ago)
        )
        # A file whose import went another way (its user deleted, say) goes after a day too.
        db.session.add(
            StoredFile(name="imports/orphan.csv", content_type="text/csv", size_bytes=1, data=b"x",
                       created_at=long_ago)
        )  # fmt: skip
        db.session.commit()
    _page, new = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    assert sorted(_stored(app)) == [f"imports/{new}.checked.jsonl", f"imports/{new}.csv"]
    assert client.get(f"/programme/imports/{old}").status_code == 404


def test_a_photo_kept_in_the_database_is_not_touched_by_the_sweep(app, in_database):
    client = in_database["clients"]["staff"]
    accra = in_database["enterprises"]["accra"].id
    with app.app_context():
        db.session.add(
            StoredFile(name="photo.png", content_type="image/png", size_bytes=1, data=b"p",
                       created_at=datetime(2020, 1, 1))
        )  # fmt: skip
        db.session.commit()
    check(client, csv_bytes([row(accra, **FEBRUARY)]))
    assert "photo.png" in _stored(app)


def test_with_the_local_default_the_import_stays_in_its_folder(app, programme_world):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    _page, token = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    assert sorted(p.name for p in _left_on_disk(app)) == [
        f"{token}.checked.jsonl",
        f"{token}.csv",
    ]
    assert _stored(app) == {}
    before = _count(app, MeasurementAudit)
    assert "Saved: 1 new measurement" in save(client, token)
    assert _count(app, MeasurementAudit) == before + 1
    assert _left_on_disk(app) == []
