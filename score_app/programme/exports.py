"""What each programme export holds: its columns and its rows, selected by the programme
filters within the user's scope, read from the database in batches as the file is written.

Measurements and plans carry an enterprise's figures, so programme staff get only enterprises
that consented to share them (`figures_scope`); attendance is a training output and
follows the enterprises in view.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, and_, func, select

from score_app.auth.models import User
from score_app.catalog.indicators import BY_CODE
from score_app.enterprises.access import figures_scope
from score_app.enterprises.models import Enterprise, Person
from score_app.extensions import db
from score_app.i18n import currency_minor_digits
from score_app.kpis.models import Measurement
from score_app.plans.models import ImprovementPlan, PlanAction
from score_app.programme.filters import Filters, enterprises_in_view, in_period
from score_app.programme.spreadsheets import Column
from score_app.training.models import Attendance, Certificate, Workshop, WorkshopDay

BATCH = 1000

# The contract of the measurements file, the same for export and import.
MEASUREMENT_COLUMNS = (
    Column("enterprise_id", 12),
    Column("enterprise", 30),
    Column("country", 8),
    Column("sector", 18),
    Column("cohort", 14),
    Column("indicator", 24),
    Column("phase", 11),
    Column("period_start", 12),
    Column("period_end", 12),
    Column("input_1_name", 22),
    Column("input_1", 12),
    Column("input_2_name", 22),
    Column("input_2", 12),
    Column("value", 10),
    Column("status", 10),
    Column("comment", 40),
)
ATTENDANCE_COLUMNS = (
    Column("workshop_id", 11),
    Column("module", 26),
    Column("place", 20),
    Column("trainer", 22),
    Column("first_day", 12),
    Column("last_day", 12),
    Column("enterprise_id", 12),
    Column("enterprise", 30),
    Column("person_id", 10),
    Column("person", 26),
    Column("sex", 8),
    Column("job_role", 11),
    Column("eit_member", 10),
    Column("days_attended", 13),
    Column("workshop_days", 13),
    Column("certificate", 16),
)
ACTION_COLUMNS = (
    Column("enterprise_id", 12),
    Column("enterprise", 30),
    Column("plan_id", 8),
    Column("plan", 24),
    Column("plan_started_on", 14),
    Column("plan_archived_at", 18),
    Column("action_id", 9),
    Column("problem", 36),
    Column("root_cause", 30),
    Column("action", 36),
    Column("responsible", 20),
    Column("start_date", 12),
    Column("due_date", 12),
    Column("status", 12),
    Column("done_on", 12),
    Column("module", 26),
    Column("indicator", 24),
    Column("target_value", 12),
    Column("currency", 9),
    Column("estimated_cost", 14),
    Column("realised_savings", 16),
    Column("verified_at", 18),
)


@dataclass(frozen=True)
class Export:
    name: str  # in the URL and the file name
    columns: tuple[Column, ...]
    rows: Callable[[User, Filters], Iterator[tuple]]


def _stream(query: Select) -> Iterator:
    """The query's rows in batches, from the first time they are asked for: a download is
    written after its view returns, so the query is built at once and run lazily."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH))


def _ids(enterprises: Select) -> Select:
    return enterprises.with_only_columns(Enterprise.id)


def _with_figures(user: User, filters: Filters) -> Select:
    """The ids of the enterprises in view whose figures the user may take away."""
    return _ids(enterprises_in_view(user, filters).where(figures_scope(user)))


# What a measurement row says of its enterprise, after its id.
ENTERPRISE_FACTS = (Enterprise.name, Enterprise.country, Enterprise.sector, Enterprise.cohort)


def measurement_rows(user: User, filters: Filters) -> Iterator[tuple]:
    """One row per measurement, in MEASUREMENT_COLUMNS, by enterprise, indicator and period."""
    query = (
        select(Measurement, *ENTERPRISE_FACTS)
        .join(Enterprise, Enterprise.id == Measurement.enterprise_id)
        .where(Measurement.enterprise_id.in_(_with_figures(user, filters)), *in_period(filters))
        .order_by(
            Enterprise.name_folded, Enterprise.id, Measurement.indicator,
            Measurement.period_start, Measurement.phase, Measurement.period_end,
        )
    )  # fmt: skip
    return (
        _measurement_row(measurement, *enterprise) for measurement, *enterprise in _stream(query)
    )


def _measurement_row(measurement: Measurement, *enterprise: str) -> tuple:
    """A measurement with its enterprise's name, country, sector and cohort."""
    first, second = BY_CODE[measurement.indicator].inputs
    return (
        measurement.enterprise_id, *enterprise, measurement.indicator, measurement.phase,
        measurement.period_start, measurement.period_end,
        first.name, measurement.input_1, second.name, measurement.input_2,
        round(measurement.value, 6), measurement.status, measurement.comment,
    )  # fmt: skip


