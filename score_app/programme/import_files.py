"""Where a measurement import's files wait between its upload, its check and its save: the
upload (`<token>.<ext>`) and what its check found for the save (`<token>.checked.jsonl`,
programme.checked).

With the local storage (SCORE_STORAGE=local, the embedded default) they are files of the import
folder (SCORE_IMPORT_DIR), which a check and a save work in directly. With SCORE_STORAGE=database
they are rows of the stored files (`imports/<token>.<ext>`, `imports/<token>.checked.jsonl`),
which every app server and worker reads alike, and which a database backup holds: the upload
page checks the file in a folder of its own and keeps it with the import's row; each check or
save copies them into a working folder of its own, removed when it ends, and a check keeps its
checked file back in the database. The save deletes them in the transaction that writes the
rows; files left by imports never saved are swept after a day (imports.discard_stale_uploads).
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select

from score_app import storage
from score_app.extensions import db
from score_app.programme.checked import checked_path
from score_app.programme.models import MeasurementImport
from score_app.storage import StoredFile

PREFIX = "imports/"
# What the stored files' content type says (it holds 50 characters: an XLSX type is longer).
UPLOAD_TYPE, CHECKED_TYPE = "application/octet-stream", "application/x-ndjson"


class FileGone(Exception):
    """The upload's file is no longer kept (swept, or lost with a server's disk)."""


def in_database() -> bool:
    return current_app.config["SCORE_STORAGE"] == "database"


def import_folder() -> Path:
    return Path(current_app.config["SCORE_IMPORT_DIR"])


def stored_key(name: str) -> str:
    return f"{PREFIX}{name}"


def _names(upload: MeasurementImport) -> tuple[str, str]:
    """The upload's file name and its checked file's."""
    return upload.stored_name, checked_path(Path(upload.stored_name)).name


@contextmanager
def upload_folder() -> Iterator[Path]:
    """Where the upload page writes a new file while it looks at it: the import folder, or,
    with the files in the database, a folder of the request's own."""
    if not in_database():
        yield import_folder()
        return
    with tempfile.TemporaryDirectory(prefix="score-upload-") as work:
        yield Path(work)


def keep_upload(path: Path) -> None:
    """With the files in the database, add the accepted upload to the caller's commit (which
    saves the import's row with it)."""
    if in_database():
        _put(path.name, path.read_bytes(), UPLOAD_TYPE)


def _put(name: str, data: bytes, content_type: str) -> None:
    """Add the file to the caller's commit (with the files in the database only)."""
    storage.current().put(stored_key(name), data, content_type)


@contextmanager
def working_folder(upload: MeasurementImport) -> Iterator[Path]:
    """The folder a check or a save of `upload` works in, holding its upload and what its last
    check kept; FileGone when the upload's file is no longer there."""
    if not in_database():
        folder = import_folder()
        if not (folder / upload.stored_name).is_file():
            raise FileGone
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="score-import-") as work:
        folder = Path(work)
        kept = dict(
            db.session.execute(
                select(StoredFile.name, StoredFile.data).where(
                    StoredFile.name.in_([stored_key(name) for name in _names(upload)])
                )
            ).all()
        )
        if stored_key(upload.stored_name) not in kept:
            raise FileGone
        for name in _names(upload):
            if (data := kept.get(stored_key(name))) is not None:
                (folder / name).write_bytes(data)
        yield folder


def keep_checked(upload: MeasurementImport, folder: Path) -> None:
    """After a check in a working folder: put what it kept for the save in the database in
    place of the last check's (or nothing, when this check kept nothing), in the caller's
    commit."""
    if not in_database():
        return
    name = _names(upload)[1]
    db.session.execute(delete(StoredFile).where(StoredFile.name == stored_key(name)))
    checked = folder / name
    if checked.is_file():
        _put(name, checked.read_bytes(), CHECKED_TYPE)


def forget(uploads: list[MeasurementImport]) -> None:
    """Delete the uploads' files kept in the database, in the caller's transaction (the save
    that writes the rows, or the sweep that drops the imports)."""
    if not in_database() or not uploads:
        return
    names = [stored_key(name) for upload in uploads for name in _names(upload)]
    db.session.execute(delete(StoredFile).where(StoredFile.name.in_(names)))


def sweep(before: datetime) -> None:
    """Delete import files kept in the database since before `before`, whatever import they
    were of (one deleted with its user, say), in the caller's transaction."""
    if in_database():
        db.session.execute(
            delete(StoredFile).where(
                StoredFile.name.startswith(PREFIX, autoescape=True),
                StoredFile.created_at < before,
            )
        )
