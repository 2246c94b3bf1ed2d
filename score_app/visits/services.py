"""Use cases of a visit: record or change it with the plan actions it followed up, and keep
the photos taken at it."""

from collections.abc import Iterable
from datetime import date
from itertools import groupby
from pathlib import Path

from sqlalchemy import false, or_, select

from score_app.auth.models import User
from score_app.catalog.services import get_catalogue
from score_app.db_errors import first_save_wins
from score_app.enterprises.access import enterprise_scope, enterprises_in_scope, figures_scope
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput, check_version
from score_app.extensions import db
from score_app.i18n import format_number
from score_app.i18n import gettext as _
from score_app.plans import photos
from score_app.plans import services as plans
from score_app.plans.models import OPEN_STATUSES, ImprovementPlan, PlanAction, visit_actions
from score_app.training.models import Visit, VisitPhoto

MAX_PHOTOS_PER_VISIT = 12


def _check_visit(user, enterprise_id, module_slug, visit_date, action_ids):
    """The field messages of a visit, the enterprise it is of and the actions it followed up."""
    errors = {}
    enterprises = enterprises_in_scope(user, [enterprise_id] if enterprise_id else [])
    if not enterprises:
        errors["enterprise_id"] = _("Choose an enterprise you work with.")
    if get_catalogue().get(module_slug) is None:
        errors["module_slug"] = _("Choose a module from the catalogue.")
    if visit_date is None:
        errors["visit_date"] = _("Enter the date of the visit.")
    actions = []
    if enterprises and action_ids is not None:
        plan = plans.active_plan(enterprises[0].id)
        available = {a.id: a for a in plan.actions} if plan else {}
        if not set(action_ids) <= set(available):
            errors["action_ids"] = _("Choose actions of this enterprise's current plan.")
        actions = [available[i] for i in sorted(set(action_ids)) if i in available]
    return errors, (enterprises or [None])[0], actions


def _follow_up(visit: Visit, actions: list[PlanAction]) -> None:
    """Link the visit to exactly these actions among those of current plans; links to actions
    of plans since archived stay, as the record of what was followed up then."""
    for action in actions_followed_up(visit.id) if visit.id else []:
        if action.plan.is_active and action not in actions:
            action.visits.remove(visit)
    for action in actions:
        if visit not in action.visits:
            action.visits.append(visit)


@first_save_wins
def save_visit(
    user: User,
    visit: Visit | None,
    *,
    enterprise_id: int | None,
    module_slug: str,
    visit_date: date | None,
    findings: str,
    next_steps: str,
    action_ids: Iterable[int] | None = None,
    seen_version: int | None = None,
) -> Visit:
    """Record a visit, or change one unless someone saved it after `seen_version`, with the
    actions of the enterprise's current plan it followed up (`action_ids`; None leaves them as
    they are): the visit and its actions together, or nothing."""
    if visit is not None:
        check_version(visit, seen_version)
    action_ids = None if action_ids is None else list(action_ids)
    errors, enterprise, actions = _check_visit(
        user, enterprise_id, module_slug, visit_date, action_ids
    )
    if errors:
        raise InvalidInput(errors)
    visit = visit or Visit(trainer=user)
    visit.enterprise = enterprise
    visit.module_slug, visit.visit_date = module_slug, visit_date
    visit.findings, visit.next_steps = findings.strip(), next_steps.strip()
    visit.mark_saved_by(user)
    db.session.add(visit)
    if action_ids is not None:
        db.session.flush()
        _follow_up(visit, actions)
    db.session.commit()
    return visit


def actions_to_follow_up(user: User, visit: Visit | None) -> list[tuple[Enterprise, list]]:
    """What a visit may follow up, by enterprise in the user's scope: the open actions of its
    current plan, and those of them the visit followed up already whatever their status."""
    linked = (
        PlanAction.id.in_(
            select(visit_actions.c.action_id).where(visit_actions.c.visit_id == visit.id)
        )
        if visit is not None
        else false()
    )
    rows = db.session.execute(
        select(Enterprise, PlanAction)
        .join(ImprovementPlan, ImprovementPlan.enterprise_id == Enterprise.id)
        .join(PlanAction, PlanAction.plan_id == ImprovementPlan.id)
        .where(
            enterprise_scope(user),
            figures_scope(user),
            ImprovementPlan.archived_at.is_(None),
            or_(PlanAction.status.in_(OPEN_STATUSES), linked),
        )
        .order_by(Enterprise.name_folded, Enterprise.id, PlanAction.due_date, PlanAction.id)
    ).all()
    return [
        (enterprise, [action for _enterprise, action in group])
        for enterprise, group in groupby(rows, key=lambda row: row[0])
    ]


def actions_followed_up(visit_id: int) -> list[PlanAction]:
    return list(
        db.session.scalars(
            select(PlanAction)
            .join(PlanAction.visits)
            .where(Visit.id == visit_id)
            .order_by(PlanAction.due_date, PlanAction.id)
        )
    )


def add_visit_photo(
    user: User, visit: Visit, *, data: bytes | None, caption: str, upload_dir: Path, max_bytes: int
) -> VisitPhoto:
    """Keep a photo taken at the visit, checked and cleaned as an action's evidence photos."""
    errors = {}
    if len(visit.photos) >= MAX_PHOTOS_PER_VISIT:
        errors["photo"] = _(
            "A visit keeps %(count)s photos at most.", count=format_number(MAX_PHOTOS_PER_VISIT)
        )
    clean = photos.check_upload(data, caption, max_bytes, errors)
    if errors:
        raise InvalidInput(errors)
    photo = VisitPhoto(visit_id=visit.id, caption=caption.strip(), uploaded_by_id=user.id)
    photos.keep(photo, clean, upload_dir)
    return photo


def delete_visit_photo(photo: VisitPhoto, upload_dir: Path) -> None:
    photos.remove(photo, upload_dir)
