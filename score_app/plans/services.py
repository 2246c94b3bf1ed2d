"""Use cases for improvement plans: start a plan, add and move actions, verify them, keep
evidence photos, link visits, and sum up what the plan achieved."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, update

from score_app.auth.models import User
from score_app.catalog.indicators import BY_CODE
from score_app.catalog.services import get_catalogue
from score_app.db_errors import first_save_wins
from score_app.enterprises.access import enterprise_scope
from score_app.enterprises.models import Enterprise
from score_app.exceptions import EditConflict, InvalidInput, NotFound, check_version
from score_app.extensions import db, utcnow
from score_app.i18n import country_currency, currency_minor_digits, format_number, parse_number
from score_app.i18n import gettext as _
from score_app.kpis import services as kpis
from score_app.kpis.compare import change_margin
from score_app.plans import photos
from score_app.plans.models import (
    OPEN_STATUSES,
    ActionPhoto,
    ActionStatus,
    ImprovementPlan,
    PlanAction,
)

MAX_TEXT = 2000
MAX_AMOUNT = Decimal(10) ** 12
MAX_PHOTOS_PER_ACTION = 12
# Statuses an action's editors set; "verified" is given by a verifier.
EDITABLE_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.DONE)


def active_plan(enterprise_id: int) -> ImprovementPlan | None:
    return db.session.scalar(
        select(ImprovementPlan).where(
            ImprovementPlan.enterprise_id == enterprise_id, ImprovementPlan.archived_at.is_(None)
        )
    )


def plans_of(enterprise_id: int) -> list[ImprovementPlan]:
    """Every plan of the enterprise, the active one first, then the archived, newest first."""
    return list(
        db.session.scalars(
            select(ImprovementPlan)
            .where(ImprovementPlan.enterprise_id == enterprise_id)
            .order_by(
                ImprovementPlan.archived_at.is_not(None),
                ImprovementPlan.started_on.desc(),
                ImprovementPlan.id.desc(),
            )
        )
    )


@first_save_wins
def start_plan(
    user: User,
    enterprise: Enterprise,
    *,
    title: str,
    started_on: date | None,
    carry_over: bool,
    seen_current: int | None,
) -> ImprovementPlan:
    """A new active plan; the current one is archived, its unfinished actions moved over when
    asked, so nothing still to do is lost. Refused when the current plan is not the one the
    page showed (`seen_current`, its id, or None for none): a page opened before someone else
    started a plan would archive theirs unseen."""
    # One plan is started at a time per enterprise, so two quick submits cannot clash.
    db.session.execute(
        select(Enterprise.id).where(Enterprise.id == enterprise.id).with_for_update()
    )
    current = active_plan(enterprise.id)
    if (current.id if current else None) != seen_current:
        raise EditConflict
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the plan a title.")
    elif len(title.strip()) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    if started_on is None:
        errors["started_on"] = _("Enter the day the plan starts.")
    if errors:
        raise InvalidInput(errors)
    plan = ImprovementPlan(
        enterprise_id=enterprise.id,
        title=title.strip(),
        started_on=started_on,
        currency=current.currency if current else country_currency(enterprise.country),
        created_by_id=user.id,
    )
    if current is not None:
        current.archived_at = utcnow()
        db.session.flush()
    db.session.add(plan)
    db.session.flush()
    if current is not None and carry_over:
        db.session.execute(
            update(PlanAction)
            .where(PlanAction.plan_id == current.id, PlanAction.status.in_(OPEN_STATUSES))
            .values(plan_id=plan.id)
        )
    db.session.commit()
    return plan


@dataclass(frozen=True)
class ActionFields:
    """An action's fields after every check, ready to store."""

    problem: str
    root_cause: str
    action: str
    responsible: str
    start_date: date | None
    due_date: date
    status: ActionStatus
    module_slug: str
    indicator: str
    target_value: float | None
    estimated_cost_minor: int | None
    realised_savings_minor: int | None


def _text(errors, name, raw, *, required_message=None, limit=MAX_TEXT) -> str:
    text = (raw or "").strip()
    if required_message and not text:
        errors[name] = required_message
    elif len(text) > limit:
        errors[name] = _("Keep this under %(limit)s characters.", limit=format_number(limit))
    return text


def _amount(errors, name, raw, currency: str, locale: str) -> int | None:
    """Money typed in the user's locale, in minor units of the currency (cents)."""
    if raw is None or not str(raw).strip():
        return None
    number = parse_number(raw, locale)
    digits = currency_minor_digits(currency)
    if number is None or not number.is_finite():
        errors[name] = _(
            "Enter an amount written like %(example)s.", example=format_number(1250.5, digits)
        )
    elif number < 0:
        errors[name] = _("Cannot be negative.")
    elif number > MAX_AMOUNT:
        errors[name] = _("This amount is too large: check it.")
    elif number != round(number, digits):
        errors[name] = _(
            "This currency has %(digits)s decimals at most.", digits=format_number(digits)
        )
    else:
        return int(number.scaleb(digits))
    return None


