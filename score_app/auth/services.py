"""Use cases for accounts: sign-in and sessions, users and their scope, passwords, API tokens."""

import secrets
from collections.abc import Iterable
from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import Select, bindparam, delete, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from score_app.auth import lockout
from score_app.auth.devices import KnownDevice
from score_app.auth.models import ApiToken, Role, User, UserCountry, UserSession, digest
from score_app.enterprises.models import Enterprise
from score_app.errors import InvalidInput, check_version, first_save_wins
from score_app.extensions import db, utcnow
from score_app.i18n import SUPPORTED_LOCALES, is_country_code
from score_app.i18n import gettext as _
from score_app.pages import like_pattern

TOKEN_PREFIX = "score_"
# A session's and a token's last use is written at most this often, not on every request.
LAST_USE_EVERY = timedelta(minutes=5)
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_UNKNOWN_USER_HASH = "scrypt:32768:8:1$K6xSrQFzAlRUtgyW$" + "0" * 128


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["SCORE_PASSWORD_HASH_METHOD"])


def password_problem(password: str, email: str) -> str | None:
    """What is wrong with a new password, or None when it is acceptable."""
    minimum = current_app.config["SCORE_MIN_PASSWORD_LENGTH"]
    if len(password) < minimum:
        return _("Use at least %(n)d characters.", n=minimum)
    if password.strip().lower() == normalize_email(email):
        return _("Do not use your email address as your password.")
    if len(set(password)) < 4:
        return _("Use a password with more different characters.")
    return None


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


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


class SignInPaused(Exception):
    """Too many wrong passwords: refused for `wait.seconds`, whatever the password."""

    def __init__(self, wait: lockout.Wait):
        super().__init__(wait)
        self.wait = wait


def authenticate(
    email: str, password: str, *, address: str, device: KnownDevice | None = None
) -> User | None:
    """The active user with this email and password, or None (for any reason, told the same way).
    Raises SignInPaused after repeated failures from this address, or this device if the account
    signed in from it before (auth/lockout.py); unknown emails are paused the same way, so a
    pause tells nobody whether an account exists."""
    email = normalize_email(email)
    user = find_user_by_email(email)
    known = device.id if device is not None and user is not None and device.knows(user.id) else None
    attempt = lockout.Attempt(
        email=email,
        source=lockout.source_of(address, known),
        lifts=user.sign_in_pauses_lifted if user is not None else 0,
    )
    wait = lockout.wait_before(attempt)
    if wait is not None:
        raise SignInPaused(wait)
    if not _password_matches(user, password):
        lockout.record_failure(attempt)
        return None
    lockout.record_success(attempt)
    return user


def _password_matches(user: User | None, password: str) -> bool:
    if user is None:
        check_password_hash(_UNKNOWN_USER_HASH, password)
        return False
    return check_password_hash(user.password_hash, password) and user.is_active


def lift_sign_in_pauses(user: User, acting_user: User) -> None:
    """An admin's lift of every pause and slow-down of the account's sign-in: the counts start
    afresh (their keys hold the number of lifts). Written to the log, as admin actions are."""
    user.sign_in_pauses_lifted += 1
    db.session.commit()
    current_app.logger.info("%s lifted the sign-in pauses of %s", acting_user.email, user.email)


def start_session(user: User) -> str:
    """A new signed-in session of the user: its random key is what the session cookie carries
    (set on the user for Flask-Login's get_id); only its digest is stored. The user's sessions
    unused for longer than a session cookie lasts are cleared on the way."""
    key = secrets.token_urlsafe(32)
    idle_since = utcnow() - current_app.permanent_session_lifetime
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.last_seen_at < idle_since
        )
    )
    db.session.add(UserSession(user_id=user.id, key_hash=digest(key)))
    db.session.commit()
    user.session_key = key
    return key


@cache
def _session_by_digest() -> Select:
    """Built once, on first use (every model is mapped by then), as it runs on every request;
    with the user and the countries that scope programme staff: all the access policy needs."""
    return (
        select(UserSession)
        .where(UserSession.key_hash == bindparam("digest"))
        .options(joinedload(UserSession.user).joinedload(User.countries))
    )


def user_for_session(key: str) -> User | None:
    """The active user of a live session, or None: signed out, ended by a new password or a
    deactivation, or unused for longer than a session cookie lasts."""
    found = db.session.scalars(_session_by_digest(), {"digest": digest(key)})
    session = found.unique().one_or_none()
    if session is None or not session.user.is_active:
        return None
    now = utcnow()
    if now - session.last_seen_at > current_app.permanent_session_lifetime:
        return None
    if now - session.last_seen_at > LAST_USE_EVERY:
        session.last_seen_at = now
        db.session.commit()
    session.user.session_key = key
    return session.user


def end_session(key: str) -> None:
    """Signing out: this session ends on the server, so no copy of its cookie works again."""
    db.session.execute(delete(UserSession).where(UserSession.key_hash == digest(key)))
    db.session.commit()


def _end_sessions(user: User, keep: str | None = None) -> None:
    """End every session of the user but `keep` (the key of the one that asked)."""
    ended = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        ended = ended.where(UserSession.key_hash != digest(keep))
    db.session.execute(ended)


def _revoke_tokens(user: User) -> int:
    """Revoke every live API token of the user; how many there were."""
    live = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for token in live:
        token.revoked_at = now
    return len(live)


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


