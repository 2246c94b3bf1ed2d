"""Programme results (DOMAIN.md section 6): per indicator across enterprises, training outputs
by sex and role, and data completeness. Every aggregate is computed by the database (GROUP BY
and window functions), so the numbers are the same on SQLite and PostgreSQL and new data shows
the moment it is saved."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import aliased

from score_app.auth.models import User
from score_app.enterprises.models import Enterprise, JobRole, Person, Sex
from score_app.extensions import db
from score_app.kpis.compare import change_margin
from score_app.kpis.definitions import BY_CODE, INDICATORS, Direction, Indicator
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement, Phase, Status
from score_app.kpis.services import REPORTED
from score_app.plans.models import ActionStatus, ImprovementPlan, PlanAction
from score_app.programme.filters import Filters, enterprises_in_view, in_period, shared_enterprises
from score_app.training.models import Attendance, Certificate, Workshop, WorkshopDay
from score_app.training.models import workshop_enterprises as taking


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    n: int  # enterprises with both a baseline and a follow-up
    n_baseline_only: int
    n_follow_up_only: int
    baseline_mean: float | None
    follow_up_mean: float | None
    pooled_baseline: float | None
    pooled_follow_up: float | None
    median_change: float | None
    share_improved: float | None  # 0..1


def _shared_ids(user: User | None, filters: Filters):
    return shared_enterprises(user, filters).with_only_columns(Enterprise.id)


def _current_rows(user: User | None, filters: Filters, codes: tuple[str, ...] | None):
    """Each shared enterprise's latest reported baseline, and its latest reported follow-up
    (inside the period range when one is given), per indicator.

    Without a range the flag kept by every write picks them; with one, the follow-ups inside
    it are ranked on the spot, and the baseline stays the enterprise's own, whenever it was
    taken.
    """
    columns = (
        Measurement.enterprise_id, Measurement.indicator, Measurement.phase,
        Measurement.value, Measurement.input_1, Measurement.input_2,
    )  # fmt: skip
    shared = [
        Measurement.enterprise_id.in_(_shared_ids(user, filters)),
        Measurement.phase.in_([phase.value for phase in Phase]),  # lets the latest index serve
    ]
    if codes:
        shared.append(Measurement.indicator.in_(codes))
    period = in_period(filters)
    if not period:
        return select(*columns).where(Measurement.is_latest.is_(True), *shared).subquery("current")
    rank = (
        func.row_number()
        .over(
            partition_by=(Measurement.enterprise_id, Measurement.indicator, Measurement.phase),
            order_by=(Measurement.period_start.desc(), Measurement.id.desc()),
        )
        .label("rank")
    )
    candidates = or_(Measurement.phase == Phase.BASELINE, and_(*period))
    ranked = select(*columns, rank).where(*shared, REPORTED, candidates).subquery("ranked")
    return select(*(ranked.c[c.key] for c in columns)).where(ranked.c.rank == 1).subquery("current")


def _improved(pairs) -> case:
    """1 when the change moved in the indicator's better direction by more than rounding."""
    conditions = []
    for definition in INDICATORS:
        margin = change_margin(definition.decimals)
        moved = (
            pairs.c.change > margin
            if definition.direction == Direction.HIGHER
            else pairs.c.change < -margin
        )
        conditions.append((and_(pairs.c.indicator == definition.code, moved), 1.0))
    return case(*conditions, else_=0.0)


def indicator_results(
    user: User | None, filters: Filters, codes: tuple[str, ...] | None = None
) -> list[IndicatorResult]:
    """One result per indicator that has data (of `codes`, or all), in contract order."""
    current = _current_rows(user, filters, codes)
    totals = {row.indicator: row for row in db.session.execute(_paired_totals(current))}
    with_phase: dict[str, dict[str, int]] = defaultdict(dict)
    for code, phase, count in db.session.execute(
        select(current.c.indicator, current.c.phase, func.count()).group_by(
            current.c.indicator, current.c.phase
        )
    ):
        with_phase[code][str(phase)] = count
    results = []
    for definition in INDICATORS:
        if definition.code not in with_phase:
            continue
        row = totals.get(definition.code)
        n = row.n if row else 0
        counts = with_phase[definition.code]
        results.append(
            IndicatorResult(
                indicator=definition,
                n=n,
                # Each enterprise has one latest row per phase, so rows count enterprises.
                n_baseline_only=counts.get(Phase.BASELINE.value, 0) - n,
                n_follow_up_only=counts.get(Phase.FOLLOW_UP.value, 0) - n,
                baseline_mean=row.baseline_mean if row else None,
                follow_up_mean=row.follow_up_mean if row else None,
                pooled_baseline=_pooled(definition, row.b1, row.b2) if row else None,
                pooled_follow_up=_pooled(definition, row.f1, row.f2) if row else None,
                median_change=row.median_change if row else None,
                share_improved=row.share_improved if row else None,
            )
        )
    return results


