"""`flask score backup` and `flask score restore`: the database and the evidence photos in one
archive, put back exactly; refusals that say why and change nothing."""

import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from score_app import backup, demo
from score_app.auth.models import Role, User
from score_app.backup import MANIFEST, schema_head
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.plans import services as plan_services
from score_app.plans.models import ActionPhoto, ImprovementPlan, PlanAction
from score_app.storage import StoredFile
from tests.conftest import sign_in
from tests.plans.conftest import jpeg_bytes, png_bytes
from tests.programme.conftest import check, csv_bytes, row, save

# A backup and a restore read and write the database from connections (or processes) of
# their own.
pytestmark = pytest.mark.committing


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(SCORE_UPLOAD_DIR=str(tmp_path / "uploads"))


@pytest.fixture
def filled(app):
    """The demo (every kind of row) and two evidence photos; returns the photos' bytes by name."""
    with app.app_context():
        demo.load()
        action = db.session.scalar(
            sa.select(PlanAction)
            .join(ImprovementPlan)
            .where(ImprovementPlan.archived_at.is_(None))
            .order_by(PlanAction.id)
            .limit(1)
        )
        user = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).limit(1))
        for data in (png_bytes(), jpeg_bytes()):
            plan_services.add_photo(
                user, action, data=data, caption="After", upload_dir=_uploads(app), max_bytes=10**6
            )
        return {p.name: p.read_bytes() for p in _uploads(app).iterdir()}


@pytest.fixture
def archive(app, runner, create_enterprise, tmp_path) -> Path:
    """A backup of one enterprise and one photo."""
    create_enterprise()
    _uploads(app).mkdir()
    (_uploads(app) / "photo.png").write_bytes(png_bytes())
    path = tmp_path / "score.tar.gz"
    assert _backup(runner, path).exit_code == 0
    return path


def _uploads(app) -> Path:
    return Path(app.config["SCORE_UPLOAD_DIR"])


