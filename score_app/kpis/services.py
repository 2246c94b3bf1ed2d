"""Use cases for indicators: record measurements, move them through the workflow, audit every
change, compare baseline with follow-up, and record the good-practice checklist (docs/domain.md,
'Measurement workflow' and 'Good-practice checklist')."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, select, tuple_, update
from sqlalchemy.orm import aliased, joinedload

from score_app.auth.models import SyncOperation, User, synced_by
from score_app.catalog.indicators import BY_CODE, INDICATORS, Indicator
from score_app.db_errors import first_save_wins
from score_app.enterprises.access import enterprise_scope, figures_scope
from score_app.enterprises.models import Enterprise
from score_app.exceptions import EditConflict, InvalidInput, check_version
from score_app.extensions import db, utcnow
from score_app.i18n import format_day, format_number, ngettext
from score_app.i18n import gettext as _
from score_app.kpis.checks import (
    check_inputs,
    check_period,
    plausibility_warnings,
    warnings_text,
)
from score_app.kpis.compare import Change, compare_figures
from score_app.kpis.cycles import current_pair, cycle_baseline, first_baseline_end
from score_app.kpis.formulas import compute
from score_app.kpis.models import (
    AuditAction,
    ChecklistAssessment,
    Measurement,
    MeasurementAudit,
    Phase,
    Status,
    named_inputs,
)


@dataclass(frozen=True)
class Checked:
    indicator: Indicator
    inputs: dict[str, float]
    value: float
    warnings: list[dict]  # as checks.plausibility_warnings finds them


def measurements_of(enterprise_id: int, indicator: str | None = None) -> list[Measurement]:
    """An enterprise's measurements in period order, baseline first within a period."""
    query = select(Measurement).where(Measurement.enterprise_id == enterprise_id)
    if indicator:
        query = query.where(Measurement.indicator == indicator)
    return list(
        db.session.scalars(
            query.order_by(Measurement.period_start, Measurement.phase, Measurement.id)
        )
    )


def measurement_or_none(user: User, measurement_id: int) -> Measurement | None:
    """The measurement when its enterprise is in the user's scope."""
    return db.session.scalar(
        select(Measurement)
        .join(Enterprise, Enterprise.id == Measurement.enterprise_id)
        .where(Measurement.id == measurement_id, enterprise_scope(user))
    )


Group = tuple[int, str]  # (enterprise id, indicator code)
REPORTED = Measurement.status != Status.DRAFT


GROUPS_PER_STATEMENT = 450  # 900 parameters: within every database's limit


