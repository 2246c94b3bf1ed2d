"""Uploaded measurement files between their preview and their saving.

The file itself is kept under the import folder, or in the database (programme.import_files),
named by the upload's random token; the row
binds the token to the user who uploaded it and records what the saving did.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from score_app.extensions import db, utcnow


class MeasurementImport(db.Model):
    __tablename__ = "measurement_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(4))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the last preview began: a figure of the file saved after it was not in the preview.
    checked_at: Mapped[datetime | None]
    saved_at: Mapped[datetime | None]
    created_count: Mapped[int] = mapped_column(default=0)
    changed_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)

    @property
    def stored_name(self) -> str:
        return f"{self.token}.{self.file_format}"


class ResultsVersion(db.Model):
    """One row: a random token that every commit changing what programme results count (the
    figures, the enterprises and whom they belong to, the training, the plans) replaces, in
    that commit. Results kept by programme/results_cache.py are filed under it."""

    __tablename__ = "results_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
