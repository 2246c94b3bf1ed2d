"""Workshops and their days, in-factory visits, attendance and certificates."""

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from score_app.extensions import Edited, db, utcnow

workshop_enterprises = Table(
    "workshop_enterprises",
    db.metadata,
    Column(
        "workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "enterprise_id", Integer, ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Workshop(Edited, db.Model):
    """A classroom workshop of one module for several enterprises, on one or more days."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_slug: Mapped[str] = mapped_column(String(80), index=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    place: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trainer: Mapped["User"] = relationship(foreign_keys=[trainer_id])  # noqa: F821
    enterprises: Mapped[list["Enterprise"]] = relationship(  # noqa: F821
        secondary=workshop_enterprises, order_by="Enterprise.name_folded"
    )
    days: Mapped[list["WorkshopDay"]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="WorkshopDay.day_date"
    )

    @property
    def start_date(self) -> date | None:
        return self.days[0].day_date if self.days else None

    @property
    def end_date(self) -> date | None:
        return self.days[-1].day_date if self.days else None


class WorkshopDay(db.Model):
    __tablename__ = "workshop_days"
    __table_args__ = (UniqueConstraint("workshop_id", "day_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    day_date: Mapped[date]

    workshop: Mapped[Workshop] = relationship(back_populates="days")


class Attendance(db.Model):
    """A person marked present on a workshop day; absence is the lack of a row."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("workshop_day_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_day_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_days.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Visit(Edited, db.Model):
    """A trainer's in-factory visit: what was found and what was agreed with the EIT."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    module_slug: Mapped[str] = mapped_column(String(80))
    visit_date: Mapped[date] = mapped_column(index=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    findings: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped["Enterprise"] = relationship()  # noqa: F821
    trainer: Mapped["User"] = relationship(foreign_keys=[trainer_id])  # noqa: F821
    photos: Mapped[list["VisitPhoto"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitPhoto.id"
    )


class VisitPhoto(db.Model):
    """A photo taken at a visit; kept as evidence photos of plan actions are (plans/photos.py),
    the file in the upload folder, not static/."""

    __tablename__ = "visit_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int]
    caption: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="photos")


class Certificate(db.Model):
    """Proof that a person attended every day of a workshop.

    The printed details are copied at issue time, so the certificate keeps saying what it said.
    """

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("workshop_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    participant_name: Mapped[str] = mapped_column(String(200))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    trainer_name: Mapped[str] = mapped_column(String(200))
    module_slug: Mapped[str] = mapped_column(String(80))
    start_date: Mapped[date]
    end_date: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    workshop: Mapped[Workshop] = relationship()
    person: Mapped["Person"] = relationship()  # noqa: F821

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