def _paired_totals(current):
    """Per indicator, over the enterprises with both phases: how many, the means, the sums of
    the raw inputs, the share improved, and the median change (the middle row, or the mean of
    the two middle rows, of the changes in order)."""
    before, after = aliased(current, name="before"), aliased(current, name="after")
    change = (after.c.value - before.c.value).label("change")
    pairs = (
        select(
            before.c.indicator, before.c.value.label("before"), after.c.value.label("after"),
            before.c.input_1.label("b1"), before.c.input_2.label("b2"),
            after.c.input_1.label("f1"), after.c.input_2.label("f2"), change,
            func.row_number()
            .over(partition_by=before.c.indicator, order_by=change)
            .label("position"),
            func.count().over(partition_by=before.c.indicator).label("size"),
        )
        .join(
            after,
            and_(
                after.c.enterprise_id == before.c.enterprise_id,
                after.c.indicator == before.c.indicator,
                after.c.phase == Phase.FOLLOW_UP.value,
            ),
        )
        .where(before.c.phase == Phase.BASELINE.value)
        .subquery("pairs")
    )  # fmt: skip
    middle = and_(pairs.c.position * 2 >= pairs.c.size, pairs.c.position * 2 <= pairs.c.size + 2)
    return select(
        pairs.c.indicator,
        func.count().label("n"),
        func.avg(pairs.c.before).label("baseline_mean"),
        func.avg(pairs.c.after).label("follow_up_mean"),
        func.sum(pairs.c.b1).label("b1"),
        func.sum(pairs.c.b2).label("b2"),
        func.sum(pairs.c.f1).label("f1"),
        func.sum(pairs.c.f2).label("f2"),
        func.avg(_improved(pairs)).label("share_improved"),
        func.avg(case((middle, pairs.c.change))).label("median_change"),
    ).group_by(pairs.c.indicator)


def _pooled(definition: Indicator, numerators: float | None, denominators: float | None):
    """The indicator's formula over the summed raw inputs: big firms weigh by their size. For a
    plain count (OSH incidents) that is the total."""
    if numerators is None or (definition.has_denominator and not denominators):
        return None
    first, second = (spec.name for spec in definition.inputs)
    return compute(definition.code, {first: numerators, second: denominators})


def excluded_without_consent(user: User | None, filters: Filters) -> int:
    """Enterprises in view whose figures stay out because they have not agreed to share them."""
    return db.session.scalar(
        select(func.count()).select_from(
            enterprises_in_view(user, filters)
            .where(Enterprise.data_sharing_consent.is_(False))
            .subquery()
        )
    )


def summary(user: User | None, filters: Filters, code: str) -> tuple[IndicatorResult, int]:
    """One indicator's result (zeros and nones when nobody has data) and the count left out."""
    results = indicator_results(user, filters, (code,))
    result = results[0] if results else None
    if result is None:
        result = IndicatorResult(BY_CODE[code], 0, 0, 0, None, None, None, None, None, None)
    return result, excluded_without_consent(user, filters)


@dataclass
class Split:
    """A count of people, by sex and by role (manager, supervisor, worker)."""

    by_sex: dict[str, int] = field(default_factory=lambda: dict.fromkeys(map(str, Sex), 0))
    by_role: dict[str, int] = field(default_factory=lambda: dict.fromkeys(map(str, JobRole), 0))

    @property
    def total(self) -> int:
        return sum(self.by_sex.values())

    def add(self, sex, role, count: int) -> None:
        self.by_sex[str(sex)] += count
        self.by_role[str(role)] += count


@dataclass(frozen=True)
class TrainingOutputs:
    participants: dict[str, Split]  # module slug -> people present at its workshops
    enterprises_trained: dict[str, int]  # module slug -> enterprises whose workshop is over
    certificates: Split
    eit_members: Split
    actions: dict[ActionStatus, int]
    savings: dict[str, int]  # currency -> realised savings in minor units


def _by_sex_role(rows) -> Split:
    split = Split()
    for sex, role, count in rows:
        split.add(sex, role, count)
    return split