def _latest_reported(column: str, phase: Phase, *conditions):
    """A column of the latest reported measurement of the updated row's enterprise and
    indicator in a phase (by period, then entry), as a correlated scalar subquery; each
    condition is a function of that measurement."""
    other = aliased(Measurement)
    return (
        select(getattr(other, column))
        .where(
            other.enterprise_id == Measurement.enterprise_id,
            other.indicator == Measurement.indicator,
            other.phase == phase,
            other.status != Status.DRAFT,
            *(condition(other) for condition in conditions),
        )
        .order_by(other.period_start.desc(), other.period_end.desc(), other.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def cycle_baseline_of(follow_up, column: str):
    """A column of the baseline of a follow-up's cycle (the latest baseline, whatever its
    status, that ended before it starts), as a correlated scalar subquery."""
    baseline = aliased(Measurement)
    return (
        select(getattr(baseline, column))
        .where(
            baseline.enterprise_id == follow_up.enterprise_id,
            baseline.indicator == follow_up.indicator,
            baseline.phase == Phase.BASELINE,
            baseline.period_end < follow_up.period_start,
        )
        .order_by(baseline.period_start.desc(), baseline.period_end.desc(), baseline.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _current_pair_flag():
    """True for the rows of the current before/after pair, as kpis.cycles.current_pair picks
    them: the latest reported follow-up whose cycle's baseline is reported, and that baseline;
    without one, the latest reported baseline alone, or failing that the latest reported
    follow-up alone."""

    def complete(column: str):
        return _latest_reported(
            column,
            Phase.FOLLOW_UP,
            lambda follow_up: cycle_baseline_of(follow_up, "status") != Status.DRAFT,
        )

    follow_up_id = complete("id")
    latest_baseline_id = _latest_reported("id", Phase.BASELINE)
    baseline_id = case(
        (follow_up_id.is_(None), latest_baseline_id),
        else_=_latest_reported(
            "id", Phase.BASELINE, lambda baseline: baseline.period_end < complete("period_start")
        ),
    )
    alone = case((latest_baseline_id.is_(None), _latest_reported("id", Phase.FOLLOW_UP)))
    pick = case(
        (Measurement.phase == Phase.FOLLOW_UP, func.coalesce(follow_up_id, alone)),
        else_=baseline_id,
    )
    return func.coalesce(Measurement.id == pick, False)


def lock_figures(enterprise_ids: Iterable[int]) -> None:
    """Take the enterprises' figures for this transaction, in id order: every write of
    measurements calls this before its first write, so two writers of one enterprise take turns
    and each sees the other's rows when it checks and ranks them (PostgreSQL's statements
    otherwise each see their own snapshot).

    Taken first, and always in the same order, the lock cannot form a cycle with the rows the
    writes lock: a save that wrote its measurement, or an audit row that refers to the
    enterprise, before waiting for the enterprise would deadlock with another save doing the
    same. The lock is PostgreSQL's FOR NO KEY UPDATE, which other writers of figures wait for
    but rows that merely refer to the enterprise do not; SQLite locks the whole database at the
    first write instead.
    """
    with db.session.no_autoflush:  # nothing of this transaction is written before the lock
        db.session.execute(
            select(Enterprise.id)
            .where(Enterprise.id.in_(sorted(set(enterprise_ids))))
            .order_by(Enterprise.id)
            .with_for_update(key_share=True)
        )


def lock_measurement(measurement: Measurement, seen_version: int | None) -> None:
    """Lock the measurement's figures (lock_figures), then read it again as it is now that no
    one else can change it, and refuse the change unless that is the version the user saw
    (EditConflict, also when it was deleted meanwhile)."""
    lock_figures({measurement.enterprise_id})
    if db.session.get(Measurement, measurement.id, populate_existing=True) is None:
        raise EditConflict  # deleted by the save that held the lock before
    check_version(measurement, seen_version)


def refresh_latest(groups: set[Group]) -> None:
    """Mark the current before/after pair of each enterprise's indicator, in the caller's
    transaction: the rows programme results count.

    Reported means submitted or verified: a draft is still being typed and stays out of
    programme results. Every write of measurements, and every move between draft and
    submitted, calls this for the groups it touched, so results that read `is_latest` are right
    the moment the write commits. One statement serves a few hundred groups, so an import of
    thousands of rows refreshes them in a few statements, and only the rows that change are
    written.
    """
    # Held already by a caller that took it before its first write, as each should.
    lock_figures({enterprise_id for enterprise_id, _code in groups})
    db.session.flush()
    is_latest = _current_pair_flag()
    ordered = sorted(groups)
    for first in range(0, len(ordered), GROUPS_PER_STATEMENT):
        chunk = ordered[first : first + GROUPS_PER_STATEMENT]
        db.session.execute(
            update(Measurement)
            .where(
                # The enterprise ids let the database use their index before the exact groups.
                Measurement.enterprise_id.in_({enterprise_id for enterprise_id, _c in chunk}),
                tuple_(Measurement.enterprise_id, Measurement.indicator).in_(chunk),
                Measurement.is_latest != is_latest,
            )
            .values(is_latest=is_latest, updated_at=Measurement.updated_at)
            .execution_options(synchronize_session=False)
        )


def _group(measurement: Measurement) -> Group:
    return (measurement.enterprise_id, measurement.indicator)


def _baselines(enterprise_id: int, indicator: str, exclude_id: int | None) -> list[Measurement]:
    """The indicator's baselines in the enterprise, whatever their status, but one."""
    return list(
        db.session.scalars(
            select(Measurement).where(
                Measurement.enterprise_id == enterprise_id,
                Measurement.indicator == indicator,
                Measurement.phase == Phase.BASELINE,
                Measurement.id != (exclude_id or 0),
            )
        )
    )


def check_cycle(baselines, *, phase: str, period_start: date) -> dict[str, str]:
    """A follow-up needs a baseline that ended before it starts, when the indicator has one:
    the error on the period's first day, or none."""
    if phase != Phase.FOLLOW_UP:
        return {}
    first_end = first_baseline_end(baselines, period_start)
    if first_end is None:
        return {}
    return {
        "period_start": _(
            "A follow-up must start after the indicator's first baseline, which ends on %(date)s.",
            date=format_day(first_end),
        )
    }


def check_fields(
    *,
    indicator: str,
    phase: str,
    period_start: date | None,
    period_end: date | None,
    inputs: dict,
    locale: str = "en",
) -> tuple[Indicator, dict[str, float]]:
    """The errors of docs/domain.md, 'Checks on a measurement', that one measurement's fields
    show alone: (definition, inputs as numbers), or InvalidInput naming each bad field."""
    errors = {}
    definition = BY_CODE.get(indicator)
    if definition is None:
        errors["indicator"] = _("Unknown indicator.")
    if phase not in set(Phase):
        errors["phase"] = _("Choose baseline or follow-up.")
    errors.update(check_period(period_start, period_end, date.today()))
    values = {}
    if definition is not None:
        try:
            values = check_inputs(definition, inputs, locale)
        except ValueError as problem:
            errors.update({f"inputs.{name}": msg for name, msg in problem.args[0].items()})
    if errors:
        raise InvalidInput(errors)
    return definition, values


def check_plausibility(
    definition: Indicator,
    values: dict[str, float],
    *,
    phase: str,
    period_start: date,
    period_end: date,
    comment: str,
    workers: int,
    baseline,
) -> Checked:
    """The value and its plausibility warnings (`weigh_plausibility`); a warning without a
    comment is refused."""
    checked = weigh_plausibility(
        definition, values, phase=phase, period_start=period_start, period_end=period_end,
        workers=workers, baseline=baseline,
    )  # fmt: skip
    if checked.warnings and not comment.strip():
        why = warnings_text(checked.warnings)
        raise InvalidInput({"comment": _("Add a comment that explains this: %(why)s", why=why)})
    return checked


def weigh_plausibility(
    definition: Indicator,
    values: dict[str, float],
    *,
    phase: str,
    period_start: date,
    period_end: date,
    workers: int,
    baseline,
) -> Checked:
    """The value and its plausibility warnings, against the baseline of the follow-up's cycle
    (any object with `value` and `period_days`, or None; a baseline whose value is not known
    yet is compared by its length only)."""
    value = compute(definition.code, values)
    is_follow_up = phase == Phase.FOLLOW_UP and baseline is not None
    warnings = plausibility_warnings(
        definition,
        value,
        values,
        baseline_value=baseline.value if is_follow_up else None,
        workers=workers,
        period_days=(period_end - period_start).days + 1,
        baseline_days=baseline.period_days if is_follow_up else None,
    )
    return Checked(definition, values, value, warnings)


def check_measurement(
    enterprise: Enterprise,
    *,
    indicator: str,
    phase: str,
    period_start: date | None,
    period_end: date | None,
    inputs: dict,
    comment: str,
    locale: str = "en",
    existing: Measurement | None = None,
) -> Checked:
    """The rules of docs/domain.md, 'Checks on a measurement', for a new or corrected figure (its
    callers check the verified lock and a baseline's follow-ups); raise InvalidInput naming each
    bad field."""
    definition, values = check_fields(
        indicator=indicator, phase=phase, period_start=period_start, period_end=period_end,
        inputs=inputs, locale=locale,
    )  # fmt: skip
    clash = db.session.scalar(
        select(Measurement.id).where(
            Measurement.enterprise_id == enterprise.id,
            Measurement.indicator == indicator,
            Measurement.phase == phase,
            Measurement.period_start == period_start,
            Measurement.period_end == period_end,
            Measurement.id != (existing.id if existing else 0),
        )
    )
    if clash:
        raise InvalidInput(
            {
                "period_start": _(
                    "This indicator already has a measurement for this phase and period."
                )
            }
        )
    baselines = _baselines(enterprise.id, indicator, existing.id if existing else None)
    if existing is None or not _same_period(existing, Period(period_start, period_end)):
        # Figures already stored keep their place: correcting them checks no cycle again.
        errors = check_cycle(baselines, phase=phase, period_start=period_start)
        if errors:
            raise InvalidInput(errors)
    return check_plausibility(
        definition, values, phase=phase, period_start=period_start, period_end=period_end,
        comment=comment, workers=enterprise.workers_total,
        baseline=cycle_baseline(baselines, period_start),
    )  # fmt: skip


def _audit_columns(
    measurement_id: int, enterprise_id: int, indicator: str, action: AuditAction, user: User, *,
    new: tuple | None, old: tuple | None, old_status: Status | None, reason: str,
) -> dict:  # fmt: skip
    """The columns of an audit row; new and old are (inputs, value) after and before the change,
    new also with the status after it."""
    new_inputs, new_value, new_status = new or (None, None, None)
    old_inputs, old_value = old or (None, None)
    return {
        "measurement_id": measurement_id,
        "enterprise_id": enterprise_id,
        "indicator": indicator,
        "action": action,
        "user_id": user.id,
        "old_inputs": old_inputs,
        "old_value": old_value,
        "new_inputs": new_inputs,
        "new_value": new_value,
        "old_status": old_status.value if old_status else None,
        "new_status": new_status.value if new_status else None,
        "reason": reason,
        "sync_operation_id": synced_by(),
    }


def audit_values(
    measurement: Measurement,
    action: AuditAction,
    user: User,
    *,
    old: tuple | None = None,
    old_status: Status | None = None,
    reason: str = "",
) -> dict:
    """The columns of the audit row of one change (old is (inputs, value) before it)."""
    new = None
    if action != AuditAction.DELETE:
        new = (measurement.inputs, measurement.value, measurement.status)
    return _audit_columns(
        measurement.id, measurement.enterprise_id, measurement.indicator, action, user,
        new=new, old=old, old_status=old_status, reason=reason,
    )  # fmt: skip


def draft_audit_values(draft: dict, measurement_id: int, user: User, reason: str = "") -> dict:
    """The audit row of a new draft given by its columns (draft_values), once it is stored as
    `measurement_id`: what audit_values gives for the Measurement those columns make, without
    making it (an import writes thousands at once)."""
    inputs = named_inputs(draft["indicator"], draft["input_1"], draft["input_2"])
    return _audit_columns(
        measurement_id, draft["enterprise_id"], draft["indicator"], AuditAction.CREATE, user,
        new=(inputs, draft["value"], draft["status"]), old=None, old_status=None, reason=reason,
    )  # fmt: skip


def audit_change(measurement: Measurement, action: AuditAction, user: User, **change) -> None:
    """Add the audit row of one change to the session (see audit_values)."""
    db.session.add(MeasurementAudit(**audit_values(measurement, action, user, **change)))


def entered_values(checked: Checked, comment: str, user: User) -> dict:
    """The columns an entry of figures sets, on a new measurement or a corrected one: the raw
    inputs in the indicator's order, the value and warnings they give, the comment, and who
    entered them."""
    first, second = checked.indicator.inputs
    return {
        "input_1": checked.inputs[first.name],
        "input_2": checked.inputs[second.name],
        "value": checked.value,
        "warnings": checked.warnings,
        "comment": comment.strip(),
        "entered_by_id": user.id,
    }


def _apply(measurement: Measurement, checked: Checked, comment: str, user: User) -> None:
    for column, value in entered_values(checked, comment, user).items():
        setattr(measurement, column, value)


def draft_values(
    user: User, enterprise_id: int, checked: Checked, phase, period_start, period_end, comment
) -> dict:
    """The columns of a new draft measurement (the others take their defaults): what new_draft
    makes a Measurement of, and what an import inserts in bulk."""
    return {
        "enterprise_id": enterprise_id,
        "indicator": checked.indicator.code,
        "phase": Phase(phase),
        "period_start": period_start,
        "period_end": period_end,
        "status": Status.DRAFT,
        **entered_values(checked, comment, user),
    }


def new_draft(
    user: User, enterprise_id: int, checked: Checked, phase, period_start, period_end, comment
) -> Measurement:
    """A new draft measurement, not yet in the session (its audit row needs its id)."""
    return Measurement(
        **draft_values(user, enterprise_id, checked, phase, period_start, period_end, comment)
    )


def _add(user, enterprise, checked: Checked, phase, period_start, period_end, comment):
    """A new draft measurement and its audit row, in the session."""
    measurement = new_draft(user, enterprise.id, checked, phase, period_start, period_end, comment)
    db.session.add(measurement)
    db.session.flush()
    audit_change(measurement, AuditAction.CREATE, user)
    return measurement


def revise_measurement(
    user: User, measurement: Measurement, checked: Checked, comment: str, reason: str | None = None
) -> None:
    """New figures for a measurement; changed figures must be submitted again before anyone
    verifies them, so it goes back to draft. The audit row's reason is the comment unless given."""
    old, old_status = (measurement.inputs, measurement.value), measurement.status
    _apply(measurement, checked, comment, user)
    measurement.status = Status.DRAFT
    audit_change(
        measurement, AuditAction.EDIT, user, old=old, old_status=old_status,
        reason=comment.strip() if reason is None else reason,
    )  # fmt: skip


@first_save_wins
def record_measurement(
    user: User, enterprise: Enterprise, *, comment: str = "", **fields
) -> Measurement:
    """Save one new measurement as a draft, with its audit row, in one commit."""
    lock_figures({enterprise.id})
    checked = check_measurement(enterprise, comment=comment, **fields)
    measurement = _add(
        user, enterprise, checked, fields["phase"], fields["period_start"], fields["period_end"],
        comment,
    )  # fmt: skip
    refresh_latest({_group(measurement)})
    db.session.commit()
    return measurement


def check_editable(measurement: Measurement) -> None:
    if measurement.is_locked:
        raise InvalidInput(
            {"status": _("A verified measurement is locked; programme staff can reopen it.")}
        )


@first_save_wins
def update_measurement(
    user: User,
    measurement: Measurement,
    inputs: dict,
    comment: str,
    locale: str = "en",
    *,
    seen_version: int | None,
    period_start: date | None = None,
    period_end: date | None = None,
) -> Measurement:
    """New inputs for one measurement, and a new period when one is given (else the stored one
    stays), refused if someone saved it since `seen_version`. A new period is checked as on
    entry: its rules, another measurement of the same phase and period, and plausibility."""
    lock_measurement(measurement, seen_version)
    check_editable(measurement)
    period_start = period_start or measurement.period_start
    period_end = period_end or measurement.period_end
    moved_to = Period(period_start, period_end)
    if not _same_period(measurement, moved_to):
        check_reference(measurement, "period_start", moved_to)
    checked = check_measurement(
        measurement.enterprise,
        indicator=measurement.indicator,
        phase=measurement.phase,
        period_start=period_start,
        period_end=period_end,
        inputs=inputs,
        comment=comment,
        locale=locale,
        existing=measurement,
    )
    measurement.period_start, measurement.period_end = period_start, period_end
    revise_measurement(user, measurement, checked, comment)
    refresh_latest({_group(measurement)})
    db.session.commit()
    return measurement


@first_save_wins
def save_period(
    user: User,
    enterprise: Enterprise,
    *,
    phase: str,
    period_start: date | None,
    period_end: date | None,
    entries: dict[str, tuple[dict, str]],
    locale: str = "en",
    seen_versions: dict[str, int | None],
) -> list[Measurement]:
    """Save every filled indicator of one period at once, or nothing if any is wrong.

    `entries` maps an indicator code to (raw inputs, comment); an indicator left blank is
    skipped; one already measured for this period is updated unless it is verified, and only
    if the user saw its stored version (`seen_versions` by code): figures already there are
    never replaced unseen.
    """
    lock_figures({enterprise.id})
    ready, errors = check_period_entries(
        enterprise, phase=phase, period_start=period_start, period_end=period_end,
        entries=entries, locale=locale,
    )  # fmt: skip
    if errors:
        raise InvalidInput(errors)
    for existing, checked, _comment in ready:
        if existing is not None:
            check_version(existing, seen_versions.get(checked.indicator.code))
    saved = []
    for existing, checked, comment in ready:
        if existing is None:
            saved.append(_add(user, enterprise, checked, phase, period_start, period_end, comment))
        else:
            revise_measurement(user, existing, checked, comment)
            saved.append(existing)
    refresh_latest({_group(m) for m in saved})
    db.session.commit()
    return saved


def check_period_entries(
    enterprise: Enterprise,
    *,
    phase: str,
    period_start: date | None,
    period_end: date | None,
    entries: dict[str, tuple[dict, str]],
    locale: str = "en",
) -> tuple[list, dict[str, str]]:
    """Check every filled row of a period form: (rows ready to save, errors by field)."""
    errors, ready = {}, []
    filled = {
        code: (inputs, comment)
        for code, (inputs, comment) in entries.items()
        if any(str(v).strip() for v in inputs.values() if v is not None) or comment.strip()
    }
    if not filled:
        return [], {"entries": _("Fill in the inputs of at least one indicator.")}
    for code, (inputs, comment) in filled.items():
        existing = db.session.scalar(
            select(Measurement)
            .where(
                Measurement.enterprise_id == enterprise.id,
                Measurement.indicator == code,
                Measurement.phase == phase,
                Measurement.period_start == period_start,
                Measurement.period_end == period_end,
            )
            # As stored now, even if this session read it before (save_period holds the lock).
            .execution_options(populate_existing=True)
        )
        try:
            if existing is not None:
                check_editable(existing)
            checked = check_measurement(
                enterprise,
                indicator=code,
                phase=phase,
                period_start=period_start,
                period_end=period_end,
                inputs=inputs,
                comment=comment,
                locale=locale,
                existing=existing,
            )
        except InvalidInput as error:
            errors.update({_period_key(code, key): msg for key, msg in error.errors.items()})
        else:
            ready.append((existing, checked, comment))
    return ready, errors


@dataclass(frozen=True)
class NewCycle:
    """What saving a baseline for a new period does to an indicator that has one already."""

    earlier: Measurement  # the latest baseline of another period
    moving: list[Measurement]  # follow-ups that would be compared with the new baseline instead


def new_cycles(
    enterprise_id: int, codes: list[str], period_start: date, period_end: date
) -> dict[str, NewCycle]:
    """The indicators for which a baseline of this period starts a new cycle: those with a
    baseline of another period and none of this one (saving over it corrects it)."""
    figures: dict[str, list[Measurement]] = {}
    for measurement in db.session.scalars(
        select(Measurement).where(
            Measurement.enterprise_id == enterprise_id, Measurement.indicator.in_(codes)
        )
    ):
        figures.setdefault(measurement.indicator, []).append(measurement)
    new = Period(period_start, period_end)
    found = {}
    for code, measured in figures.items():
        baselines = [m for m in measured if m.phase == Phase.BASELINE]
        if not baselines or any(_same_period(b, new) for b in baselines):
            continue
        moving = [
            m
            for m in measured
            if m.phase == Phase.FOLLOW_UP
            and cycle_baseline([*baselines, new], m.period_start) is new
        ]
        found[code] = NewCycle(max(baselines, key=_by_period), sorted(moving, key=_by_period))
    return found


@dataclass(frozen=True)
class Period:
    period_start: date
    period_end: date
    id: int | None = None  # of the measurement it stands for, when it does


def _same_period(one, other) -> bool:
    return (one.period_start, one.period_end) == (other.period_start, other.period_end)


def _by_period(figure) -> tuple[date, date]:
    return figure.period_start, figure.period_end


def _cycles_of(figures: list, baselines: list) -> dict[int, int | None]:
    """Which baseline (by id) each follow-up (by id) is compared with."""
    return {
        m.id: getattr(cycle_baseline(baselines, m.period_start), "id", None)
        for m in figures
        if m.phase == Phase.FOLLOW_UP
    }


def check_reference(baseline: Measurement, field: str, moved_to: Period | None = None) -> None:
    """A baseline is the reference of the follow-ups of its cycle: it is not deleted, nor moved
    to a period that would put any follow-up in another cycle, while they refer to it (they
    would silently change cycle). `moved_to` is the new period of a move; None for deletion."""
    if baseline.phase != Phase.BASELINE:
        return
    figures = measurements_of(baseline.enterprise_id, baseline.indicator)
    baselines = [m for m in figures if m.phase == Phase.BASELINE]
    now = _cycles_of(figures, baselines)
    if moved_to is None:
        then = _cycles_of(figures, [b for b in baselines if b.id != baseline.id])
    else:
        moved = Period(moved_to.period_start, moved_to.period_end, baseline.id)
        then = _cycles_of(figures, [moved if b.id == baseline.id else b for b in baselines])
    affected = [
        m for m, reference in now.items() if reference == baseline.id and then[m] != reference
    ]
    if affected:
        raise InvalidInput(
            {
                field: ngettext(
                    "This baseline is the reference of %(count)s follow-up: delete or move it "
                    "first, or correct this baseline's figures instead.",
                    "This baseline is the reference of %(count)s follow-ups: delete or move "
                    "them first, or correct this baseline's figures instead.",
                    len(affected),
                    count=format_number(len(affected)),
                )
            }
        )


def _period_key(code: str, key: str) -> str:
    """Errors about the period belong to the period; the rest to the indicator's row."""
    return key if key in ("phase", "period_start", "period_end") else f"{code}.{key}"


def _change_status(user, measurements, new_status, action, reason="") -> None:
    """Move measurements to a status, each with its audit row, in one commit."""
    for measurement in measurements:
        old_status = measurement.status
        measurement.status = new_status
        audit_change(measurement, action, user, old_status=old_status, reason=reason)
    refresh_latest({_group(m) for m in measurements})
    db.session.commit()


@first_save_wins
def submit_measurement(user: User, measurement: Measurement, *, seen_version: int | None) -> None:
    lock_measurement(measurement, seen_version)
    if measurement.status != Status.DRAFT:
        raise InvalidInput({"status": _("Only a draft can be submitted.")})
    _change_status(user, [measurement], Status.SUBMITTED, AuditAction.SUBMIT)


def entered_by(user: User, measurements: list[Measurement]) -> list[Measurement]:
    """Those of the measurements whose figures the user entered last: someone else verifies them."""
    return [m for m in measurements if m.entered_by_id == user.id]


def _verify(user: User, measurements: list[Measurement]) -> None:
    """Lock submitted figures; whoever last entered one of them cannot be the one who verifies."""
    if any(m.status != Status.SUBMITTED for m in measurements):
        raise InvalidInput({"status": _("Only a submitted measurement can be verified.")})
    if entered_by(user, measurements):
        raise InvalidInput(
            {"status": _("Someone other than the person who entered the figures must verify them.")}
        )
    verified_at = utcnow()
    for measurement in measurements:
        measurement.verified_by_id, measurement.verified_at = user.id, verified_at
    _change_status(user, measurements, Status.VERIFIED, AuditAction.VERIFY)


@first_save_wins
def verify_measurement(user: User, measurement: Measurement, *, seen_version: int | None) -> None:
    """Lock a submitted figure; only the version the verifier saw is verified."""
    lock_measurement(measurement, seen_version)
    _verify(user, [measurement])


@first_save_wins
def reopen_measurement(
    user: User, measurement: Measurement, reason: str, *, seen_version: int | None
) -> None:
    lock_measurement(measurement, seen_version)
    if measurement.status != Status.VERIFIED:
        raise InvalidInput({"status": _("Only a verified measurement can be reopened.")})
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why the measurement is reopened.")})
    measurement.verified_by_id, measurement.verified_at = None, None
    _change_status(user, [measurement], Status.DRAFT, AuditAction.REOPEN, reason.strip())


INDICATOR_ORDER = {definition.code: n for n, definition in enumerate(INDICATORS)}


@dataclass(frozen=True)
class PeriodFigures:
    """The measurements of one phase and period of an enterprise."""

    phase: Phase
    period_start: date
    period_end: date
    measurements: list[Measurement]

    def in_status(self, status: Status) -> list[Measurement]:
        return [m for m in self.measurements if m.status == status]

    @property
    def period_days(self) -> int:
        return (self.period_end - self.period_start).days + 1


def period_figures(
    enterprise_id: int, phase: str, period_start: date, period_end: date
) -> PeriodFigures:
    """Every measurement of one enterprise, phase and period, in the indicators' order, as
    stored now (not as this request may have read them before)."""
    found = db.session.scalars(
        select(Measurement)
        .where(
            Measurement.enterprise_id == enterprise_id,
            Measurement.phase == phase,
            Measurement.period_start == period_start,
            Measurement.period_end == period_end,
        )
        .execution_options(populate_existing=True)
    )
    ordered = sorted(found, key=lambda m: INDICATOR_ORDER[m.indicator])
    return PeriodFigures(Phase(phase), period_start, period_end, ordered)


def by_period(measurements: list[Measurement]) -> list[PeriodFigures]:
    """Measurements grouped by phase and period, each group where its first one comes."""
    groups: dict[tuple, list[Measurement]] = {}
    for m in measurements:
        groups.setdefault((Phase(m.phase), m.period_start, m.period_end), []).append(m)
    return [PeriodFigures(*period, found) for period, found in groups.items()]


def changed_since(
    measurements: list[Measurement], seen_versions: dict[int, int]
) -> list[Measurement]:
    """The measurements that a page did not show in their stored version (or did not show)."""
    return [m for m in measurements if seen_versions.get(m.id) != m.version]


def changed_in_period(
    enterprise_id: int, phase, period_start, period_end, status: Status,
    seen_versions: dict[int, int],
) -> list[Measurement]:  # fmt: skip
    """The figures of a period that are not as a page showed them: changed or added in
    `status`, or moved out of it (a deleted one is simply gone)."""
    period = period_figures(enterprise_id, phase, period_start, period_end)
    moved = [m for m in period.measurements if m.status != status and m.id in seen_versions]
    return changed_since(period.in_status(status), seen_versions) + moved


NOTHING_IN_STATUS = {
    Status.DRAFT: lambda: _("This period has no drafts to submit."),
    Status.SUBMITTED: lambda: _("Nothing in this period waits for verification."),
}


def _period_as_seen(
    enterprise: Enterprise, phase, period_start, period_end, status: Status,
    seen_versions: dict[int, int],
) -> list[Measurement]:  # fmt: skip
    """The period's measurements in a status, provided they are exactly those the user's page
    showed, each in the version it showed (`seen_versions` by id): else EditConflict, so no
    figure is moved unseen. Takes the enterprise's figures first (lock_figures), so it reads
    them as they are now that no one else can change them."""
    lock_figures({enterprise.id})
    found = period_figures(enterprise.id, phase, period_start, period_end).in_status(status)
    if changed_since(found, seen_versions) or len(found) != len(seen_versions):
        raise EditConflict
    if not found:
        raise InvalidInput({"period": NOTHING_IN_STATUS[status]()})
    return found


@first_save_wins
def submit_period(
    user: User, enterprise: Enterprise, phase: str, period_start: date, period_end: date,
    seen_versions: dict[int, int],
) -> list[Measurement]:  # fmt: skip
    """Submit every draft of one enterprise, phase and period at once, or none: only the drafts
    the user's page showed, in the versions it showed; an audit row each, one commit."""
    drafts = _period_as_seen(
        enterprise, phase, period_start, period_end, Status.DRAFT, seen_versions
    )
    _change_status(user, drafts, Status.SUBMITTED, AuditAction.SUBMIT)
    return drafts


@first_save_wins
def verify_period(
    user: User, enterprise: Enterprise, phase: str, period_start: date, period_end: date,
    seen_versions: dict[int, int],
) -> list[Measurement]:  # fmt: skip
    """Verify every submitted figure of one enterprise, phase and period that the verifier's
    page showed, or none; refused if the verifier entered any of them."""
    submitted = _period_as_seen(
        enterprise, phase, period_start, period_end, Status.SUBMITTED, seen_versions
    )
    _verify(user, submitted)
    return submitted


@first_save_wins
def send_back_period(
    user: User, enterprise: Enterprise, phase: str, period_start: date, period_end: date,
    reason: str, seen_versions: dict[int, int],
) -> list[Measurement]:  # fmt: skip
    """Return every submitted figure of the period that the page showed to draft, saying why,
    so the people who entered them correct and submit them again."""
    submitted = _period_as_seen(
        enterprise, phase, period_start, period_end, Status.SUBMITTED, seen_versions
    )
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why the figures are sent back.")})
    _change_status(user, submitted, Status.DRAFT, AuditAction.SEND_BACK, reason.strip())
    return submitted


def baseline_for(measurement: Measurement) -> Measurement | None:
    """The baseline a follow-up is compared with: the baseline of its cycle (kpis.cycles), the
    latest submitted or verified baseline of its enterprise and indicator that ended before the
    follow-up began (none for a baseline)."""
    if measurement.phase != Phase.FOLLOW_UP:
        return None
    return db.session.scalar(
        select(Measurement)
        .where(
            Measurement.enterprise_id == measurement.enterprise_id,
            Measurement.indicator == measurement.indicator,
            Measurement.phase == Phase.BASELINE,
            REPORTED,
            Measurement.period_end < measurement.period_start,
        )
        .order_by(
            Measurement.period_start.desc(), Measurement.period_end.desc(), Measurement.id.desc()
        )
        .limit(1)
    )


@dataclass(frozen=True)
class Reviewed:
    """A figure under review, beside the baseline it is compared with and the change."""

    measurement: Measurement
    baseline: Measurement | None
    change: Change | None


def review(measurements: list[Measurement]) -> list[Reviewed]:
    rows = []
    for measurement in measurements:
        baseline = baseline_for(measurement)
        change = baseline and compare_figures(measurement.definition, baseline, measurement)
        rows.append(Reviewed(measurement, baseline, change))
    return rows


def _waiting(
    user: User, *, enterprise_id: int | None = None, country: str = "", period: tuple = ()
) -> Select:
    """Per enterprise, phase and period with submitted figures that the user may see: how many,
    when the last was submitted, and how many of them the user entered."""
    filters = []
    if enterprise_id:
        filters.append(Measurement.enterprise_id == enterprise_id)
    if country:
        filters.append(Enterprise.country == country)
    if period:
        phase, period_start, period_end = period
        filters += [
            Measurement.phase == phase,
            Measurement.period_start == period_start,
            Measurement.period_end == period_end,
        ]
    key = (Measurement.enterprise_id, Measurement.phase, Measurement.period_start,
           Measurement.period_end)  # fmt: skip
    return (
        select(
            *key,
            func.count().label("figures"),
            # A submitted figure changes no more until it is verified or back in draft.
            func.max(Measurement.updated_at).label("submitted_at"),
            func.sum(case((Measurement.entered_by_id == user.id, 1), else_=0)).label("mine"),
        )
        .join(Enterprise, Enterprise.id == Measurement.enterprise_id)
        .where(
            Measurement.status == Status.SUBMITTED,
            enterprise_scope(user),
            figures_scope(user),
            *filters,
        )
        .group_by(*key)
    )


def periods_to_verify(user: User, **filters) -> Select:
    """The verification queue: rows of (Enterprise, phase, period_start, period_end, figures,
    submitted_at, mine, submitted_by), the longest waiting first; filters as `_waiting`."""
    waiting = _waiting(user, **filters).subquery("waiting")
    submitted = aliased(Measurement)
    submitted_by = (
        select(User.full_name)
        .join(MeasurementAudit, MeasurementAudit.user_id == User.id)
        .join(submitted, submitted.id == MeasurementAudit.measurement_id)
        .where(
            submitted.enterprise_id == waiting.c.enterprise_id,
            submitted.phase == waiting.c.phase,
            submitted.period_start == waiting.c.period_start,
            submitted.period_end == waiting.c.period_end,
            submitted.status == Status.SUBMITTED,
            MeasurementAudit.action == AuditAction.SUBMIT,
        )
        .order_by(MeasurementAudit.at.desc(), MeasurementAudit.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            Enterprise,
            waiting.c.phase,
            waiting.c.period_start,
            waiting.c.period_end,
            waiting.c.figures,
            waiting.c.submitted_at,
            waiting.c.mine,
            submitted_by.label("submitted_by"),
        )
        .join(waiting, waiting.c.enterprise_id == Enterprise.id)
        .order_by(waiting.c.submitted_at, Enterprise.name_folded)
        .order_by(waiting.c.period_start, waiting.c.phase)
    )


def enterprises_to_verify(user: User, also: Enterprise | None = None) -> list[Enterprise]:
    """The enterprises with figures the user may verify, by name, and `also` if given."""
    waiting = _waiting(user).subquery()
    found = db.session.scalars(
        select(Enterprise)
        .where(Enterprise.id.in_(select(waiting.c.enterprise_id)))
        .order_by(Enterprise.name_folded, Enterprise.id)
    ).all()
    if also is not None and also not in found:
        return sorted([*found, also], key=lambda e: (e.name_folded, e.id))
    return list(found)


def count_periods_to_verify(user: User) -> int:
    """How many submitted periods the user can verify: those they entered none of."""
    waiting = _waiting(user).subquery()
    return db.session.scalar(select(func.count()).where(waiting.c.mine == 0))


def drafts_of(enterprise_id: int) -> int:
    """How many of the enterprise's figures are drafts, not yet submitted."""
    return db.session.scalar(
        select(func.count()).where(
            Measurement.enterprise_id == enterprise_id, Measurement.status == Status.DRAFT
        )
    )


@first_save_wins
def delete_measurement(
    user: User, measurement: Measurement, reason: str, *, seen_version: int | None
) -> None:
    lock_measurement(measurement, seen_version)
    check_editable(measurement)
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why the measurement is deleted.")})
    check_reference(measurement, "status")
    old = (measurement.inputs, measurement.value)
    audit_change(
        measurement,
        AuditAction.DELETE,
        user,
        old=old,
        old_status=measurement.status,
        reason=reason.strip(),
    )
    group = _group(measurement)
    db.session.delete(measurement)
    refresh_latest({group})
    db.session.commit()


# A history shows, for a change a device synced, the device and when it was made there.
_WITH_SYNC = joinedload(MeasurementAudit.sync_operation).joinedload(SyncOperation.device)


def enterprise_history(enterprise_id: int) -> list[MeasurementAudit]:
    """Every change to the enterprise's figures, newest first, deletions included."""
    return list(
        db.session.scalars(
            select(MeasurementAudit)
            .where(MeasurementAudit.enterprise_id == enterprise_id)
            .options(_WITH_SYNC)
            .order_by(MeasurementAudit.at.desc(), MeasurementAudit.id.desc())
        )
    )


def history(measurement_id: int) -> list[MeasurementAudit]:
    return list(
        db.session.scalars(
            select(MeasurementAudit)
            .where(MeasurementAudit.measurement_id == measurement_id)
            .options(_WITH_SYNC)
            .order_by(MeasurementAudit.at, MeasurementAudit.id)
        )
    )


@dataclass(frozen=True)
class ComparisonRow:
    indicator: Indicator
    baseline: Measurement | None
    follow_up: Measurement | None
    follow_up_number: int | None  # within its cycle
    follow_ups: int  # reported follow-ups in the cycle shown
    change: Change | None
    series: list[Measurement]  # reported figures, in period order
    cycle_number: int  # the cycle shown, counted from the first baseline (0: none)
    newer_baseline: Measurement | None  # a new cycle's baseline, no follow-up reported yet
    drafts: list[Measurement]  # still being typed: shown apart, never compared


def comparison(enterprise_id: int, follow_up: int | None = None) -> list[ComparisonRow]:
    """Per indicator with figures: the before/after of its latest complete cycle (kpis.cycles:
    its baseline and its latest, or `follow_up`-th, follow-up) and the change.

    Only submitted and verified figures are results; drafts come apart, never compared.
    """
    by_indicator: dict[str, list[Measurement]] = {}
    for measurement in measurements_of(enterprise_id):
        by_indicator.setdefault(measurement.indicator, []).append(measurement)
    rows = []
    for definition in INDICATORS:
        figures = by_indicator.get(definition.code)
        if not figures:
            continue
        series = [m for m in figures if m.status != Status.DRAFT]
        pair = current_pair(figures, follow_up)
        rows.append(
            ComparisonRow(
                indicator=definition,
                baseline=pair.baseline,
                follow_up=pair.follow_up,
                follow_up_number=pair.number,
                follow_ups=pair.follow_ups,
                change=(
                    compare_figures(definition, pair.baseline, pair.follow_up)
                    if pair.baseline and pair.follow_up
                    else None
                ),
                series=series,
                cycle_number=pair.cycle_number,
                newer_baseline=pair.newer_baseline,
                drafts=[m for m in figures if m.status == Status.DRAFT],
            )
        )
    return rows


def record_checklist(
    user: User, enterprise: Enterprise, *, phase: str, assessed_on: date | None,
    assessed_items: list[str], present_items: list[str],
) -> ChecklistAssessment:  # fmt: skip
    errors = {}
    if phase not in set(Phase):
        errors["phase"] = _("Choose baseline or follow-up.")
    if assessed_on is None:
        errors["assessed_on"] = _("Enter the date of the assessment.")
    elif assessed_on > date.today():
        errors["assessed_on"] = _("The date cannot be in the future.")
    baseline = db.session.scalar(
        select(ChecklistAssessment.assessed_on)
        .where(
            ChecklistAssessment.enterprise_id == enterprise.id,
            ChecklistAssessment.phase == Phase.BASELINE,
        )
        .order_by(ChecklistAssessment.assessed_on)
        .limit(1)
    )
    if phase == Phase.FOLLOW_UP and assessed_on and baseline and assessed_on <= baseline:
        errors["assessed_on"] = _(
            "A follow-up comes after the baseline of %(date)s.", date=format_day(baseline)
        )
    unknown = set(present_items) - set(assessed_items)
    if unknown:
        errors["present_items"] = _("Only items that were assessed can be present.")
    if errors:
        raise InvalidInput(errors)
    assessment = db.session.scalar(
        select(ChecklistAssessment).where(
            ChecklistAssessment.enterprise_id == enterprise.id,
            ChecklistAssessment.phase == phase,
            ChecklistAssessment.assessed_on == assessed_on,
        )
    ) or ChecklistAssessment(
        enterprise_id=enterprise.id, phase=Phase(phase), assessed_on=assessed_on
    )
    assessment.assessed_by_id = user.id
    assessment.assessed_items = sorted(set(assessed_items))
    assessment.present_items = sorted(set(present_items))
    db.session.add(assessment)
    db.session.commit()
    return assessment


def checklist_assessments(enterprise_id: int) -> list[ChecklistAssessment]:
    return list(
        db.session.scalars(
            select(ChecklistAssessment)
            .where(ChecklistAssessment.enterprise_id == enterprise_id)
            .order_by(ChecklistAssessment.assessed_on)
        )
    )


def latest_assessments(
    assessments: list[ChecklistAssessment],
) -> tuple[ChecklistAssessment | None, ChecklistAssessment | None]:
    """The latest baseline and the latest follow-up of assessments in date order."""
    baselines = [a for a in assessments if a.phase == Phase.BASELINE]
    follow_ups = [a for a in assessments if a.phase == Phase.FOLLOW_UP]
    return (baselines[-1] if baselines else None, follow_ups[-1] if follow_ups else None)


def adopted_since_baseline(assessments: list[ChecklistAssessment]) -> list[str]:
    """Items present at the latest follow-up that were assessed and absent at baseline."""
    before, after = latest_assessments(assessments)
    if before is None or after is None:
        return []
    absent_before = set(before.assessed_items) - set(before.present_items)
    return sorted(absent_before & set(after.present_items))