def _target(errors, raw, indicator: str, locale: str) -> float | None:
    if raw is None or not str(raw).strip():
        return None
    number = parse_number(raw, locale)
    if number is None or not number.is_finite():
        errors["target_value"] = _(
            "Enter a number written like %(example)s.", example=format_number(12.5, 1)
        )
    elif number < 0:
        errors["target_value"] = _("Cannot be negative.")
    elif number > MAX_AMOUNT:
        errors["target_value"] = _("This is too large for a factory figure: check it.")
    elif not indicator:
        errors["indicator"] = _("Choose the indicator that the target is for.")
    else:
        return float(number)
    return None


def check_action(plan: ImprovementPlan, fields: dict, locale: str = "en") -> ActionFields:
    """Every rule an action must pass; raise InvalidInput naming each bad field."""
    errors: dict[str, str] = {}
    texts = {
        "problem": _text(
            errors, "problem", fields.get("problem"), required_message=_("Describe the problem.")
        ),
        "root_cause": _text(errors, "root_cause", fields.get("root_cause")),
        "action": _text(
            errors, "action", fields.get("action"), required_message=_("Say what will be done.")
        ),
        "responsible": _text(
            errors,
            "responsible",
            fields.get("responsible"),
            required_message=_("Name the person responsible."),
            limit=200,
        ),
    }
    start, due = fields.get("start_date"), fields.get("due_date")
    if due is None:
        errors["due_date"] = _("Enter the date the action is due.")
    elif start is not None and start > due:
        errors["due_date"] = _("The due date cannot come before the start date.")
    try:
        status = ActionStatus(fields.get("status") or ActionStatus.PLANNED)
    except ValueError:
        status = None
    if status not in EDITABLE_STATUSES:
        errors["status"] = _("Choose planned, in progress or done.")
    module_slug = fields.get("module_slug") or ""
    if module_slug and get_catalogue().get(module_slug) is None:
        errors["module_slug"] = _("Choose a module from the catalogue.")
    indicator = fields.get("indicator") or ""
    if indicator and indicator not in BY_CODE:
        errors["indicator"] = _("Unknown indicator.")
    target = _target(errors, fields.get("target_value"), indicator, locale)
    cost = _amount(errors, "estimated_cost", fields.get("estimated_cost"), plan.currency, locale)
    savings = _amount(
        errors, "realised_savings", fields.get("realised_savings"), plan.currency, locale
    )
    if errors:
        raise InvalidInput(errors)
    return ActionFields(
        **texts,
        start_date=start,
        due_date=due,
        status=status,
        module_slug=module_slug,
        indicator=indicator,
        target_value=target,
        estimated_cost_minor=cost,
        realised_savings_minor=savings,
    )


def _editable_plan(plan: ImprovementPlan) -> None:
    if not plan.is_active:
        raise InvalidInput({"plan": _("This plan is archived: it can be read, not changed.")})


def _apply(user: User, action: PlanAction, checked: ActionFields) -> None:
    for name, value in vars(checked).items():
        if name != "status":
            setattr(action, name, value)
    _set_status(user, action, checked.status)


def _changed_by(user: User, action: PlanAction, seen_version: int | None) -> None:
    """A change to an action, refused when someone saved it after `seen_version`."""
    check_version(action, seen_version)
    _editable_plan(action.plan)
    action.updated_by_id = user.id


def _set_status(user: User, action: PlanAction, status: ActionStatus) -> None:
    """Move an action, or save it changed, as `user`. The day it was done is kept while it
    stays done; whoever makes it done, or changes it while done, is the one who marked it done,
    and someone else verifies it."""
    if status == ActionStatus.DONE:
        action.done_on = action.done_on or date.today()
        action.done_by_id = user.id
    if status in OPEN_STATUSES:
        action.done_on, action.done_by_id = None, None
    if status != ActionStatus.VERIFIED:
        action.verified_by_id, action.verified_at = None, None
    action.status = status


@dataclass(frozen=True)
class PhotoUpload:
    """A photo sent with a form, and where and how large it may be kept."""

    data: bytes | None
    caption: str
    upload_dir: Path
    max_bytes: int


