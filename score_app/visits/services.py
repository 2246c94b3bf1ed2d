"""Use cases of a visit: record or change it, and say which plan actions it followed up."""

from datetime import date

from sqlalchemy import select

from score_app.auth.models import User
from score_app.catalog.services import get_catalogue
from score_app.db_errors import first_save_wins
from score_app.enterprises.access import enterprises_in_scope
from score_app.exceptions import InvalidInput, check_version
from score_app.extensions import db
from score_app.i18n import gettext as _
from score_app.plans import services as plans
from score_app.plans.models import PlanAction
from score_app.training.models import Visit


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
    seen_version: int | None = None,
) -> Visit:
    """Record a visit, or change one unless someone saved it after `seen_version`."""
    if visit is not None:
        check_version(visit, seen_version)
    errors = {}
    enterprises = enterprises_in_scope(user, [enterprise_id] if enterprise_id else [])
    if not enterprises:
        errors["enterprise_id"] = _("Choose an enterprise you work with.")
    if get_catalogue().get(module_slug) is None:
        errors["module_slug"] = _("Choose a module from the catalogue.")
    if visit_date is None:
        errors["visit_date"] = _("Enter the date of the visit.")
    if errors:
        raise InvalidInput(errors)
    visit = visit or Visit(trainer=user)
    visit.enterprise = enterprises[0]
    visit.module_slug, visit.visit_date = module_slug, visit_date
    visit.findings, visit.next_steps = findings.strip(), next_steps.strip()
    visit.mark_saved_by(user)
    db.session.add(visit)
    db.session.commit()
    return visit


def followable_actions(enterprise_id: int, action_ids: list[int]) -> dict[int, PlanAction]:
    """The actions of the enterprise's active plan by id, refused unless `action_ids` are
    among them: a visit follows up the current plan's actions only."""
    plan = plans.active_plan(enterprise_id)
    available = {a.id: a for a in plan.actions} if plan else {}
    if set(action_ids) - set(available):
        raise InvalidInput({"actions": _("Choose actions of this enterprise's current plan.")})
    return available


@first_save_wins
def link_visit_actions(user: User, visit: Visit, action_ids: list[int]) -> list[PlanAction]:
    """The actions of the visited enterprise's active plan that this visit followed up."""
    available = followable_actions(visit.enterprise_id, action_ids)
    linked = [a for a in available.values() if a.id not in action_ids and visit in a.visits]
    for action in linked:
        action.visits.remove(visit)
    chosen = [available[i] for i in sorted(set(action_ids))]
    for action in chosen:
        if visit not in action.visits:
            action.visits.append(visit)
    db.session.commit()
    return chosen


def actions_followed_up(visit_id: int) -> list[PlanAction]:
    return list(
        db.session.scalars(
            select(PlanAction)
            .join(PlanAction.visits)
            .where(Visit.id == visit_id)
            .order_by(PlanAction.due_date, PlanAction.id)
        )
    )
