"""Use cases for enterprises: create and edit profiles, give or withdraw consent, search within
a scope, and the enterprise's people and EIT."""

from datetime import date

from flask import current_app
from sqlalchemy import Select, select

from score_app.auth import policy
from score_app.auth.models import Role, User
from score_app.db_errors import first_save_wins
from score_app.enterprises.access import country_in_scope, enterprise_scope
from score_app.enterprises.models import Enterprise, JobRole, Person, Sex
from score_app.exceptions import InvalidInput, check_version
from score_app.extensions import db, utcnow
from score_app.i18n import country_name, fold, is_country_code, name_key, sort_key
from score_app.i18n import gettext as _
from score_app.request_args import like_pattern

PROFILE_FIELDS = (
    "name",
    "country",
    "region",
    "sector",
    "product",
    "workers_women",
    "workers_men",
    "joined_on",
    "cohort",
)
CONSENT = "data_sharing_consent"
FIELDS = (*PROFILE_FIELDS, CONSENT)
_TEXT_FIELDS = ("name", "region", "product", "cohort")
TEXT_LIMITS = {"name": 200, "region": 120, "product": 200, "cohort": 60}
MAX_WORKERS = 1_000_000


def _clean(data: dict) -> dict:
    cleaned = dict(data)
    for name in _TEXT_FIELDS:
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    return cleaned


def _check(user: User, data: dict, enterprise: Enterprise | None) -> None:
    errors = {}
    if not data["name"]:
        errors["name"] = _("Enter the enterprise's name.")
    country = data["country"]
    if not is_country_code(country):
        errors["country"] = _("Choose a country from the list.")
    elif (enterprise is None or country != enterprise.country) and not _may_place(user, country):
        errors["country"] = _("You can only place enterprises in the countries of your scope.")
    kept_sector = enterprise is not None and data["sector"] == enterprise.sector
    if data["sector"] not in current_app.config["SCORE_SECTORS"] and not kept_sector:
        errors["sector"] = _("Choose a sector from the list.")
    for name in ("workers_women", "workers_men"):
        if not isinstance(data[name], int) or not 0 <= data[name] <= MAX_WORKERS:
            errors[name] = _("Enter a whole number from 0 to %(max)s.", max=MAX_WORKERS)
    for name, longest in TEXT_LIMITS.items():
        if len(data[name]) > longest:
            errors[name] = _("Use at most %(n)d characters.", n=longest)
    if data["joined_on"] and data["joined_on"] > date.today():
        errors["joined_on"] = _("The date joined cannot be in the future.")
    changing_consent = data[CONSENT] != (enterprise.data_sharing_consent if enterprise else False)
    if changing_consent and not policy.can(user, policy.ENTERPRISE_CONSENT):
        errors[CONSENT] = _("Only the enterprise's owner or an admin can give or withdraw consent.")
    if errors:
        raise InvalidInput(errors)


def _may_place(user: User, country: str) -> bool:
    return policy.can(user, policy.ENTERPRISE_CREATE) and country_in_scope(user, country)


def _apply(user: User, enterprise: Enterprise, data: dict) -> None:
    for name in PROFILE_FIELDS:
        setattr(enterprise, name, data[name])
    enterprise.name_folded = name_key(data["name"])[:200]
    if enterprise.data_sharing_consent != data[CONSENT]:
        enterprise.data_sharing_consent = data[CONSENT]
        enterprise.consent_changed_at = utcnow()
    enterprise.mark_saved_by(user)


def create_enterprise(user: User, data: dict) -> Enterprise:
    """Register an enterprise; `data` holds every profile field, and consent when it is given
    at once (without, the enterprise has not consented)."""
    data = {CONSENT: False, **_clean(data)}
    _check(user, data, None)
    enterprise = Enterprise(data_sharing_consent=False)
    _apply(user, enterprise, data)
    db.session.add(enterprise)
    db.session.commit()
    return enterprise


@first_save_wins
def update_enterprise(
    user: User, enterprise: Enterprise, changes: dict, *, seen_version: int | None
) -> Enterprise:
    """Change some fields of an enterprise's profile, or its consent alone, refused when someone
    saved the enterprise after `seen_version`. Consent never changes as a side effect of other
    fields: a change of consent that comes with any other is refused whole, so a form or an
    object read before the owner withdrew consent cannot give it back with an edit."""
    check_version(enterprise, seen_version)
    data = {name: getattr(enterprise, name) for name in FIELDS} | _clean(changes)
    changed = {name for name in FIELDS if data[name] != getattr(enterprise, name)}
    if CONSENT in changed and len(changed) > 1:
        raise InvalidInput(
            {CONSENT: _("Give or withdraw consent on its own, with no other change.")}
        )
    _check(user, data, enterprise)
    _apply(user, enterprise, data)
    db.session.commit()
    return enterprise