def add_action(
    user: User,
    plan: ImprovementPlan,
    fields: dict,
    locale: str = "en",
    photo: PhotoUpload | None = None,
) -> PlanAction:
    """A new action, with its first evidence photo when one is sent: both are saved, or, when
    the action or the photo is refused, neither (every refusal named at once)."""
    _editable_plan(plan)
    errors: dict[str, str] = {}
    try:
        checked = check_action(plan, fields, locale)
    except InvalidInput as error:
        errors.update(error.errors)
    clean = None
    if photo is not None and (photo.data or photo.caption.strip()):
        clean = photos.check_upload(photo.data, photo.caption, photo.max_bytes, errors)
    if errors:
        if clean is not None:
            # i18n: the photo was fine, but the action was not saved; a browser cannot keep it.
            errors["photo"] = _("The photo was not saved with the action: choose it again.")
        raise InvalidInput(errors)
    action = PlanAction(plan_id=plan.id, created_by_id=user.id, updated_by_id=user.id, done_on=None)
    _apply(user, action, checked)
    db.session.add(action)
    if clean is None:
        db.session.commit()
        return action
    db.session.flush()
    kept = ActionPhoto(action_id=action.id, caption=photo.caption.strip(), uploaded_by_id=user.id)
    photos.keep(kept, clean, photo.upload_dir)  # one commit: the action and its photo
    return action


@first_save_wins
def update_action(
    user: User, action: PlanAction, fields: dict, locale: str = "en", *, seen_version: int | None
) -> PlanAction:
    """New content for an action. A verified action that changes must be verified again; saved
    unchanged, it stays verified, and a done one stays marked done by whoever marked it."""
    _changed_by(user, action, seen_version)
    checked = check_action(action.plan, fields, locale)
    if _changes(action, checked):
        _apply(user, action, checked)
    db.session.commit()
    return action


def _changes(action: PlanAction, checked: ActionFields) -> bool:
    """Whether saving the checked fields changes the action; a verified one counts as done (the
    status its form shows)."""
    shown = ActionStatus.DONE if action.status == ActionStatus.VERIFIED else action.status
    return checked.status != shown or any(
        getattr(action, name) != value for name, value in vars(checked).items() if name != "status"
    )


@first_save_wins
def move_action(user: User, action: PlanAction, status: str, *, seen_version: int | None) -> None:
    """The quick buttons: start, mark done, or back to planned."""
    _changed_by(user, action, seen_version)
    try:
        new_status = ActionStatus(status)
    except ValueError:
        new_status = None
    if new_status not in EDITABLE_STATUSES:
        raise InvalidInput({"status": _("Choose planned, in progress or done.")})
    if new_status != action.status:
        _set_status(user, action, new_status)
    db.session.commit()


@first_save_wins
def verify_action(user: User, action: PlanAction, *, seen_version: int | None) -> None:
    """A trainer, programme staff or an admin confirms on the shop floor that it was done, as
    they saw it."""
    _changed_by(user, action, seen_version)
    if action.status != ActionStatus.DONE:
        raise InvalidInput({"status": _("Only an action that is done can be verified.")})
    if action.marked_done_by(user):
        marked = _("Someone other than the person who marked this action done must verify it.")
        raise InvalidInput({"status": marked})
    action.status = ActionStatus.VERIFIED
    action.verified_by_id, action.verified_at = user.id, utcnow()
    db.session.commit()


@first_save_wins
def delete_action(
    user: User, action: PlanAction, upload_dir: Path, *, seen_version: int | None
) -> None:
    check_version(action, seen_version)
    _editable_plan(action.plan)
    names = [photo.stored_name for photo in action.photos]
    photos.forget(names, upload_dir, lambda: db.session.delete(action))


@first_save_wins
def add_photo(
    user: User,
    action: PlanAction,
    *,
    data: bytes | None,
    caption: str,
    upload_dir: Path,
    max_bytes: int,
) -> ActionPhoto:
    """Keep an evidence photo: its picture alone, encoded again (`photos.clean_photo`); the
    file's content decides its type, never its name."""
    _editable_plan(action.plan)
    errors = {}
    if len(action.photos) >= MAX_PHOTOS_PER_ACTION:
        errors["photo"] = _(
            "An action keeps %(count)s photos at most.", count=format_number(MAX_PHOTOS_PER_ACTION)
        )
    clean = photos.check_upload(data, caption, max_bytes, errors)
    if errors:
        raise InvalidInput(errors)
    photo = ActionPhoto(action_id=action.id, caption=caption.strip(), uploaded_by_id=user.id)
    photos.keep(photo, clean, upload_dir)
    return photo


def delete_photo(user: User, photo: ActionPhoto, upload_dir: Path) -> None:
    _editable_plan(photo.plan_action.plan)
    photos.remove(photo, upload_dir)


def action_or_none(user: User, action_id: int) -> PlanAction | None:
    """The action when its enterprise is in the user's scope."""
    return db.session.scalar(
        select(PlanAction)
        .join(ImprovementPlan)
        .join(Enterprise, Enterprise.id == ImprovementPlan.enterprise_id)
        .where(PlanAction.id == action_id, enterprise_scope(user))
    )


