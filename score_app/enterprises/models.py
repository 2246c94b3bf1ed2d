"""Enterprises, the users who belong to them, their people and EIT, and data-sharing consent."""

import enum
from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from score_app.extensions import Edited, db, utcnow, value_enum

enterprise_members = Table(
    "enterprise_members",
    db.metadata,
    Column(
        "enterprise_id", Integer, ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Enterprise(Edited, db.Model):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Accent- and case-free copy of the name: "cong ty" finds "Công ty" on any database.
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str] = mapped_column(String(120), default="")
    sector: Mapped[str] = mapped_column(String(40), index=True)
    product: Mapped[str] = mapped_column(String(200), default="")
    workers_women: Mapped[int] = mapped_column(default=0)
    workers_men: Mapped[int] = mapped_column(default=0)
    joined_on: Mapped[date | None]
    cohort: Mapped[str] = mapped_column(String(60), default="", index=True)
    data_sharing_consent: Mapped[bool] = mapped_column(default=False)
    consent_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list["User"]] = relationship(  # noqa: F821
        secondary=enterprise_members, back_populates="enterprises", order_by="User.full_name"
    )

    people: Mapped[list["Person"]] = relationship(
        back_populates="enterprise", order_by="Person.full_name"
    )

    @property
    def workers_total(self) -> int:
        return self.workers_women + self.workers_men


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"


class JobRole(enum.StrEnum):
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    WORKER = "worker"


class Person(Edited, db.Model):
    """Someone who works at an enterprise and takes part in training; no account needed."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[Sex] = mapped_column(value_enum(Sex, 20))
    job_role: Mapped[JobRole] = mapped_column(value_enum(JobRole, 20))
    # Member of the Enterprise Improvement Team (EIT).
    is_eit_member: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped["Enterprise"] = relationship(back_populates="people")
