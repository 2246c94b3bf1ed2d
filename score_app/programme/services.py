"""Programme results (docs/domain.md, 'Programme results'): per indicator across enterprises,
training outputs by sex and role, and data completeness. Every aggregate is computed by the database
(GROUP BY and window functions), so the numbers are the same on SQLite and PostgreSQL and new data
shows the moment it is saved. The statements are built once per selection (scope and filters given)
and kept; each request sends them with its filters' values."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Result,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from score_app.auth.models import User
from score_app.catalog.indicators import BY_CODE, INDICATORS, Direction, Indicator
from score_app.enterprises.models import Enterprise, JobRole, Person, Sex
from score_app.extensions import db
from score_app.kpis.compare import PER_DAYS, change_margin
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement, Phase, Status
from score_app.kpis.services import REPORTED, cycle_baseline_of
from score_app.plans.models import ActionStatus, ImprovementPlan, PlanAction
from score_app.programme import results_cache
from score_app.programme.filters import Filters, Selection, selection, shared_enterprises
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
    # The days the compared figures cover: the first baseline's start, the last follow-up's end.
    first_day: date | None = None
    last_day: date | None = None


# Statements kept, per selection: a few per user scope, times the combinations of filters used.
_kept = lru_cache(maxsize=256)


def _run(statement: Select, values: dict) -> Result:
    """The rows of a kept statement, on the session's connection. They are columns, not
    objects, so the ORM's setup for loading objects is skipped: some 50 µs a statement, a
    dozen statements a page."""
    return db.session.connection().execute(statement, values)


def _shared_ids(chosen: Selection) -> Select:
    return chosen.shared_enterprises().with_only_columns(Enterprise.id)


class period_days(FunctionElement):
    """The days of a period, first and last included (the period's start and end columns)."""

    type = Integer()
    inherit_cache = True


@compiles(period_days)
def _period_days(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({end} - {start} + 1)"


@compiles(period_days, "sqlite")
def _period_days_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST(julianday({end}) - julianday({start}) AS INTEGER) + 1)"


CURRENT_COLUMNS = (
    Measurement.enterprise_id, Measurement.indicator, Measurement.phase, Measurement.value,
    Measurement.input_1, Measurement.input_2, Measurement.period_start, Measurement.period_end,
)  # fmt: skip


def _current_rows(chosen: Selection, codes: tuple[str, ...] | None):
    """Each shared enterprise's current before/after pair per indicator, as
    kpis.cycles.current_pair picks it: the latest reported follow-up whose cycle's baseline is
    reported, and that baseline; without one, the latest reported baseline alone, or failing
    that the latest reported follow-up alone.

    Without a period range the flag kept by every write marks them; with one, the follow-ups
    are those inside it, picked on the spot, each with the baseline of its cycle, whenever that
    was taken.
    """
    # Lists of bound values, not expanding ones, which would be rewritten into the statement at
    # every execution; naming the phases lets the latest index serve.
    shared = [
        Measurement.enterprise_id.in_(_shared_ids(chosen)),
        Measurement.phase.in_([literal(phase.value) for phase in Phase]),
    ]
    if codes:
        shared.append(Measurement.indicator.in_([literal(code) for code in codes]))
    period = chosen.in_period()
    if not period:
        return (
            select(*CURRENT_COLUMNS)
            .where(Measurement.is_latest.is_(True), *shared)
            .subquery("current")
        )
    follow_ups = [*shared, REPORTED, Measurement.phase == Phase.FOLLOW_UP, *period]
    complete = _first_of_each(
        select(*CURRENT_COLUMNS).where(
            *follow_ups, cycle_baseline_of(Measurement, "status") != Status.DRAFT
        ),
        "follow_up",
    )
    baseline = _first_of_each(
        select(*CURRENT_COLUMNS)
        .outerjoin(complete, _same_indicator(complete.c, Measurement))
        .where(
            *shared, REPORTED, Measurement.phase == Phase.BASELINE, _baseline_in(chosen, complete)
        ),
        "baseline",
    )
    alone = _first_of_each(select(*CURRENT_COLUMNS).where(*follow_ups), "alone")
    has_baseline = select(baseline.c.enterprise_id).where(_same_indicator(baseline.c, alone.c))
    return union_all(
        select(complete), select(baseline), select(alone).where(~has_baseline.exists())
    ).subquery("current")


def _same_indicator(one, other):
    """Rows (columns of a table or subquery) of one enterprise's indicator."""
    return and_(one.enterprise_id == other.enterprise_id, one.indicator == other.indicator)


def _baseline_in(chosen: Selection, complete):
    """A baseline that can count with a period range: the one of the complete cycle's follow-up
    (the latest that ended before it starts), or with none, one taken by the range's end."""
    condition = or_(
        complete.c.period_start.is_(None), Measurement.period_end < complete.c.period_start
    )
    placeholders = chosen.placeholders()
    if "period_to" in placeholders:
        condition = and_(condition, Measurement.period_start <= placeholders["period_to"])
    return condition


def _first_of_each(query: Select, name: str):
    """The latest row (by period, then entry) of each enterprise and indicator of a query."""
    rank = (
        func.row_number()
        .over(
            partition_by=(Measurement.enterprise_id, Measurement.indicator),
            order_by=(
                Measurement.period_start.desc(), Measurement.period_end.desc(),
                Measurement.id.desc(),
            ),
        )
        .label("rank")
    )  # fmt: skip
    ranked = query.add_columns(rank).subquery(f"ranked_{name}")
    return (
        select(*(ranked.c[c.key] for c in CURRENT_COLUMNS)).where(ranked.c.rank == 1).subquery(name)
    )


def _improved(pairs, codes: tuple[str, ...] | None) -> case:
    """1 when the change moved in the indicator's better direction by more than rounding."""
    conditions = []
    for definition in _definitions(codes):
        margin = change_margin(definition.decimals)
        if not definition.has_denominator:  # compared per days one decimal finer, as on pages
            margin = case((pairs.c.per_days, change_margin(definition.decimals + 1)), else_=margin)
        moved = (
            pairs.c.change > margin
            if definition.direction == Direction.HIGHER
            else pairs.c.change < -margin
        )
        conditions.append((and_(pairs.c.indicator == definition.code, moved), 1.0))
    return case(*conditions, else_=0.0)


def _definitions(codes: tuple[str, ...] | None) -> list[Indicator]:
    """The indicators asked for, in contract order."""
    return [d for d in INDICATORS if codes is None or d.code in codes]


@dataclass(frozen=True)
class Figures:
    """The results per indicator, and the enterprises the filters select."""

    results: list[IndicatorResult]  # one per indicator that has data, in contract order
    in_view: int  # enterprises in the user's scope matching the filters
    excluded: int  # of those, the ones that have not agreed to share their figures


def _key(kind: str, chosen: Selection, filters: Filters, *more) -> tuple:
    """What a kept result depends on besides the database: the scope and the filters' values."""
    return (kind, chosen.scope, tuple(sorted(filters.given().items())), *more)


def figures(user: User | None, filters: Filters, codes: tuple[str, ...] | None = None) -> Figures:
    """The results of the indicators (of `codes`, or all) and whom they cover, in one
    statement: each row carries the enterprise counts, and one row comes even with no data.
    Kept until something they count changes (results_cache)."""
    chosen = selection(user, filters)
    return results_cache.kept(
        _key("figures", chosen, filters, codes), lambda: _count_figures(chosen, filters, codes)
    )


def _count_figures(chosen: Selection, filters: Filters, codes: tuple[str, ...] | None) -> Figures:
    rows = _run(_figures(chosen, codes), filters.given()).all()
    by_code = {row.indicator: row for row in rows}
    results = [
        _result(definition, by_code[definition.code])
        for definition in _definitions(codes)
        if definition.code in by_code
    ]
    return Figures(results, in_view=rows[0].in_view, excluded=rows[0].excluded)


def groups_sharing(user: User | None, filters: Filters, dimension: str) -> list[tuple[str, int]]:
    """The values of an enterprise column (`country` or `sector`) among the enterprises whose
    figures enter the results, each with how many such enterprises have it, the most first."""
    shared = shared_enterprises(user, filters).subquery()
    column = shared.c[dimension]
    count = func.count().label("count")
    rows = db.session.execute(select(column, count).group_by(column).order_by(count.desc(), column))
    return [(value, number) for value, number in rows]


def _result(definition: Indicator, row: Row) -> IndicatorResult:
    n = row.n or 0  # none when no enterprise has both phases
    return IndicatorResult(
        indicator=definition,
        n=n,
        n_baseline_only=row.with_baseline - n,
        n_follow_up_only=row.with_follow_up - n,
        baseline_mean=row.baseline_mean,
        follow_up_mean=row.follow_up_mean,
        pooled_baseline=_pooled(definition, row.b1, row.b2),
        pooled_follow_up=_pooled(definition, row.f1, row.f2),
        median_change=row.median_change,
        share_improved=row.share_improved,
        first_day=_as_day(row.first_day),
        last_day=_as_day(row.last_day),
    )


def _as_day(value) -> date | None:
    """A day from an aggregate: SQLite gives MIN() of a date column back as text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@_kept
def _figures(chosen: Selection, codes: tuple[str, ...] | None) -> Select:
    """The enterprise counts joined to every indicator row (none joined when no one has data)."""
    in_view = chosen.enterprises_in_view().subquery("in_view")
    no_consent = case((in_view.c.data_sharing_consent.is_(False), 1))
    counts = select(
        func.count().label("in_view"), func.count(no_consent).label("excluded")
    ).subquery("counts")
    rows = _indicator_rows(chosen, codes).subquery("indicator_rows")
    return select(counts, rows).select_from(counts).join(rows, true(), isouter=True)


def _indicator_rows(chosen: Selection, codes: tuple[str, ...] | None) -> Select:
    """One row per indicator with a current figure: how many enterprises have a baseline and
    how many a follow-up (each has one current row per phase, so rows count enterprises), with
    the totals of those that have both."""
    current = _current_rows(chosen, codes)
    phases = (
        select(
            current.c.indicator,
            func.count(case((current.c.phase == Phase.BASELINE.value, 1))).label("with_baseline"),
            func.count(case((current.c.phase == Phase.FOLLOW_UP.value, 1))).label("with_follow_up"),
        )
        .group_by(current.c.indicator)
        .subquery("phases")
    )
    totals = _paired_totals(chosen, codes).subquery("totals")
    return select(phases, *(column for column in totals.c if column.key != "indicator")).join(
        totals, totals.c.indicator == phases.c.indicator, isouter=True
    )


def _paired_totals(chosen: Selection, codes: tuple[str, ...] | None) -> Select:
    """Per indicator, over the enterprises with both phases: how many, the means, the sums of
    the raw inputs, the share improved, and the median change (the middle row, or the mean of
    the two middle rows, of the changes in order)."""
    current = _current_rows(chosen, codes)
    before, after = aliased(current, name="before"), aliased(current, name="after")
    before_value, after_value, per_days = _compared_values(before, after, codes)
    change = (after_value - before_value).label("change")
    pairs = (
        select(
            before.c.indicator, before_value.label("before"), after_value.label("after"),
            per_days.label("per_days"),
            before.c.input_1.label("b1"), before.c.input_2.label("b2"),
            after.c.input_1.label("f1"), after.c.input_2.label("f2"), change,
            before.c.period_start.label("first_day"), after.c.period_end.label("last_day"),
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
        func.avg(_improved(pairs, codes)).label("share_improved"),
        func.avg(case((middle, pairs.c.change))).label("median_change"),
        func.min(pairs.c.first_day).label("first_day"),
        func.max(pairs.c.last_day).label("last_day"),
    ).group_by(pairs.c.indicator)


def _compared_values(before, after, codes: tuple[str, ...] | None):
    """The two values of each pair as compared, and whether they were brought to a count per
    kpis.compare.PER_DAYS days, as a count (no denominator) over periods of different lengths
    is on both sides."""
    counts = [literal(d.code) for d in _definitions(codes) if not d.has_denominator]
    if not counts:
        return before.c.value, after.c.value, false()
    before_days = period_days(before.c.period_start, before.c.period_end)
    after_days = period_days(after.c.period_start, after.c.period_end)
    scaled = and_(before.c.indicator.in_(counts), before_days != after_days)

    def compared(side, days):
        return case((scaled, side.c.value * PER_DAYS / days), else_=side.c.value)

    return compared(before, before_days), compared(after, after_days), scaled


def _pooled(definition: Indicator, numerators: float | None, denominators: float | None):
    """The indicator's formula over the summed raw inputs: big firms weigh by their size. For a
    plain count (OSH incidents) that is the total."""
    if numerators is None or (definition.has_denominator and not denominators):
        return None
    first, second = (spec.name for spec in definition.inputs)
    return compute(definition.code, {first: numerators, second: denominators})


def summary(user: User | None, filters: Filters, code: str) -> tuple[IndicatorResult, int]:
    """One indicator's result (zeros and nones when nobody has data) and the count left out."""
    found = figures(user, filters, (code,))
    result = found.results[0] if found.results else None
    if result is None:
        result = IndicatorResult(BY_CODE[code], 0, 0, 0, None, None, None, None, None, None)
    return result, found.excluded


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


def training_outputs(user: User | None, filters: Filters, today: date) -> TrainingOutputs:
    """People trained, enterprises trained, certificates, EIT members, actions and savings,
    kept until something they count changes (results_cache)."""
    chosen = selection(user, filters)
    return results_cache.kept(
        _key("outputs", chosen, filters, today), lambda: _count_outputs(chosen, filters, today)
    )


def _count_outputs(chosen: Selection, filters: Filters, today: date) -> TrainingOutputs:
    rows = _run(_outputs(chosen), {**filters.given(), "today": today})
    participants: dict[str, Split] = defaultdict(Split)
    splits = {"certificates": Split(), "eit_members": Split()}
    counted: dict[str, dict[str, int]] = {"trained": {}, "actions": {}, "savings": {}}
    for kind, key, sex, role, total in rows:
        amount = int(total)  # a sum of money comes as a decimal on PostgreSQL
        if kind == "participants":
            participants[key].add(sex, role, amount)
        elif kind in splits:
            splits[kind].add(sex, role, amount)
        else:
            counted[kind][key] = amount
    actions = counted["actions"]
    return TrainingOutputs(
        participants=dict(participants),
        enterprises_trained=counted["trained"],
        certificates=splits["certificates"],
        eit_members=splits["eit_members"],
        actions={status: actions.get(status, 0) for status in ActionStatus},
        savings=counted["savings"],
    )


@_kept
def _outputs(chosen: Selection) -> CompoundSelect:
    """Every training output in one statement, one round trip instead of six: rows of (kind,
    key, sex, role, amount), the key being a module, an action status or a currency. It takes
    the filters and `today`."""
    shared = _shared_ids(chosen)
    finished = (
        select(WorkshopDay.workshop_id)
        .group_by(WorkshopDay.workshop_id)
        .having(func.max(WorkshopDay.day_date) <= bindparam("today"))
    )
    in_shared_plans = ImprovementPlan.enterprise_id.in_(shared)
    none = null()

    def part(kind: str, key, sex, role, amount) -> Select:
        return select(literal(kind), key, sex, role, amount)

    by_people = (Person.sex, Person.job_role)
    return union_all(
        part("participants", Workshop.module_slug, *by_people, func.count(Person.id.distinct()))
        .select_from(Attendance)
        .join(WorkshopDay, WorkshopDay.id == Attendance.workshop_day_id)
        .join(Workshop, Workshop.id == WorkshopDay.workshop_id)
        .join(Person, Person.id == Attendance.person_id)
        .where(Person.enterprise_id.in_(shared))
        .group_by(Workshop.module_slug, *by_people),
        part(
            "trained",
            Workshop.module_slug,
            none,
            none,
            func.count(taking.c.enterprise_id.distinct()),
        )
        .join(taking, taking.c.workshop_id == Workshop.id)
        .where(taking.c.enterprise_id.in_(shared), Workshop.id.in_(finished))
        .group_by(Workshop.module_slug),
        part("certificates", none, *by_people, func.count(Certificate.id))
        .join(Person, Person.id == Certificate.person_id)
        .where(Certificate.revoked_at.is_(None), Person.enterprise_id.in_(shared))
        .group_by(*by_people),
        part("eit_members", none, *by_people, func.count())
        .where(Person.is_eit_member.is_(True), Person.enterprise_id.in_(shared))
        .group_by(*by_people),
        part("actions", PlanAction.status, none, none, func.count())
        .join(ImprovementPlan)
        .where(in_shared_plans)
        .group_by(PlanAction.status),
        part(
            "savings",
            ImprovementPlan.currency,
            none,
            none,
            func.sum(PlanAction.realised_savings_minor),
        )
        .join(ImprovementPlan)
        .where(in_shared_plans, PlanAction.realised_savings_minor.is_not(None))
        .group_by(ImprovementPlan.currency),
    )


@dataclass(frozen=True)
class Gap:
    """Enterprises with one kind of data problem: the first ones by name, and how many in all."""

    enterprises: list[tuple[Row, int]]  # their id and name, with how many measurements concerned
    total: int


GAP_LIST_SIZE = 25


GAP_KINDS = ("missing_baseline", "missing_follow_up", "unverified", "open_warnings")


def completeness(user: User | None, filters: Filters) -> dict[str, Gap]:
    """Shared enterprises missing a baseline or a follow-up, or with figures still to verify or
    warnings still open, within the period range. Kept until something they count changes
    (results_cache)."""
    chosen = selection(user, filters)
    return results_cache.kept(_key("gaps", chosen, filters), lambda: _count_gaps(chosen, filters))


def _count_gaps(chosen: Selection, filters: Filters) -> dict[str, Gap]:
    listed: dict[str, list] = {kind: [] for kind in GAP_KINDS}
    totals = dict.fromkeys(GAP_KINDS, 0)
    for row in _run(_gaps(chosen), filters.given()):
        listed[row.kind].append((row, row.concerned))
        totals[row.kind] = row.total
    return {kind: Gap(listed[kind], totals[kind]) for kind in GAP_KINDS}


@_kept
def _gaps(chosen: Selection) -> CompoundSelect:
    """Every kind of gap in one statement: per kind, the first enterprises concerned by name,
    each row with its kind and the kind's total."""
    period = chosen.in_period()
    shared = chosen.shared_enterprises().subquery("shared")
    enterprise = aliased(Enterprise, shared)

    def listed(kind: str, query: Select) -> Select:
        first = (
            query.add_columns(
                func.count().over().label("total"), enterprise.name_folded.label("sort_name")
            )
            .order_by(enterprise.name_folded)
            .limit(GAP_LIST_SIZE)
            .subquery(kind)
        )
        return select(literal(kind).label("kind"), *first.c)

    def missing(phase: Phase) -> Select:
        # A reported figure of the phase: the latest flag says so at once, unless a follow-up
        # must fall inside the period range.
        if period and phase == Phase.FOLLOW_UP:
            reported = [REPORTED, *period]
        else:
            reported = [Measurement.is_latest.is_(True)]
        has_phase = select(Measurement.id).where(
            Measurement.enterprise_id == enterprise.id, Measurement.phase == phase, *reported
        )
        return select(enterprise.id, enterprise.name, literal(0).label("concerned")).where(
            ~has_phase.exists()
        )

    def counted(*conditions) -> Select:
        # Counted apart first, so the database reads only the rows concerned (by status).
        per_enterprise = (
            select(Measurement.enterprise_id, func.count().label("concerned"))
            .where(*conditions, *period)
            .group_by(Measurement.enterprise_id)
            .subquery("concerned")
        )
        return select(enterprise.id, enterprise.name, per_enterprise.c.concerned).join(
            per_enterprise, per_enterprise.c.enterprise_id == enterprise.id
        )

    unverified = Measurement.status != Status.VERIFIED  # served by ix_measurements_unverified
    gaps = union_all(
        listed("missing_baseline", missing(Phase.BASELINE)),
        listed("missing_follow_up", missing(Phase.FOLLOW_UP)),
        listed("unverified", counted(unverified)),
        listed("open_warnings", counted(unverified, cast(Measurement.warnings, String) != "[]")),
    )
    return gaps.order_by(gaps.selected_columns.sort_name)
