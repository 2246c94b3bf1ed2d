"""Use cases for training delivery: workshops, attendance, visits and certificates."""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select

from score_app.auth.models import Role, User
from score_app.catalog.services import get_catalogue
from score_app.db_errors import first_save_wins
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.access import enterprises_in_scope
from score_app.enterprises.models import JobRole, Person, Sex
from score_app.exceptions import InvalidInput, check_version
from score_app.extensions import db, utcnow
from score_app.i18n import SUPPORTED_LOCALES, format_number, ngettext, sort_key
from score_app.i18n import gettext as _
from score_app.training import codes
from score_app.training.access import certificate_scope
from score_app.training.models import Attendance, Certificate, Workshop, WorkshopDay


def _check_workshop(user, module_slug, trainer, place, enterprise_ids, days):
    errors = {}
    if get_catalogue().get(module_slug) is None:
        errors["module_slug"] = _("Choose a module from the catalogue.")
    if trainer is None or not trainer.is_active or trainer.role not in (Role.TRAINER, Role.ADMIN):
        errors["trainer_id"] = _("Choose an active trainer.")
    if not place.strip():
        errors["place"] = _("Enter where the workshop takes place.")
    enterprises = enterprises_in_scope(user, enterprise_ids)
    if not enterprise_ids or not enterprises:
        errors["enterprise_ids"] = _("Choose at least one enterprise you work with.")
    if not days:
        errors["days"] = _("Enter at least one day.")
    elif len(set(days)) != len(days):
        errors["days"] = _("Each day can be entered only once.")
    return errors, enterprises


@first_save_wins
def save_workshop(
    user: User,
    workshop: Workshop | None,
    *,
    module_slug: str,
    trainer: User | None,
    place: str,
    enterprise_ids: Iterable[int],
    days: list[date],
    seen_version: int | None = None,
) -> Workshop:
    """Create a workshop, or change one unless someone saved it after `seen_version`; a day
    that already has attendance cannot be dropped."""
    if workshop is not None:
        check_version(workshop, seen_version)
    enterprise_ids = list(enterprise_ids)
    errors, enterprises = _check_workshop(user, module_slug, trainer, place, enterprise_ids, days)
    kept = {d.day_date: d for d in workshop.days} if workshop else {}
    dropped = [d for day_date, d in kept.items() if day_date not in days]
    if any(_present_count(d) for d in dropped):
        errors["days"] = _("A day with attendance marked cannot be removed; unmark it first.")
    if errors:
        raise InvalidInput(errors)
    workshop = workshop or Workshop()
    workshop.module_slug, workshop.trainer, workshop.place = module_slug, trainer, place.strip()
    workshop.enterprises = enterprises
    workshop.days = [kept.get(d) or WorkshopDay(day_date=d) for d in sorted(days)]
    workshop.mark_saved_by(user)
    db.session.add(workshop)
    db.session.commit()
    return workshop


def _present_count(day: WorkshopDay) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.workshop_day_id == day.id)
    )


def workshop_people(workshop: Workshop) -> list[Person]:
    """Everyone of the workshop's enterprises, by enterprise then name (sort_key: Chinese
    names by pinyin, others without case or accents), the same on every database."""
    enterprises = {e.id: e.name_folded for e in workshop.enterprises}
    people = db.session.scalars(select(Person).where(Person.enterprise_id.in_(enterprises)))
    return sorted(people, key=lambda p: (enterprises[p.enterprise_id], sort_key(p.full_name)))


def present_ids(day: WorkshopDay) -> set[int]:
    return set(
        db.session.scalars(select(Attendance.person_id).where(Attendance.workshop_day_id == day.id))
    )


def day_has_come(day: WorkshopDay) -> bool:
    """Attendance is marked on the day itself or after it, never ahead."""
    return day.day_date <= date.today()


def _check_day_has_come(day: WorkshopDay) -> None:
    if not day_has_come(day):
        raise InvalidInput({"present": _("Attendance can be marked from the day itself.")})


def _check_people(day: WorkshopDay, person_ids: set[int]) -> None:
    allowed = {p.id for p in workshop_people(day.workshop)}
    if not person_ids <= allowed:
        raise InvalidInput({"present": _("Only people of the workshop's enterprises can attend.")})


def save_attendance(user: User, day: WorkshopDay, person_ids: set[int]) -> None:
    """Make exactly these people present on the day (the one-form, no-JavaScript way)."""
    _check_day_has_come(day)
    _check_people(day, person_ids)
    current = present_ids(day)
    db.session.execute(
        delete(Attendance).where(
            Attendance.workshop_day_id == day.id, Attendance.person_id.in_(current - person_ids)
        )
    )
    db.session.add_all(
        Attendance(workshop_day_id=day.id, person_id=pid, marked_by_id=user.id)
        for pid in person_ids - current
    )
    db.session.commit()


def mark_present(user: User, day: WorkshopDay, person_id: int, present: bool) -> None:
    """One tap: mark or unmark one person; repeating the same tap changes nothing."""
    _check_day_has_come(day)
    _check_people(day, {person_id})
    row = db.session.scalar(
        select(Attendance).where(
            Attendance.workshop_day_id == day.id, Attendance.person_id == person_id
        )
    )
    if present and row is None:
        db.session.add(
            Attendance(workshop_day_id=day.id, person_id=person_id, marked_by_id=user.id)
        )
    elif not present and row is not None:
        db.session.delete(row)
    db.session.commit()