def training_outputs(user: User | None, filters: Filters, today: date) -> TrainingOutputs:
    shared = _shared_ids(user, filters)
    participants: dict[str, Split] = defaultdict(Split)
    for module, sex, role, count in db.session.execute(
        select(Workshop.module_slug, Person.sex, Person.job_role, func.count(Person.id.distinct()))
        .select_from(Attendance)
        .join(WorkshopDay, WorkshopDay.id == Attendance.workshop_day_id)
        .join(Workshop, Workshop.id == WorkshopDay.workshop_id)
        .join(Person, Person.id == Attendance.person_id)
        .where(Person.enterprise_id.in_(shared))
        .group_by(Workshop.module_slug, Person.sex, Person.job_role)
    ):
        participants[module].add(sex, role, count)
    finished = (
        select(WorkshopDay.workshop_id)
        .group_by(WorkshopDay.workshop_id)
        .having(func.max(WorkshopDay.day_date) <= today)
    )
    trained = dict(
        db.session.execute(
            select(Workshop.module_slug, func.count(taking.c.enterprise_id.distinct()))
            .join(taking, taking.c.workshop_id == Workshop.id)
            .where(taking.c.enterprise_id.in_(shared), Workshop.id.in_(finished))
            .group_by(Workshop.module_slug)
        ).all()
    )
    certificates = _by_sex_role(
        db.session.execute(
            select(Person.sex, Person.job_role, func.count(Certificate.id))
            .join(Person, Person.id == Certificate.person_id)
            .where(Certificate.revoked_at.is_(None), Person.enterprise_id.in_(shared))
            .group_by(Person.sex, Person.job_role)
        )
    )
    eit = _by_sex_role(
        db.session.execute(
            select(Person.sex, Person.job_role, func.count())
            .where(Person.is_eit_member.is_(True), Person.enterprise_id.in_(shared))
            .group_by(Person.sex, Person.job_role)
        )
    )
    in_shared_plans = ImprovementPlan.enterprise_id.in_(shared)
    actions = dict(
        db.session.execute(
            select(PlanAction.status, func.count())
            .join(ImprovementPlan)
            .where(in_shared_plans)
            .group_by(PlanAction.status)
        ).all()
    )
    savings = dict(
        db.session.execute(
            select(ImprovementPlan.currency, func.sum(PlanAction.realised_savings_minor))
            .join(ImprovementPlan)
            .where(in_shared_plans, PlanAction.realised_savings_minor.is_not(None))
            .group_by(ImprovementPlan.currency)
        ).all()
    )
    return TrainingOutputs(
        participants=dict(participants),
        enterprises_trained=trained,
        certificates=certificates,
        eit_members=eit,
        actions={status: actions.get(status, 0) for status in ActionStatus},
        savings={currency: int(total) for currency, total in savings.items()},
    )


@dataclass(frozen=True)
class Gap:
    """Enterprises with one kind of data problem: the first ones by name, and how many in all."""

    enterprises: list[tuple[Enterprise, int]]  # with how many measurements are concerned
    total: int


GAP_LIST_SIZE = 25


def _gap(query, enterprise) -> Gap:
    """`query` selects (enterprise, count) rows; keep the first ones by name and the total."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(enterprise.name_folded).limit(GAP_LIST_SIZE)).all()
    return Gap([(enterprise, count) for enterprise, count in rows], total)


def completeness(user: User | None, filters: Filters) -> dict[str, Gap]:
    """Shared enterprises missing a baseline or a follow-up, or with figures still to verify or
    warnings still open, within the period range."""
    period = in_period(filters)
    shared = shared_enterprises(user, filters).subquery("shared")
    enterprise = aliased(Enterprise, shared)

    def missing(phase: Phase) -> Gap:
        # A reported figure of the phase: the latest flag says so at once, unless a follow-up
        # must fall inside the period range.
        if period and phase == Phase.FOLLOW_UP:
            reported = [REPORTED, *period]
        else:
            reported = [Measurement.is_latest.is_(True)]
        has_phase = select(Measurement.id).where(
            Measurement.enterprise_id == enterprise.id, Measurement.phase == phase, *reported
        )
        return _gap(select(enterprise, literal(0)).where(~has_phase.exists()), enterprise)

    def counted(*conditions) -> Gap:
        # Counted apart first, so the database reads only the rows concerned (by status).
        per_enterprise = (
            select(Measurement.enterprise_id, func.count().label("concerned"))
            .where(*conditions, *period)
            .group_by(Measurement.enterprise_id)
            .subquery("concerned")
        )
        return _gap(
            select(enterprise, per_enterprise.c.concerned).join(
                per_enterprise, per_enterprise.c.enterprise_id == enterprise.id
            ),
            enterprise,
        )

    unverified = Measurement.status != Status.VERIFIED  # served by ix_measurements_unverified
    return {
        "missing_baseline": missing(Phase.BASELINE),
        "missing_follow_up": missing(Phase.FOLLOW_UP),
        "unverified": counted(unverified),
        "open_warnings": counted(unverified, cast(Measurement.warnings, String) != "[]"),
    }