def countries_in_scope(user: User) -> list[tuple[str, str]]:
    """(code, name) of the countries of the enterprises the user may see, sorted by name."""
    codes = db.session.scalars(
        select(Enterprise.country).where(enterprise_scope(user)).distinct()
    ).all()
    return sorted(((c, country_name(c)) for c in codes), key=lambda pair: sort_key(pair[1]))


def assignable_users(enterprise: Enterprise) -> list[User]:
    """The active trainers and owners not yet assigned to the enterprise, by name."""
    members = {member.id for member in enterprise.members}
    query = (
        select(User)
        .where(User.is_active, User.role.in_((Role.TRAINER, Role.ENTERPRISE_OWNER)))
        .order_by(User.full_name)
    )
    return [user for user in db.session.scalars(query) if user.id not in members]


def set_consent(
    user: User, enterprise: Enterprise, consent: bool, *, seen_version: int | None
) -> Enterprise:
    """Give or withdraw the enterprise's consent to enter programme results (its owners and
    admins), as the page showing `seen_version` asked; the time of the change is kept."""
    return update_enterprise(user, enterprise, {CONSENT: consent}, seen_version=seen_version)


def search_enterprises(
    query: Select, country: str = "", sector: str = "", text: str = ""
) -> Select:
    """Narrow a scoped enterprise query by country, sector and a name fragment."""
    if country:
        query = query.where(Enterprise.country == country)
    if sector:
        query = query.where(Enterprise.sector == sector)
    if text.strip():
        query = query.where(
            Enterprise.name_folded.like(like_pattern(fold(text.strip())), escape="\\")
        )
    return query.order_by(Enterprise.name_folded, Enterprise.id)


def _person_errors(full_name: str, sex, job_role) -> dict[str, str]:
    errors = {}
    if not full_name.strip():
        errors["full_name"] = _("Enter the person's name.")
    if sex not in set(Sex):
        errors["sex"] = _("Choose woman or man.")
    if job_role not in set(JobRole):
        errors["job_role"] = _("Choose manager, supervisor or worker.")
    return errors


def new_person(enterprise: Enterprise, full_name: str, sex: str, job_role: str) -> Person:
    """A checked new person in the session, for a use case that commits it with more."""
    errors = _person_errors(full_name, sex, job_role)
    if errors:
        raise InvalidInput(errors)
    person = Person(
        enterprise=enterprise, full_name=full_name.strip(), sex=Sex(sex), job_role=JobRole(job_role)
    )
    db.session.add(person)
    return person


def add_person(enterprise: Enterprise, full_name: str, sex: str, job_role: str) -> Person:
    """Register someone who works at the enterprise (no account or email needed)."""
    person = new_person(enterprise, full_name, sex, job_role)
    db.session.commit()
    return person


@first_save_wins
def update_person(
    user: User, person: Person, full_name: str, sex: str, job_role: str, *, seen_version: int | None
) -> Person:
    """New details of someone who works at the enterprise, refused when someone saved them after
    `seen_version`."""
    check_version(person, seen_version)
    errors = _person_errors(full_name, sex, job_role)
    if errors:
        raise InvalidInput(errors)
    person.full_name, person.sex, person.job_role = full_name.strip(), Sex(sex), JobRole(job_role)
    person.mark_saved_by(user)
    db.session.commit()
    return person


@first_save_wins
def set_eit_members(
    user: User, enterprise: Enterprise, person_ids: set[int], *, seen_versions: dict[int, int]
) -> None:
    """Make exactly these people of the enterprise its Enterprise Improvement Team, as a page
    listing each person at `seen_versions` chose: refused when anyone was added, changed or
    moved in or out of the team since."""
    known = {p.id for p in enterprise.people}
    unknown = person_ids - known
    if unknown:
        raise InvalidInput({"members": _("Choose people of this enterprise only.")})
    for person in enterprise.people:
        check_version(person, seen_versions.get(person.id))
    for person in enterprise.people:
        if person.is_eit_member != (person.id in person_ids):
            person.is_eit_member = person.id in person_ids
            person.mark_saved_by(user)
    db.session.commit()


def eit_gaps(members: list[Person]) -> list[str]:
    """What the team lacks to mix managers and workers, women and men (empty when it does)."""
    if not members:
        return [_("The enterprise has no Enterprise Improvement Team yet.")]
    roles = {m.job_role for m in members}
    sexes = {m.sex for m in members}
    gaps = []
    if not roles & {JobRole.MANAGER, JobRole.SUPERVISOR}:
        gaps.append(_("The team has no manager or supervisor."))
    if JobRole.WORKER not in roles:
        gaps.append(_("The team has no worker."))
    if Sex.FEMALE not in sexes:
        gaps.append(_("The team has no woman."))
    if Sex.MALE not in sexes:
        gaps.append(_("The team has no man."))
    return gaps