def attendance_rows(user: User, filters: Filters) -> Iterator[tuple]:
    """One row per person and workshop they attended, in ATTENDANCE_COLUMNS. The module filter
    keeps that module's workshops, the period the workshops held within it."""
    days = (
        select(
            WorkshopDay.workshop_id,
            func.min(WorkshopDay.day_date).label("first_day"),
            func.max(WorkshopDay.day_date).label("last_day"),
            func.count(WorkshopDay.id).label("count"),
        )
        .group_by(WorkshopDay.workshop_id)
        .subquery()
    )
    attended = func.count(Attendance.id)
    query = (
        select(
            Workshop.id, Workshop.module_slug, Workshop.place, User.full_name,
            days.c.first_day, days.c.last_day, Enterprise.id, Enterprise.name,
            Person.id, Person.full_name, Person.sex, Person.job_role, Person.is_eit_member,
            attended, days.c.count, Certificate.code,
        )
        .select_from(Attendance)
        .join(WorkshopDay, WorkshopDay.id == Attendance.workshop_day_id)
        .join(Workshop, Workshop.id == WorkshopDay.workshop_id)
        .join(days, days.c.workshop_id == Workshop.id)
        .join(User, User.id == Workshop.trainer_id)
        .join(Person, Person.id == Attendance.person_id)
        .join(Enterprise, Enterprise.id == Person.enterprise_id)
        .outerjoin(
            Certificate,
            and_(
                Certificate.workshop_id == Workshop.id,
                Certificate.person_id == Person.id,
                Certificate.revoked_at.is_(None),
            ),
        )
        .where(Enterprise.id.in_(_ids(enterprises_in_view(user, filters))))
        .group_by(
            Workshop.id, Workshop.module_slug, Workshop.place, User.full_name,
            days.c.first_day, days.c.last_day, days.c.count, Enterprise.id, Enterprise.name,
            Enterprise.name_folded, Person.id, Person.full_name, Person.sex, Person.job_role,
            Person.is_eit_member, Certificate.code,
        )
        .order_by(
            days.c.first_day, Workshop.id, Enterprise.name_folded, Person.full_name, Person.id
        )
    )  # fmt: skip
    if filters.module:
        query = query.where(Workshop.module_slug == filters.module)
    if filters.period_from:
        query = query.where(days.c.first_day >= filters.period_from)
    if filters.period_to:
        query = query.where(days.c.last_day <= filters.period_to)
    return (tuple(row) for row in _stream(query))


def _money(minor: int | None, currency: str) -> Decimal | None:
    return None if minor is None else Decimal(minor).scaleb(-currency_minor_digits(currency))


def action_rows(user: User, filters: Filters) -> Iterator[tuple]:
    """One row per action of every plan, archived ones included, in ACTION_COLUMNS; a plan
    without actions has one row of its own. The period keeps actions due within it."""
    query = (
        select(ImprovementPlan, PlanAction, Enterprise.name)
        .join(Enterprise, Enterprise.id == ImprovementPlan.enterprise_id)
        .outerjoin(PlanAction, PlanAction.plan_id == ImprovementPlan.id)
        .where(ImprovementPlan.enterprise_id.in_(_with_figures(user, filters)))
        .order_by(
            Enterprise.name_folded, Enterprise.id, ImprovementPlan.started_on, ImprovementPlan.id,
            PlanAction.due_date, PlanAction.id,
        )
    )  # fmt: skip
    if filters.period_from:
        query = query.where(PlanAction.due_date >= filters.period_from)
    if filters.period_to:
        query = query.where(PlanAction.due_date <= filters.period_to)
    return (_action_row(plan, action, name) for plan, action, name in _stream(query))


def _action_row(plan: ImprovementPlan, action: PlanAction | None, name: str) -> tuple:
    head = (plan.enterprise_id, name, plan.id, plan.title, plan.started_on, plan.archived_at)
    if action is None:
        return head + (None,) * (len(ACTION_COLUMNS) - len(head))
    return (
            *head, action.id, action.problem, action.root_cause, action.action, action.responsible,
            action.start_date, action.due_date, action.status, action.done_on,
            action.module_slug, action.indicator, action.target_value, plan.currency,
            _money(action.estimated_cost_minor, plan.currency),
            _money(action.realised_savings_minor, plan.currency), action.verified_at,
        )  # fmt: skip


EXPORTS = {
    export.name: export
    for export in (
        Export("measurements", MEASUREMENT_COLUMNS, measurement_rows),
        Export("attendance", ATTENDANCE_COLUMNS, attendance_rows),
        Export("actions", ACTION_COLUMNS, action_rows),
    )
}
