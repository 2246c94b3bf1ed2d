"""Improvement plans, their actions and evidence photos, and the visits that followed them up.

An enterprise has at most one active plan; starting a new one archives the old, which stays
readable. Money is stored in minor units (cents) of the plan's currency, fixed when the plan
starts, so an amount never changes meaning.
"""

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from score_app.extensions import Edited, db, utcnow, value_enum


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"


OPEN_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class ImprovementPlan(db.Model):
    __tablename__ = "improvement_plans"
    __table_args__ = (
        # One active plan per enterprise; archived ones are kept.
        Index(
            "uq_improvement_plans_active",
            "enterprise_id",
            unique=True,
            sqlite_where=Column("archived_at").is_(None),
            postgresql_where=Column("archived_at").is_(None),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    archived_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped["Enterprise"] = relationship()  # noqa: F821
    created_by: Mapped["User | None"] = relationship()  # noqa: F821
    actions: Mapped[list["PlanAction"]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="(PlanAction.due_date, PlanAction.id)",
    )

    @property
    def is_active(self) -> bool:
        return self.archived_at is None


visit_actions = Table(
    "visit_actions",
    db.metadata,
    Column("visit_id", Integer, ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "action_id", Integer, ForeignKey("plan_actions.id", ondelete="CASCADE"), primary_key=True
    ),
)


class PlanAction(Edited, db.Model):
    """One improvement action of the EIT: the problem, its root cause, what is done about it,
    by whom and when, the indicator it should move, and what it costs and saves."""

    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("improvement_plans.id", ondelete="CASCADE"), index=True
    )
    problem: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date | None]
    due_date: Mapped[date] = mapped_column(index=True)
    status: Mapped[ActionStatus] = mapped_column(
        value_enum(ActionStatus, 20), default=ActionStatus.PLANNED, index=True
    )
    module_slug: Mapped[str] = mapped_column(String(80), default="")
    indicator: Mapped[str] = mapped_column(String(40), default="")
    target_value: Mapped[float | None]
    estimated_cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    realised_savings_minor: Mapped[int | None] = mapped_column(BigInteger)
    done_on: Mapped[date | None]
    # Who made the action done as it stands (or changed it since): someone else verifies it.
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[ImprovementPlan] = relationship(back_populates="actions")
    verified_by: Mapped["User | None"] = relationship(foreign_keys=[verified_by_id])  # noqa: F821
    photos: Mapped[list["ActionPhoto"]] = relationship(
        back_populates="plan_action", cascade="all, delete-orphan", order_by="ActionPhoto.id"
    )
    visits: Mapped[list["Visit"]] = relationship(  # noqa: F821
        secondary=visit_actions, order_by="Visit.visit_date"
    )

    def marked_done_by(self, user) -> bool:
        """Whether the user marked the action done as it stands: they cannot verify it."""
        return self.done_by_id == user.id

    def is_overdue(self, today: date) -> bool:
        return self.status in OPEN_STATUSES and self.due_date < today


class ActionPhoto(db.Model):
    """A photo that shows an action's result; the file lives in the upload folder, not static/."""

    __tablename__ = "action_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int]
    caption: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan_action: Mapped[PlanAction] = relationship(back_populates="photos")
