"""A job's record: who asked for what, where it stands, what came of it, and the document it
made, kept in the database so that every app server can show and serve it."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from score_app.extensions import db, utcnow, value_enum


class JobState(enum.StrEnum):
    QUEUED = "queued"
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"


DONE_STATES = frozenset({JobState.FINISHED, JobState.FAILED})


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # What the kind needs to run (ids, filters), as JSON; the label names it for people.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    label: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(8))
    state: Mapped[JobState] = mapped_column(
        value_enum(JobState, length=10),
        default=JobState.QUEUED,
        index=True,
    )
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    # What the kind found (an import's report), as JSON; the error is already in the
    # asker's language.
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # The worker running it ("host:pid:random"), so that a worker starting on the same host
    # can tell that it died.
    worker_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    file: Mapped["JobFile | None"] = relationship(
        back_populates="job", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )

    @property
    def is_done(self) -> bool:
        return self.state in DONE_STATES


class JobFile(db.Model):
    """The document a job made, as bytes, until it expires."""

    __tablename__ = "job_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    job: Mapped[Job] = relationship(back_populates="file")