def add_walk_in(
    user: User, day: WorkshopDay, enterprise_id: int | None, full_name: str, sex: str, job_role: str
) -> Person:
    """Someone who came without being listed: register them and mark them present."""
    _check_day_has_come(day)
    enterprise = next((e for e in day.workshop.enterprises if e.id == enterprise_id), None)
    if enterprise is None:
        raise InvalidInput({"enterprise_id": _("Choose one of the workshop's enterprises.")})
    person = enterprise_services.new_person(enterprise, full_name, sex, job_role)
    db.session.flush()
    db.session.add(Attendance(workshop_day_id=day.id, person_id=person.id, marked_by_id=user.id))
    db.session.commit()  # the person and their attendance together, or neither
    return person


@dataclass(frozen=True)
class TrainerDay:
    """The workshop days a trainer runs today, or else the next day they run one."""

    today: list[WorkshopDay]
    next_day: WorkshopDay | None


def trainer_day(user: User, today: date) -> TrainerDay:
    """What a trainer's start page leads with: today's workshop days, each opening its
    attendance, or, with none today, the next workshop day ahead."""
    days = db.session.scalars(
        select(WorkshopDay)
        .join(Workshop)
        .where(Workshop.trainer_id == user.id, WorkshopDay.day_date >= today)
        .order_by(WorkshopDay.day_date, Workshop.id)
    ).all()
    running = [d for d in days if d.day_date == today]
    return TrainerDay(today=running, next_day=None if running or not days else days[0])


def attendance_counts(day: WorkshopDay) -> dict:
    """Present people by sex and job role, with totals, counted in the database."""
    rows = db.session.execute(
        select(Person.sex, Person.job_role, func.count())
        .join(Attendance, Attendance.person_id == Person.id)
        .where(Attendance.workshop_day_id == day.id)
        .group_by(Person.sex, Person.job_role)
    ).all()
    cells = Counter({(sex, role): n for sex, role, n in rows})
    return {
        "cells": cells,
        "by_sex": {s: sum(cells[(s, r)] for r in JobRole) for s in Sex},
        "by_role": {r: sum(cells[(s, r)] for s in Sex) for r in JobRole},
        "total": sum(cells.values()),
    }


def eligible_people(workshop: Workshop) -> list[Person]:
    """People present on every day of the workshop."""
    day_ids = [d.id for d in workshop.days]
    if not day_ids:
        return []
    enterprise_ids = [e.id for e in workshop.enterprises]
    full_attendance = (
        select(Attendance.person_id)
        .where(Attendance.workshop_day_id.in_(day_ids))
        .group_by(Attendance.person_id)
        .having(func.count() == len(day_ids))
    )
    people = db.session.scalars(
        select(Person).where(
            Person.id.in_(full_attendance), Person.enterprise_id.in_(enterprise_ids)
        )
    )
    return sorted(people, key=lambda p: (sort_key(p.full_name), p.id))


def issue_certificates(
    user: User, workshop: Workshop, locale: str, new_code: Callable[[], str] = codes.new_code
) -> list[Certificate]:
    """Certificates for every eligible participant who has none yet, in the chosen language.

    Codes are random; the demo passes its own fixed sequence so it loads the same every time.
    """
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput({"locale": _("Choose one of the offered languages.")})
    if workshop.end_date is None or workshop.end_date > date.today():
        raise InvalidInput({"locale": _("Certificates are issued once the last day is over.")})
    issued = set(
        db.session.scalars(
            select(Certificate.person_id).where(Certificate.workshop_id == workshop.id)
        )
    )
    new = [
        Certificate(
            code=new_code(),
            workshop=workshop,
            person=person,
            locale=locale,
            participant_name=person.full_name,
            enterprise_name=person.enterprise.name,
            trainer_name=workshop.trainer.full_name,
            module_slug=workshop.module_slug,
            start_date=workshop.start_date,
            end_date=workshop.end_date,
            issued_by_id=user.id,
        )
        for person in eligible_people(workshop)
        if person.id not in issued
    ]
    db.session.add_all(new)
    db.session.commit()
    return new


def workshop_certificates(
    user: User, workshop: Workshop, *, valid_only: bool = False
) -> list[Certificate]:
    """The workshop's certificates the user may see (access.certificate_scope), by name."""
    query = select(Certificate).where(
        Certificate.workshop_id == workshop.id, certificate_scope(user)
    )
    if valid_only:
        query = query.where(Certificate.revoked_at.is_(None))
    found = db.session.scalars(query)
    return sorted(found, key=lambda c: (sort_key(c.participant_name), c.id))


def print_all_refusal(valid_count: int, most: int) -> str | None:
    """Why these valid certificates cannot go into one PDF of at most `most`, or None."""
    if valid_count == 0:
        return _("There is no valid certificate to print.")
    if valid_count > most:
        return ngettext(
            "This workshop has %(count)s valid certificate, more than one PDF can hold "
            "(%(most)s): download them one by one from the list below.",
            "This workshop has %(count)s valid certificates, more than one PDF can hold "
            "(%(most)s): download them one by one from the list below.",
            valid_count,
            count=format_number(valid_count),
            most=format_number(most),
        )
    return None


def revoke_certificate(user: User, certificate: Certificate, reason: str) -> None:
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why the certificate is revoked.")})
    if certificate.revoked_at is None:
        certificate.revoked_at = utcnow()
        certificate.revoked_by_id = user.id
        certificate.revoke_reason = reason.strip()
        db.session.commit()


def find_certificate(code: str) -> Certificate | None:
    """The certificate of a code as a reader typed it (see codes.normalise_code)."""
    return db.session.scalar(
        select(Certificate).where(Certificate.code == codes.normalise_code(code))
    )