def _check_profile(user_id, email: str, full_name: str, locale: str | None) -> dict[str, str]:
    errors = {}
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = _("Enter a valid email address.")
    clash = find_user_by_email(email)
    if clash is not None and clash.id != user_id:
        errors["email"] = _("Another account already uses this email address.")
    if not full_name.strip():
        errors["full_name"] = _("Enter the person's name.")
    if locale and locale not in SUPPORTED_LOCALES:
        errors["preferred_locale"] = _("Choose one of the offered languages.")
    return errors


def create_user(
    email: str,
    full_name: str,
    role: Role,
    password: str,
    preferred_locale: str | None = None,
    countries: Iterable[str] = (),
    enterprise_ids: Iterable[int] = (),
) -> User:
    email = normalize_email(email)
    errors = _check_profile(None, email, full_name, preferred_locale)
    scope_errors, countries, enterprises = _check_scope(role, countries, enterprise_ids)
    errors.update(scope_errors)
    problem = password_problem(password, email)
    if problem:
        errors["password"] = problem
    if errors:
        raise InvalidInput(errors)
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=role,
        password_hash=hash_password(password),
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
    email = normalize_email(email)
    errors = _check_profile(user.id, email, full_name, preferred_locale)
    scope_errors, countries, enterprises = _check_scope(role, countries, enterprise_ids)
    errors.update(scope_errors)
    if new_password:
        problem = password_problem(new_password, email)
        if problem:
            errors["new_password"] = problem
    if user.id == acting_user.id and (not is_active or role != Role.ADMIN):
        errors["role"] = _("You cannot remove your own admin rights or deactivate yourself.")
    if errors:
        raise InvalidInput(errors)
    if ends_access(user, is_active=is_active, new_password=new_password):
        _end_sessions(user, keep=acting_user.session_key if user.id == acting_user.id else None)
        _revoke_tokens(user)
    user.email, user.full_name, user.role = email, full_name.strip(), role
    user.is_active, user.preferred_locale = is_active, preferred_locale or None
    kept = {c.country: c for c in user.countries}
    user.countries = [kept.get(c) or UserCountry(country=c) for c in countries]
    user.enterprises = enterprises
    if new_password:
        user.password_hash = hash_password(new_password)
    user.mark_saved_by(acting_user)
    db.session.commit()
    return user


def ends_access(user: User, *, is_active: bool, new_password: str) -> bool:
    """Whether an admin's edit ends every session and API token of the account for good: a new
    password, or a deactivation (so reactivating it later revives none of them)."""
    return bool(new_password) or (user.is_active and not is_active)


@first_save_wins
def update_preferences(
    user: User, full_name: str, preferred_locale: str | None, *, seen_version: int | None
) -> User:
    """The user's own name and language, refused when the account was saved after
    `seen_version` (an admin corrected the name meanwhile)."""
    check_version(user, seen_version)
    errors = _check_profile(user.id, user.email, full_name, preferred_locale)
    if errors:
        raise InvalidInput(errors)
    user.full_name, user.preferred_locale = full_name.strip(), preferred_locale or None
    user.mark_saved_by(user)
    db.session.commit()
    return user


@first_save_wins
def set_locale(user: User, locale: str) -> None:
    """The language switch: one choice, whatever the account's version."""
    if locale in SUPPORTED_LOCALES and user.preferred_locale != locale:
        user.preferred_locale = locale
        user.mark_saved_by(user)
        db.session.commit()


class PasswordCheckPaused(Exception):
    """Too many wrong current passwords: the check is refused for `seconds`, whatever the
    password."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def _check_current_password(user: User, password: str) -> None:
    """Wrong current passwords are counted for the account; too many pause the check
    (auth/lockout.py), so a session left open cannot be used to guess the password."""
    wait = lockout.password_check_wait(user.id)
    if wait is not None:
        raise PasswordCheckPaused(wait)
    if not check_password_hash(user.password_hash, password):
        lockout.record_wrong_current_password(user.id)
        raise InvalidInput({"current_password": _("This is not your current password.")})
    lockout.record_right_current_password(user.id)


@first_save_wins
def change_password(user: User, current_password: str, new_password: str) -> int:
    """A user's new password ends their other sessions (the one that asked goes on) and revokes
    their API tokens, as whoever knew the old password may have made one; how many it revoked.
    Raises PasswordCheckPaused after too many wrong current passwords."""
    _check_current_password(user, current_password)
    problem = password_problem(new_password, user.email)
    if problem:
        raise InvalidInput({"new_password": problem})
    user.password_hash = hash_password(new_password)
    user.mark_saved_by(user)
    _end_sessions(user, keep=user.session_key)
    revoked = _revoke_tokens(user)
    db.session.commit()
    return revoked


def create_token(user: User, label: str) -> tuple[ApiToken, str]:
    """A new API token; the plain token is returned once and never stored."""
    label = label.strip()
    if not label:
        raise InvalidInput({"label": _("Give the token a name, such as the device that uses it.")})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, label=label, token_hash=digest(plain), prefix=plain[:12])
    db.session.add(token)
    db.session.commit()
    return token, plain


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()


@cache
def _token_by_digest() -> Select:
    """Built once, on first use (every model is mapped by then), as it runs on every API
    request; with the owner and the countries that scope programme staff."""
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("digest"))
        .options(joinedload(ApiToken.user).joinedload(User.countries))
    )


def user_for_token(plain: str) -> User | None:
    """The active owner of a live token, or None."""
    found = db.session.scalars(_token_by_digest(), {"digest": digest(plain)})
    token = found.unique().one_or_none()
    if token is None or token.is_revoked or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USE_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token.user