def photo_or_none(user: User, photo_id: int) -> ActionPhoto | None:
    return db.session.scalar(
        select(ActionPhoto)
        .join(PlanAction)
        .join(ImprovementPlan)
        .join(Enterprise, Enterprise.id == ImprovementPlan.enterprise_id)
        .where(ActionPhoto.id == photo_id, enterprise_scope(user))
    )


@dataclass(frozen=True)
class Agenda:
    overdue: list[PlanAction]
    due_this_week: list[PlanAction]


def agenda(user: User, today: date) -> Agenda:
    """Unfinished actions of the active plans in the user's scope: late, and due within 7 days."""
    rows = db.session.scalars(
        select(PlanAction)
        .join(ImprovementPlan)
        .join(Enterprise, Enterprise.id == ImprovementPlan.enterprise_id)
        .where(
            enterprise_scope(user),
            ImprovementPlan.archived_at.is_(None),
            PlanAction.status.in_(OPEN_STATUSES),
            PlanAction.due_date < today + timedelta(days=7),
        )
        .order_by(PlanAction.due_date, PlanAction.id)
    ).all()
    return Agenda(
        overdue=[a for a in rows if a.due_date < today],
        due_this_week=[a for a in rows if a.due_date >= today],
    )


@dataclass(frozen=True)
class PlanTotals:
    by_status: dict[ActionStatus, int]
    done_or_verified: int
    estimated_cost_minor: int
    realised_savings_minor: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def totals(plan: ImprovementPlan) -> PlanTotals:
    """Actions by status and the money they cost and saved, summed in the database."""
    counts = dict(
        db.session.execute(
            select(PlanAction.status, func.count())
            .where(PlanAction.plan_id == plan.id)
            .group_by(PlanAction.status)
        ).all()
    )
    cost, savings = db.session.execute(
        select(
            func.coalesce(func.sum(PlanAction.estimated_cost_minor), 0),
            func.coalesce(func.sum(PlanAction.realised_savings_minor), 0),
        ).where(PlanAction.plan_id == plan.id)
    ).one()
    by_status = {status: counts.get(status, 0) for status in ActionStatus}
    return PlanTotals(
        by_status=by_status,
        done_or_verified=by_status[ActionStatus.DONE] + by_status[ActionStatus.VERIFIED],
        estimated_cost_minor=int(cost),
        realised_savings_minor=int(savings),
    )


@dataclass(frozen=True)
class ChecklistProgress:
    baseline_present: int | None
    baseline_assessed: int | None
    follow_up_present: int | None
    follow_up_assessed: int | None
    adopted: list[str]  # item ids present at follow-up that were absent at baseline


def checklist_progress(enterprise_id: int) -> ChecklistProgress:
    assessments = kpis.checklist_assessments(enterprise_id)
    before, after = kpis.latest_assessments(assessments)
    return ChecklistProgress(
        baseline_present=len(before.present_items) if before else None,
        baseline_assessed=len(before.assessed_items) if before else None,
        follow_up_present=len(after.present_items) if after else None,
        follow_up_assessed=len(after.assessed_items) if after else None,
        adopted=kpis.adopted_since_baseline(assessments),
    )


def latest_values(enterprise_id: int) -> dict[str, float]:
    """Each indicator's latest follow-up value, for checking targets."""
    return {
        row.indicator.code: row.follow_up.value
        for row in kpis.comparison(enterprise_id)
        if row.follow_up
    }


def target_reached(action: PlanAction, latest_values: dict[str, float]) -> bool | None:
    """Whether the indicator's latest follow-up meets the action's target (None: unknown)."""
    if action.target_value is None or action.indicator not in latest_values:
        return None
    latest = latest_values[action.indicator]
    definition = BY_CODE[action.indicator]
    tolerance = change_margin(definition.decimals)
    if definition.direction == "higher":
        return latest >= action.target_value - tolerance
    return latest <= action.target_value + tolerance


def grouped_by_status(actions: list[PlanAction]) -> dict[ActionStatus, list[PlanAction]]:
    groups = {status: [] for status in ActionStatus}
    for action in actions:
        groups[action.status].append(action)
    return groups


def plan_of(enterprise: Enterprise, plan_id: int | None) -> ImprovementPlan | None:
    """The enterprise's plan with this id (NotFound if it has none such), or its active plan."""
    if plan_id is None:
        return active_plan(enterprise.id)
    plan = db.session.get(ImprovementPlan, plan_id)
    if plan is None or plan.enterprise_id != enterprise.id:
        raise NotFound
    return plan
