"""Where the evidence photos' bytes are kept (SCORE_STORAGE): a folder on the app server's disk
(`local`, the embedded default), or a table of the database (`database`), which every app server
of a cluster reads alike and which a database backup holds with the rows that name the photos.

A photo's row and its bytes are saved together: the caller puts the bytes, adds its row and
commits once. In the database the bytes are part of that commit; in a folder the file is written
first and taken back when the commit fails, and removed only after the row's deletion committed,
so no row ever names a missing file."""

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from score_app.extensions import db, utcnow

KINDS = ("local", "database")


class StoredFile(db.Model):
    """A file's bytes kept in the database: BYTEA on PostgreSQL, BLOB on SQLite."""

    __tablename__ = "stored_files"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FolderStorage:
    """Files in one folder of the server's disk (SCORE_UPLOAD_DIR)."""

    kind = "local"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Write the file now; `take_back` removes it if the row naming it is not saved."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)

    def take_back(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        """Nothing before the commit: the file stays until the row that names it is gone."""

    def after_delete(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    def read(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None

    def count(self) -> int:
        if not self.folder.is_dir():
            return 0
        return sum(1 for p in self.folder.iterdir() if p.is_file() and not p.name.startswith("."))


class DatabaseStorage(FolderStorage):
    """Files in the `stored_files` table, saved and deleted in the caller's own commit. Photos
    kept in the folder before the switch are still read from it until `move_to_database` has
    moved them."""

    kind = "database"

    def put(self, name: str, data: bytes, content_type: str) -> None:
        db.session.add(
            StoredFile(name=name, content_type=content_type, size_bytes=len(data), data=data)
        )

    def take_back(self, name: str) -> None:
        """The rollback took the bytes back with the row."""

    def delete(self, name: str) -> None:
        db.session.execute(sa.delete(StoredFile).where(StoredFile.name == name))

    def after_delete(self, name: str) -> None:
        super().after_delete(name)  # a photo from before the switch, still in the folder

    def read(self, name: str) -> bytes | None:
        data = db.session.scalar(sa.select(StoredFile.data).where(StoredFile.name == name))
        return data if data is not None else super().read(name)

    def count(self) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile))


def current(folder: Path | None = None) -> FolderStorage:
    """The storage the settings choose, with `folder` (default SCORE_UPLOAD_DIR) as the folder
    it keeps files in, or reads older ones from."""
    folder = Path(folder or current_app.config["SCORE_UPLOAD_DIR"])
    if current_app.config["SCORE_STORAGE"] == "database":
        return DatabaseStorage(folder)
    return FolderStorage(folder)


def move_to_database(folder: Path, names: list[str], content_types: dict[str, str]) -> tuple:
    """Copy each named file of `folder` into the database, commit, then delete the copied files.
    Returns (moved, missing): how many files moved, and the names found neither in the folder
    nor in the database. Files already in the database are left alone (a second run moves
    nothing); each file is committed on its own, so an interrupted run loses nothing."""
    moved, missing = 0, []
    stored = set(db.session.scalars(sa.select(StoredFile.name)))
    for name in names:
        if name in stored:
            (folder / name).unlink(missing_ok=True)  # copied by an interrupted run
            continue
        path = folder / name
        if not path.is_file():
            missing.append(name)
            continue
        data = path.read_bytes()
        db.session.add(
            StoredFile(
                name=name,
                content_type=content_types[name],
                size_bytes=len(data),
                data=data,
            )
        )
        db.session.commit()
        path.unlink()
        moved += 1
    return moved, missing
