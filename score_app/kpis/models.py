"""Measurements of an enterprise's indicators, their audit trail, and good-practice checklists.

A measurement stores its two raw inputs as entered, in the order the indicator defines them;
the value is derived from them by the indicator's formula whenever they change.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from score_app.catalog.indicators import BY_CODE, Indicator
from score_app.extensions import Versioned, db, utcnow, value_enum


class Phase(enum.StrEnum):
    BASELINE = "baseline"
    FOLLOW_UP = "follow_up"


class Status(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFIED = "verified"


LATEST_INDEX_COLUMNS = (
    "is_latest", "phase", "enterprise_id", "indicator", "value", "input_1", "input_2",
    "period_start", "period_end",
)  # fmt: skip


def named_inputs(indicator: str, input_1: float, input_2: float) -> dict[str, float]:
    """A measurement's two raw inputs by the names its indicator gives them, in its order."""
    first, second = BY_CODE[indicator].inputs
    return {first.name: input_1, second.name: input_2}


class Measurement(Versioned, db.Model):
    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "indicator", "phase", "period_start", "period_end"),
        # The programme results read only the marked pair, and read it from this index alone
        # (it holds the value, both inputs and the period).
        Index("ix_measurements_latest", *LATEST_INDEX_COLUMNS),
        # Figures still to verify are few among many verified ones: an index of those alone.
        Index(
            "ix_measurements_unverified",
            "enterprise_id",
            sqlite_where=text("status != 'verified'"),
            postgresql_where=text("status != 'verified'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    indicator: Mapped[str] = mapped_column(String(40), index=True)
    phase: Mapped[Phase] = mapped_column(value_enum(Phase, 20))
    period_start: Mapped[date]
    period_end: Mapped[date]
    input_1: Mapped[float]
    input_2: Mapped[float]
    value: Mapped[float]
    status: Mapped[Status] = mapped_column(value_enum(Status, 20), default=Status.DRAFT)
    comment: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    # One of the current before/after pair of its enterprise's indicator (kpis.cycles: the
    # latest reported follow-up and its cycle's baseline), which programme results count; kept
    # true by every write in the same transaction (kpis.services.refresh_latest), never by a
    # batch.
    is_latest: Mapped[bool] = mapped_column(default=False, server_default=false())
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise: Mapped["Enterprise"] = relationship()  # noqa: F821
    entered_by: Mapped["User | None"] = relationship(foreign_keys=[entered_by_id])  # noqa: F821
    verified_by: Mapped["User | None"] = relationship(foreign_keys=[verified_by_id])  # noqa: F821

    @property
    def definition(self) -> Indicator:
        return BY_CODE[self.indicator]

    @property
    def inputs(self) -> dict[str, float]:
        return named_inputs(self.indicator, self.input_1, self.input_2)

    @property
    def period_days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    @property
    def is_locked(self) -> bool:
        return self.status == Status.VERIFIED


class AuditAction(enum.StrEnum):
    CREATE = "create"
    EDIT = "edit"
    SUBMIT = "submit"
    VERIFY = "verify"
    REOPEN = "reopen"
    # Submitted figures returned to draft by their verifier, with the reason.
    SEND_BACK = "send_back"
    DELETE = "delete"


class MeasurementAudit(db.Model):
    """One change to a measurement: who, when, before and after, and why.

    Rows outlive the measurement they describe, so deletions stay on record.
    """

    __tablename__ = "measurement_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    measurement_id: Mapped[int] = mapped_column(index=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    indicator: Mapped[str] = mapped_column(String(40))
    action: Mapped[AuditAction] = mapped_column(value_enum(AuditAction, 20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    old_inputs: Mapped[dict | None] = mapped_column(JSON)
    old_value: Mapped[float | None]
    new_inputs: Mapped[dict | None] = mapped_column(JSON)
    new_value: Mapped[float | None]
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The device's operation that made the change, when a sync did (auth.models.SyncOperation:
    # the device, its time and the sync's).
    sync_operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_operations.id", ondelete="SET NULL")
    )

    user: Mapped["User | None"] = relationship()  # noqa: F821
    sync_operation: Mapped["SyncOperation | None"] = relationship()  # noqa: F821


class ChecklistAssessment(db.Model):
    """The good-practice checklist as found on one day, at baseline or at a follow-up."""

    __tablename__ = "checklist_assessments"
    __table_args__ = (UniqueConstraint("enterprise_id", "phase", "assessed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[Phase] = mapped_column(value_enum(Phase, 20))
    assessed_on: Mapped[date]
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Ids of the checklist items (from modules/) found in place.
    present_items: Mapped[list] = mapped_column(JSON, default=list)
    # Ids of every item that was looked at, so "absent" differs from "not assessed".
    assessed_items: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
