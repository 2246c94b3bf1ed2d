"""Accounts as admins manage them: who they are, their role, their scope (the countries of
programme staff, the enterprises of trainers and owners) and whether they may sign in."""

from collections.abc import Iterable

from sqlalchemy import Select, func, or_, select

from score_app.auth import services as auth
from score_app.auth.models import NO_PASSWORD, Role, TokenEnd, User, UserCountry
from score_app.db_errors import first_save_wins
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput, check_version
from score_app.extensions import db
from score_app.i18n import gettext as _
from score_app.i18n import is_country_code
from score_app.request_args import like_pattern


def search_users(role: str = "", text: str = "") -> Select:
    """Accounts by name, filtered by role and by a fragment of the name or email."""
    query = select(User).order_by(User.full_name)
    if role in set(Role):
        query = query.where(User.role == Role(role))
    if text:
        pattern = like_pattern(text.lower())
        query = query.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.full_name).like(pattern, escape="\\"),
            )
        )
    return query


def _check_scope(role: Role, countries: Iterable[str], enterprise_ids: Iterable[int]):
    errors = {}
    countries, enterprise_ids = list(countries), list(enterprise_ids)
    bad = [c for c in countries if not is_country_code(c)]
    if bad:
        errors["countries"] = _("Unknown country code: %(codes)s.", codes=", ".join(bad))
    elif countries and role != Role.PROGRAMME_STAFF:
        errors["countries"] = _("Only programme staff have countries in their scope.")
    found = db.session.scalars(select(Enterprise).where(Enterprise.id.in_(enterprise_ids))).all()
    missing = set(enterprise_ids) - {e.id for e in found}
    if missing:
        errors["enterprises"] = _(
            "Unknown enterprise: %(ids)s.", ids=", ".join(str(i) for i in sorted(missing))
        )
    elif found and role not in (Role.TRAINER, Role.ENTERPRISE_OWNER):
        errors["enterprises"] = _("Only trainers and enterprise owners are assigned enterprises.")
    return errors, sorted(set(countries)), found


def _new_password_problem(password: str, email: str, invited: bool) -> str | None:
    if invited:
        return None
    if not password:
        return _("Type a password, or send an invitation so the person chooses one.")
    return auth.password_problem(password, email)


def create_user(
    email: str,
    full_name: str,
    role: Role,
    password: str = "",
    preferred_locale: str | None = None,
    countries: Iterable[str] = (),
    enterprise_ids: Iterable[int] = (),
    invited_by: User | None = None,
) -> User:
    """A new account with the password given, or, with `invited_by`, none until its user
    chooses one at the link of the invitation mailed to them (auth.services.invite, which the
    caller sends once the account is saved)."""
    email = auth.normalize_email(email)
    errors = auth.profile_problems(None, email, full_name, preferred_locale)
    scope_errors, countries, enterprises = _check_scope(role, countries, enterprise_ids)
    errors.update(scope_errors)
    problem = _new_password_problem(password, email, invited=invited_by is not None)
    if problem:
        errors["password"] = problem
    if errors:
        raise InvalidInput(errors)
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=role,
        password_hash=NO_PASSWORD if invited_by else auth.hash_password(password),
        preferred_locale=preferred_locale or None,
        countries=[UserCountry(country=c) for c in countries],
        enterprises=enterprises,
    )
    db.session.add(user)
    db.session.commit()
    return user


@first_save_wins
def update_user(
    user: User,
    *,
    email: str,
    full_name: str,
    role: Role,
    is_active: bool,
    preferred_locale: str | None,
    countries: Iterable[str],
    enterprise_ids: Iterable[int],
    new_password: str = "",
    acting_user: User,
    seen_version: int | None,
) -> User:
    """An admin's edit of an account, its scope and whether it may sign in, refused when the
    account was saved after `seen_version` (by another admin, or by its user)."""
    check_version(user, seen_version)
    email = auth.normalize_email(email)
    errors = auth.profile_problems(user.id, email, full_name, preferred_locale)
    scope_errors, countries, enterprises = _check_scope(role, countries, enterprise_ids)
    errors.update(scope_errors)
    if new_password:
        problem = auth.password_problem(new_password, email)
        if problem:
            errors["new_password"] = problem
    if user.id == acting_user.id and (not is_active or role != Role.ADMIN):
        errors["role"] = _("You cannot remove your own admin rights or deactivate yourself.")
    if errors:
        raise InvalidInput(errors)
    ended = access_end(user, is_active=is_active, new_password=new_password)
    if ended is not None:
        auth.end_sessions(user, keep=acting_user.session_key if user.id == acting_user.id else None)
        auth.revoke_tokens(user, ended)
    user.email, user.full_name, user.role = email, full_name.strip(), role
    user.is_active, user.preferred_locale = is_active, preferred_locale or None
    kept = {c.country: c for c in user.countries}
    user.countries = [kept.get(c) or UserCountry(country=c) for c in countries]
    user.enterprises = enterprises
    if new_password:
        user.password_hash = auth.hash_password(new_password)
        auth.forget_password_links(user)
    user.mark_saved_by(acting_user)
    db.session.commit()
    return user


def assignment_changes(
    user: User, enterprise_ids: Iterable[int]
) -> tuple[list[Enterprise], list[Enterprise]]:
    """The enterprises an edit of the account would take away from it and give it, by name."""
    kept = {e.id for e in user.enterprises}
    chosen = set(enterprise_ids)
    removed = [e for e in user.enterprises if e.id not in chosen]
    added = db.session.scalars(
        select(Enterprise).where(Enterprise.id.in_(chosen - kept)).order_by(Enterprise.name)
    ).all()
    return removed, list(added)


def assign_enterprise(user: User, enterprise: Enterprise, acting_user: User) -> None:
    """An admin's assignment of a trainer or owner to one more enterprise, from its page."""
    if user.role not in (Role.TRAINER, Role.ENTERPRISE_OWNER) or not user.is_active:
        raise InvalidInput(
            {"user": _("Only active trainers and enterprise owners are assigned enterprises.")}
        )
    if enterprise not in user.enterprises:
        user.enterprises.append(enterprise)
        user.mark_saved_by(acting_user)
        db.session.commit()


def access_end(user: User, *, is_active: bool, new_password: str) -> TokenEnd | None:
    """Why an admin's edit ends every session and API token of the account for good, if it
    does: a deactivation (so reactivating it later revives none of them), or a new password."""
    if user.is_active and not is_active:
        return TokenEnd.DEACTIVATED
    if new_password:
        return TokenEnd.PASSWORD
    return None