def _rows(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary key order."""
    with app.app_context():
        return {
            table.name: db.session.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            ).all()
            for table in db.metadata.sorted_tables
        }


def _backup(runner, path: Path):
    return runner.invoke(args=["score", "backup", str(path)])


def _restore(runner, path: Path, *flags: str):
    return runner.invoke(args=["score", "restore", str(path), *flags])


def test_a_restore_brings_back_every_row_and_every_photo(app, runner, filled, tmp_path):
    before = _rows(app)
    assert all(before[name] for name in ("users", "measurements", "plan_actions", "attendance"))
    archive = tmp_path / "score.tar.gz"
    result = _backup(runner, archive)
    assert result.exit_code == 0, result.output
    assert f"at schema revision {schema_head()} and 2 photos" in result.output

    with app.app_context():
        demo.erase_all()
    for photo in _uploads(app).iterdir():
        photo.unlink()
    (_uploads(app) / "stray.png").write_bytes(b"not from the backup")

    result = _restore(runner, archive, "--yes")
    assert result.exit_code == 0, result.output
    assert "Restored the database and 2 photos" in result.output
    assert "db upgrade" not in result.output
    after = _rows(app)
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    for name in before:
        assert after[name] == before[name], name
    assert {p.name: p.read_bytes() for p in _uploads(app).iterdir()} == filled


def test_a_restored_database_serves_pages_and_keeps_numbering(app, runner, filled, tmp_path):
    archive = tmp_path / "score.tar.gz"
    assert _backup(runner, archive).exit_code == 0
    assert _restore(runner, archive, "--yes").exit_code == 0
    client = app.test_client()
    client.post("/login", data={"email": demo.LOGINS[0][0], "password": demo.PASSWORD})
    with app.app_context():
        photo = db.session.scalar(sa.select(ActionPhoto).order_by(ActionPhoto.id).limit(1))
        photo_id, stored_name = photo.id, photo.stored_name
        last_id = db.session.scalar(sa.select(sa.func.max(Enterprise.id)))
    served = client.get(f"/photos/{photo_id}")
    assert served.status_code == 200 and served.data == filled[stored_name]
    with app.app_context():
        enterprise = Enterprise(name="New", name_folded="new", country="GH", sector="other")
        db.session.add(enterprise)
        db.session.flush()  # the id sequence came back with the rows
        assert enterprise.id == last_id + 1
        db.session.rollback()


def test_photos_kept_in_the_database_come_back_with_it_and_are_shown(make_app, tmp_path):
    """SCORE_STORAGE=database: the photos are rows of the database; the archive counts them, and
    a restore on a machine with no photo folder at all shows them again. A photo kept in the
    folder before the switch is archived from the folder, as before."""
    app = make_app(SCORE_UPLOAD_DIR=str(tmp_path / "uploads"), SCORE_STORAGE="database")
    runner = app.test_cli_runner()
    with app.app_context():
        demo.load()
        action = db.session.scalar(
            sa.select(PlanAction)
            .join(ImprovementPlan)
            .where(ImprovementPlan.archived_at.is_(None))
            .order_by(PlanAction.id)
            .limit(1)
        )
        user = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).limit(1))
        for data in (png_bytes(), jpeg_bytes()):
            plan_services.add_photo(
                user, action, data=data, caption="After", upload_dir=_uploads(app), max_bytes=10**6
            )
        stored = dict(db.session.execute(sa.select(StoredFile.name, StoredFile.data)).all())
    assert len(stored) == 2 and not _uploads(app).exists()
    _uploads(app).mkdir()
    (_uploads(app) / "before-the-switch.png").write_bytes(png_bytes())
    before = _rows(app)
    archive = tmp_path / "score.tar.gz"
    result = _backup(runner, archive)
    assert result.exit_code == 0, result.output
    assert "and 3 photos" in result.output

    with app.app_context():
        demo.erase_all()
    shutil.rmtree(_uploads(app))
    result = _restore(runner, archive, "--yes")
    assert result.exit_code == 0, result.output
    assert "Restored the database and 3 photos" in result.output
    assert _rows(app) == before
    assert (_uploads(app) / "before-the-switch.png").read_bytes() == png_bytes()
    client = app.test_client()
    client.post("/login", data={"email": demo.LOGINS[0][0], "password": demo.PASSWORD})
    with app.app_context():
        photos = db.session.execute(sa.select(ActionPhoto.id, ActionPhoto.stored_name)).all()
    assert {name for _, name in photos} == set(stored)
    for photo_id, name in photos:
        served = client.get(f"/photos/{photo_id}")
        assert served.status_code == 200 and served.data == stored[name]


def test_restore_refuses_to_replace_data_without_yes(app, runner, archive, create_enterprise):
    create_enterprise(name="Entered after the backup")
    before = _rows(app)
    result = _restore(runner, archive)
    assert result.exit_code == 1
    assert "already holds data; nothing was restored. Add --yes" in result.output
    assert _rows(app) == before


def test_restore_into_an_empty_database_needs_no_yes(app, runner, archive):
    before = _rows(app)
    with app.app_context():
        demo.erase_all()
    for photo in _uploads(app).iterdir():
        photo.unlink()
    result = _restore(runner, archive)
    assert result.exit_code == 0, result.output
    assert _rows(app) == before
    assert (_uploads(app) / "photo.png").read_bytes() == png_bytes()


def test_backup_never_overwrites_a_file(app, runner, tmp_path):
    existing = tmp_path / "score.tar.gz"
    existing.write_bytes(b"an older backup")
    result = _backup(runner, existing)
    assert result.exit_code == 1
    assert "already exists: choose a new name" in result.output
    assert existing.read_bytes() == b"an older backup"


def test_an_archive_is_readable_by_its_owner_only(app, runner, tmp_path):
    """It holds the whole database: under the usual umask (022) every account of the machine
    could read it."""
    path = tmp_path / "score.tar.gz"
    previous = os.umask(0o022)
    try:
        assert _backup(runner, path).exit_code == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    other = tmp_path / "photos.tar.gz"
    with tarfile.open(other, "w:gz") as archive:
        archive.add(Path(__file__), arcname="notes.txt")
    for path in (other, Path(__file__)):
        result = _restore(runner, path, "--yes")
        assert result.exit_code == 1
        assert f"{path} is not a score_app backup." in result.output


def _with_manifest(archive: Path, target: Path, extra=(), **changes) -> Path:
    """A copy of a backup whose manifest says something else, with some files added."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == MANIFEST:
                data = json.dumps({**json.loads(data), **changes}).encode()
            _add(copy, member.name, data)
        for name, data in extra:
            _add(copy, name, data)
    return target


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def test_restore_refuses_a_file_that_would_land_outside_its_folders(app, runner, archive, tmp_path):
    sneaky = _with_manifest(archive, tmp_path / "x.tar.gz", [("uploads/../../escaped", b"x")])
    result = _restore(runner, sneaky, "--yes")
    assert result.exit_code == 1
    assert "holds a file named uploads/../../escaped: not restored." in result.output
    assert not list(tmp_path.rglob("escaped"))


def test_restore_refuses_a_schema_revision_the_code_does_not_know(app, runner, archive, tmp_path):
    newer = _with_manifest(archive, tmp_path / "newer.tar.gz", revision="0099_future")
    result = _restore(runner, newer, "--yes")
    assert result.exit_code == 1
    assert "at schema revision 0099_future, which this version of score_app does not know" in (
        result.output
    )
    assert f"(it expects {schema_head()})" in result.output


def test_restore_of_an_older_revision_says_to_upgrade(app, runner, archive, tmp_path):
    older = _with_manifest(archive, tmp_path / "older.tar.gz", revision="0004_plans")
    result = _restore(runner, older, "--yes")
    assert result.exit_code == 0, result.output
    assert "at schema revision 0004_plans; this code expects" in result.output
    assert "Run `flask --app wsgi db upgrade`" in result.output


def test_restore_refuses_a_backup_of_the_other_kind_of_database(app, runner, archive, tmp_path):
    with app.app_context():
        other = {"sqlite": "postgresql", "postgresql": "sqlite"}[db.engine.dialect.name]
    result = _restore(runner, _with_manifest(archive, tmp_path / "x.tar.gz", database=other))
    assert result.exit_code == 1
    assert f"This backup holds a {other} database" in result.output


PG_URL = "postgresql+psycopg://score:s3cret@db.example.org:5433/score?sslmode=require"


def test_pg_dump_gets_the_password_from_the_environment_never_the_command_line(
    app, make_app, monkeypatch, tmp_path
):
    calls = []

    def run(args, **kwargs):
        calls.append((args, kwargs["env"]))
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(shutil, "which", lambda program: f"/usr/bin/{program}")
    with make_app(SQLALCHEMY_DATABASE_URI=PG_URL).app_context():
        backup._pg_dump(tmp_path / "database.pgdump")
    [(args, env)] = calls
    assert args[:2] == [
        "pg_dump",
        "--dbname=postgresql://score@db.example.org:5433/score?sslmode=require",
    ]
    assert "--format=custom" in args and "--no-password" in args
    assert not any("s3cret" in arg for arg in args)
    assert env["PGPASSWORD"] == "s3cret"


def test_a_missing_pg_dump_says_what_to_install(app, make_app, monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda program: None)
    other = make_app(SQLALCHEMY_DATABASE_URI=PG_URL)
    with other.app_context(), pytest.raises(backup.BackupError) as refused:
        backup._pg_dump(tmp_path / "database.pgdump")
    assert str(refused.value).startswith("pg_dump was not found. Install the PostgreSQL client")
    assert "postgresql-client" in str(refused.value)


def test_backup_says_when_the_database_cannot_be_reached(app, make_app, tmp_path):
    down = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://score@127.0.0.1:1/score")
    result = down.test_cli_runner().invoke(args=["score", "backup", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 1
    assert result.output.startswith("The database cannot be reached: connection failed")
    assert not (tmp_path / "b.tar.gz").exists()


def test_an_import_waiting_for_its_save_comes_back_with_the_database_ready_to_save(
    make_app, create_enterprise, create_user, tmp_path
):
    """SCORE_STORAGE=database: a checked import's file and what its check found are rows of the
    database; a restore brings them back, not counted as photos, and the import saves."""
    app = make_app(
        SCORE_UPLOAD_DIR=str(tmp_path / "uploads"),
        SCORE_IMPORT_DIR=str(tmp_path / "imports"),
        SCORE_STORAGE="database",
    )
    runner = app.test_cli_runner()
    accra = create_enterprise(name="Accra Works", country="GH")
    client = sign_in(app.test_client(), create_user("programme_staff", countries=["GH"]))
    _page, token = check(client, csv_bytes([row(accra.id, start="2025-02-01", end="2025-02-28")]))
    archive = tmp_path / "score.tar.gz"
    result = _backup(runner, archive)
    assert result.exit_code == 0, result.output
    assert "and 0 photos" in result.output

    with app.app_context():
        demo.erase_all()
    result = _restore(runner, archive, "--yes")
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = set(db.session.scalars(sa.select(StoredFile.name)))
    assert names == {f"imports/{token}.csv", f"imports/{token}.checked.jsonl"}
    assert "Saved: 1 new measurement" in save(client, token)
    assert not Path(app.config["SCORE_IMPORT_DIR"]).exists(), "nothing went through the disk"
