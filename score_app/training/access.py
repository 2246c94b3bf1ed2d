"""Which workshops, visits and certificates a user may reach: the rows of training delivery as
the access policy (auth/policy.py) sees them."""

from sqlalchemy import ColumnElement, false, or_, select, true

from score_app.auth.models import Role, User
from score_app.auth.policy import is_live
from score_app.enterprises.access import enterprise_scope
from score_app.enterprises.models import Enterprise, Person
from score_app.exceptions import NotAllowed, NotFound
from score_app.extensions import db
from score_app.training.codes import normalise_code
from score_app.training.models import (
    Certificate,
    Visit,
    VisitPhoto,
    Workshop,
    WorkshopDay,
    workshop_enterprises,
)


def workshop_scope(user: User | None) -> ColumnElement[bool]:
    """Workshops a user may see: those they run (trainers), or those with an enterprise in scope."""
    if not is_live(user):
        return false()
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.TRAINER:
        return Workshop.trainer_id == user.id
    with_enterprise_in_scope = (
        select(workshop_enterprises.c.workshop_id)
        .join(Enterprise, Enterprise.id == workshop_enterprises.c.enterprise_id)
        .where(enterprise_scope(user))
    )
    return Workshop.id.in_(with_enterprise_in_scope)


def get_workshop_or_404(user: User | None, workshop_id: int) -> Workshop:
    workshop = db.session.scalar(
        select(Workshop).where(Workshop.id == workshop_id, workshop_scope(user))
    )
    if workshop is None:
        raise NotFound
    return workshop


def runs_workshop(user: User | None, workshop: Workshop) -> bool:
    """Only the workshop's own trainer, or an admin, marks attendance and issues certificates."""
    return is_live(user) and (user.role == Role.ADMIN or workshop.trainer_id == user.id)


def visit_scope(user: User | None) -> ColumnElement[bool]:
    return Visit.enterprise_id.in_(select(Enterprise.id).where(enterprise_scope(user)))


def get_visit_or_404(user: User | None, visit_id: int) -> Visit:
    visit = db.session.scalar(select(Visit).where(Visit.id == visit_id, visit_scope(user)))
    if visit is None:
        raise NotFound
    return visit


def get_visit_photo_or_404(user: User | None, photo_id: int) -> VisitPhoto:
    photo = db.session.scalar(
        select(VisitPhoto).join(Visit).where(VisitPhoto.id == photo_id, visit_scope(user))
    )
    if photo is None:
        raise NotFound
    return photo


def certificate_scope(user: User | None) -> ColumnElement[bool]:
    """Certificates of people whose enterprise is in scope, and all of the workshops one runs.

    A shared classroom does not open one enterprise's certificates to another's owner.
    """
    if not is_live(user):
        return false()
    if user.role == Role.ADMIN:
        return true()
    in_scope = Certificate.person_id.in_(
        select(Person.id).join(Enterprise).where(enterprise_scope(user))
    )
    if user.role == Role.TRAINER:
        runs = Certificate.workshop_id.in_(
            select(Workshop.id).where(Workshop.trainer_id == user.id)
        )
        return or_(in_scope, runs)
    return in_scope


def get_workshop_i_run(user: User | None, workshop_id: int) -> Workshop:
    """A workshop in scope that the user runs (runs_workshop), for attendance and papers."""
    workshop = get_workshop_or_404(user, workshop_id)
    if not runs_workshop(user, workshop):
        raise NotAllowed
    return workshop


def get_day_i_run(user: User | None, workshop_id: int, day_id: int) -> WorkshopDay:
    """A day of a workshop the user runs."""
    workshop = get_workshop_i_run(user, workshop_id)
    day = next((d for d in workshop.days if d.id == day_id), None)
    if day is None:
        raise NotFound
    return day


def get_certificate_or_404(user: User | None, code: str) -> Certificate:
    """A certificate in the user's scope, by its code as printed or typed (codes.normalise_code)."""
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.code == normalise_code(code), certificate_scope(user))
    )
    if certificate is None:
        raise NotFound
    return certificate
