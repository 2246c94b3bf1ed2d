"""Backups: the database and the evidence photos in one archive, and putting them back.

An archive is a gzipped tar holding `manifest.json` (what it is, which database, the schema
revision), the database (an SQLite copy made with SQLite's online backup, or a `pg_dump`
custom-format dump) and `uploads/`, the evidence photos kept in a folder; photos kept in the
database (SCORE_STORAGE=database) are in its dump, and so are the files of measurement imports
waiting for their save (programme.import_files), which a restore puts back ready to save.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from score_app.config import MIGRATIONS_DIR
from score_app.extensions import db, utcnow
from score_app.programme import import_files
from score_app.storage import StoredFile

APP = "score_app"
FORMAT = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PG_INSTALL_HINT = (
    "Install the PostgreSQL client programs, in a version at least the server's "
    "(Debian: apt-get install postgresql-client, or `make system-packages`)."
)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    app: str
    format: int
    database: str
    revision: str
    created: str
    photos: int


def create(path: Path) -> Manifest:
    """Write the database and the evidence photos to a new archive at `path`."""
    if path.exists():
        raise BackupError(f"{path} already exists: choose a new name, backups never overwrite.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    dialect, revision = _dialect(), current_revision()
    if revision is None:
        raise BackupError("The database has no schema yet: there is nothing to back up.")
    uploads = upload_dir()
    photos = [p for p in uploads.rglob("*") if p.is_file()] if uploads.is_dir() else []
    count = len(photos) + _photos_in_database()
    manifest = Manifest(APP, FORMAT, dialect, revision, utcnow().isoformat(), count)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".score-backup-") as work:
        dump, about = Path(work) / DUMP_NAMES[dialect], Path(work) / MANIFEST
        _DUMPERS[dialect](dump)
        about.write_text(json.dumps(asdict(manifest), indent=2))
        partial = Path(work) / "backup.tar.gz"
        # Readable by its owner only from the start, before a byte of the database is in it.
        partial.touch(mode=0o600, exist_ok=False)
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(about, arcname=MANIFEST)
            archive.add(dump, arcname=dump.name)
            for photo in photos:
                archive.add(photo, arcname=f"{UPLOADS}/{photo.relative_to(uploads).as_posix()}")
        os.replace(partial, path)  # a half-written archive never carries the final name
    return manifest


def restore(path: Path, *, replace: bool) -> Manifest:
    """Put back the database and the evidence photos from an archive made by `create`.

    Refuses to replace a database or a photo folder that holds data unless `replace` is set.
    """
    manifest = read_manifest(path)
    _check_restorable(manifest)
    if _dialect() == "sqlite":  # on a fresh machine: SQLite makes the file, not its folder
        Path(db.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    if not replace and holds_data():
        raise BackupError(
            "The database or the photo folder already holds data; nothing was restored. "
            "Add --yes to replace it with the backup."
        )
    uploads = upload_dir()
    uploads.mkdir(parents=True, exist_ok=True)
    # Unpacked inside the photo folder, on its file system even when it is a mount point.
    with tempfile.TemporaryDirectory(dir=uploads, prefix=".restore-") as work:
        _unpack(path, Path(work))
        _LOADERS[manifest.database](Path(work) / DUMP_NAMES[manifest.database])
        _replace_photos(uploads, Path(work))
    return manifest


def read_manifest(path: Path) -> Manifest:
    """The manifest of a score_app backup, or BackupError when the file is not one."""
    try:
        with tarfile.open(path) as archive:
            manifest = Manifest(**json.load(archive.extractfile(MANIFEST)))
    except (tarfile.TarError, KeyError, TypeError, ValueError, OSError):
        raise BackupError(f"{path} is not a score_app backup.") from None
    if manifest.app != APP or manifest.format != FORMAT:
        raise BackupError(f"{path} is not a score_app backup this version can read.")
    return manifest


def _unpack(path: Path, work: Path) -> None:
    """Unpack the archive's files into `work`; a name that would land outside it is refused,
    and links are never followed (tarfile's extraction filters need Python 3.11.4)."""
    with tarfile.open(path) as archive:
        for member in archive:
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                raise BackupError(f"{path} holds a file named {member.name}: not restored.")
            if member.isfile():
                target = work.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as data, target.open("wb") as out:
                    shutil.copyfileobj(data, out)


def _check_restorable(manifest: Manifest) -> None:
    if manifest.database != _dialect():
        raise BackupError(
            f"This backup holds a {manifest.database} database, but SCORE_DATABASE_URL points "
            f"at {_dialect()}: restore it into a database of the same kind."
        )
    if not is_known_revision(manifest.revision):
        raise BackupError(
            f"This backup is at schema revision {manifest.revision}, which this version of "
            f"score_app does not know (it expects {schema_head()}): restore it with the "
            "release that made it."
        )


def schema_head() -> str:
    """The schema revision this code expects, the last of migrations/."""
    return _scripts().get_current_head()


def is_known_revision(revision: str) -> bool:
    return any(script.revision == revision for script in _scripts().walk_revisions())


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def current_revision() -> str | None:
    """The schema revision the database is at, None when it has no schema."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def holds_data() -> bool:
    """True when any table of the app has a row, or the photo folder has a file; the results
    version's single row, which every migrated database holds, is not data."""
    uploads = upload_dir()
    if uploads.is_dir() and any(p.is_file() for p in uploads.rglob("*")):
        return True
    with db.engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        return any(
            connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
            for table in db.metadata.sorted_tables
            if table.name in present and table.name != "results_version"
        )


def upload_dir() -> Path:
    return Path(current_app.config["SCORE_UPLOAD_DIR"])


def _photos_in_database() -> int:
    """Photos kept in the database (SCORE_STORAGE=database): the dump holds them with the rows
    that name them; photos kept before the switch are still in the folder, archived from it.
    The dump holds the files of imports waiting for their save too, which are not photos."""
    with db.engine.connect() as connection:
        if not sa.inspect(connection).has_table(StoredFile.__tablename__):
            return 0
        return connection.scalar(
            sa.select(sa.func.count())
            .select_from(StoredFile)
            .where(~StoredFile.name.startswith(import_files.PREFIX, autoescape=True))
        )


def _dialect() -> str:
    return db.engine.dialect.name


def _replace_photos(uploads: Path, work: Path) -> None:
    """Swap the photos for the unpacked ones by renames: no photo is ever half-copied.

    The photos found before go to `work`, which is deleted afterwards."""
    previous, restored = work / "previous", work / UPLOADS
    previous.mkdir()
    for entry in uploads.iterdir():
        if entry != work:
            entry.rename(previous / entry.name)
    if restored.is_dir():
        for entry in restored.iterdir():
            entry.rename(uploads / entry.name)


# SQLite: the online backup API copies a consistent snapshot while the app keeps running, and
# restores by writing into the live file under SQLite's own locks.


@contextmanager
def _sqlite_connection() -> Iterator:
    raw = db.engine.raw_connection()
    try:
        yield raw.dbapi_connection
    finally:
        raw.close()
        db.engine.dispose()


def _sqlite_dump(target: Path) -> None:
    with _sqlite_connection() as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


def _sqlite_load(source: Path) -> None:
    with closing(sqlite3.connect(source)) as copy, _sqlite_connection() as live:
        try:
            copy.backup(live)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"The database in the backup cannot be read: {error}.") from None


# PostgreSQL: pg_dump and pg_restore with the connection settings of SCORE_DATABASE_URL; the
# password goes through the environment, never the command line (where `ps` would show it).


def _pg_dump(target: Path) -> None:
    _pg_run("pg_dump", "--format=custom", "--no-password", f"--file={target}")


def _pg_load(source: Path) -> None:
    db.session.remove()
    db.engine.dispose()  # our own idle connections must not hold locks the restore waits for
    _pg_run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",  # all or nothing: a failed restore leaves the database as it was
        "--no-password",
        str(source),
    )


def _pg_run(program: str, *args: str) -> None:
    if shutil.which(program) is None:
        raise BackupError(f"{program} was not found. {PG_INSTALL_HINT}")
    url = db.engine.url
    env = {**os.environ, "PGPASSWORD": url.password} if url.password else dict(os.environ)
    libpq_url = sa.URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    ).render_as_string()
    done = subprocess.run(
        [program, f"--dbname={libpq_url}", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{program} failed: {done.stderr.strip()}")


_DUMPERS = {"sqlite": _sqlite_dump, "postgresql": _pg_dump}
_LOADERS = {"sqlite": _sqlite_load, "postgresql": _pg_load}
