"""Use cases for accounts: sign-in and sessions, profiles, passwords, API tokens."""

import secrets
from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import Select, bindparam, delete, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from score_app.auth import lockout
from score_app.auth.devices import KnownDevice
from score_app.auth.models import (
    ApiToken,
    PasswordLink,
    PasswordLinkPurpose,
    TokenEnd,
    User,
    UserSession,
    digest,
)
from score_app.db_errors import first_save_wins
from score_app.exceptions import InvalidInput, check_version
from score_app.extensions import db, utcnow
from score_app.i18n import SUPPORTED_LOCALES
from score_app.i18n import gettext as _
from score_app.mail import public_url, send_mail

TOKEN_PREFIX = "score_"
MAX_LABEL = 100  # ApiToken.label
# A session's and a token's last use is written at most this often, not on every request.
LAST_USE_EVERY = timedelta(minutes=5)
# How long a password link works: an invitation waits for a new user to read their mail; a reset
# is asked for by someone at their screen.
LINK_LIFETIMES = {
    PasswordLinkPurpose.INVITATION: timedelta(days=7),
    PasswordLinkPurpose.RESET: timedelta(hours=1),
}
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


def end_sessions(user: User, keep: str | None = None) -> None:
    """End every session of the user but `keep` (the key of the one that asked)."""
    ended = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        ended = ended.where(UserSession.key_hash != digest(keep))
    db.session.execute(ended)


def _end_tokens(user: User, reason: TokenEnd, *, devices_only: bool = False) -> int:
    """End every live API token of the user (only its devices' with `devices_only`) for
    `reason`, which each device is told when it next connects; how many there were. A reason
    that wipes a device also replaces a new password's, which left the device its copy: a
    tablet lost before its owner changed the password is still wiped."""
    ending = ApiToken.revoked_at.is_(None)
    if reason.wipes:
        ending = or_(ending, ApiToken.revoked_reason == TokenEnd.PASSWORD)
    found = select(ApiToken).where(ApiToken.user_id == user.id, ending)
    if devices_only:
        found = found.where(ApiToken.is_device)
    tokens = db.session.scalars(found).all()
    for token in tokens:
        _end_token(token, reason)
    return len(tokens)


def _end_token(token: ApiToken, reason: TokenEnd) -> None:
    """The token ends for `reason` (or, ended already, is told the newer reason)."""
    token.revoked_at, token.revoked_reason = token.revoked_at or utcnow(), reason


def revoke_tokens(user: User, reason: TokenEnd) -> int:
    """Revoke every live API token of the user for `reason`; how many there were."""
    return _end_tokens(user, reason)


def profile_problems(user_id, email: str, full_name: str, locale: str | None) -> dict[str, str]:
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


@first_save_wins
def update_preferences(
    user: User, full_name: str, preferred_locale: str | None, *, seen_version: int | None
) -> User:
    """The user's own name and language, refused when the account was saved after
    `seen_version` (an admin corrected the name meanwhile)."""
    check_version(user, seen_version)
    errors = profile_problems(user.id, user.email, full_name, preferred_locale)
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
    end_sessions(user, keep=user.session_key)
    revoked = revoke_tokens(user, TokenEnd.PASSWORD)
    forget_password_links(user)
    db.session.commit()
    return revoked


def forget_password_links(user: User) -> None:
    """End every invitation and reset link of the user: their password is set another way."""
    db.session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))


def _new_password_link(user: User, purpose: PasswordLinkPurpose) -> str:
    """A new link of the user, replacing their earlier ones; the plain token is returned once."""
    forget_password_links(user)
    plain = secrets.token_urlsafe(32)
    expires_at = utcnow() + LINK_LIFETIMES[purpose]
    db.session.add(
        PasswordLink(user=user, purpose=purpose, token_hash=digest(plain), expires_at=expires_at)
    )
    return plain


def _mail_password_link(user: User, purpose: PasswordLinkPurpose, template: str, **context):
    plain = _new_password_link(user, purpose)
    db.session.commit()
    lifetime = LINK_LIFETIMES[purpose]
    send_mail(
        user.email,
        user.preferred_locale,
        template,
        user=user,
        link=public_url("auth.set_password", token=plain),
        days=lifetime.days,
        minutes=lifetime.seconds // 60,
        **context,
    )


def invite(user: User, invited_by: User) -> None:
    """Mail the user a link where they choose their password, in their language."""
    _mail_password_link(user, PasswordLinkPurpose.INVITATION, "invitation", invited_by=invited_by)


def send_password_reset(email: str) -> None:
    """Mail a reset link to the active account of this email, if there is one; the caller
    answers the same either way, so nobody learns whether an account exists."""
    user = find_user_by_email(email)
    if user is not None and user.is_active:
        _mail_password_link(user, PasswordLinkPurpose.RESET, "password_reset")


class LinkExpired(Exception):
    """A password link used after its time."""


def find_password_link(plain: str) -> PasswordLink | None:
    """The live link of this token, or None when it is unknown, used, replaced, or its account
    deactivated; raises LinkExpired when it is past its time."""
    link = db.session.scalar(select(PasswordLink).where(PasswordLink.token_hash == digest(plain)))
    if link is None or not link.user.is_active:
        return None
    if link.expires_at <= utcnow():
        raise LinkExpired
    return link


@first_save_wins
def set_password_from_link(link: PasswordLink, new_password: str) -> User:
    """The password chosen at a mailed link: the link and every other one of the account end,
    and so do its sessions and API tokens (whoever knew the old password may hold them)."""
    user = link.user
    problem = password_problem(new_password, user.email)
    if problem:
        raise InvalidInput({"new_password": problem})
    user.password_hash = hash_password(new_password)
    user.mark_saved_by(user)
    end_sessions(user)
    revoke_tokens(user, TokenEnd.PASSWORD)
    forget_password_links(user)
    db.session.commit()
    return user


def create_token(user: User, label: str, *, is_device: bool = False) -> tuple[ApiToken, str]:
    """A new API token (a device's, for offline sync, with `is_device`); the plain token is
    returned once and never stored."""
    label = label.strip()
    if not label:
        raise InvalidInput({"label": _("Give the token a name, such as the device that uses it.")})
    if len(label) > MAX_LABEL:
        raise InvalidInput({"label": _("Use at most %(n)d characters.", n=MAX_LABEL)})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, label=label, token_hash=digest(plain), prefix=plain[:12], is_device=is_device
    )
    db.session.add(token)
    db.session.commit()
    return token, plain


def sign_out_device(token: ApiToken) -> None:
    """Signing out on the device: its token ends, and the device has cleared what it kept."""
    if token.revoked_at is None:
        _end_token(token, TokenEnd.SIGNED_OUT)
        db.session.commit()


def revoke_token(token: ApiToken, acting_user: User) -> None:
    """A token revoked on its user's account page, or by an admin on the user's page: a
    device that held it deletes what it keeps when it next connects. Whoever holds the device
    may be signed in on it too, so an admin's revocation ends the user's web sessions, and the
    user's own revocation of a device ends every session of theirs but the one they use."""
    if token.revoked_at is None or token.keeps_offline_copy:
        _end_token(token, TokenEnd.REVOKED)
    if acting_user.id != token.user_id:
        end_sessions(token.user)
    elif token.is_device:
        end_sessions(token.user, keep=acting_user.session_key)
    db.session.commit()


def revoke_devices(user: User) -> int:
    """An admin's sign-out of a lost or stolen device: every device the user registered for
    offline work ends, and so does every web session of the user; how many devices were live.
    Each device deletes what it keeps, unsent changes included, when it next connects."""
    revoked = _end_tokens(user, TokenEnd.REVOKED, devices_only=True)
    end_sessions(user)
    db.session.commit()
    return revoked


@cache
def _token_by_digest() -> Select:
    """Built once, on first use (every model is mapped by then), as it runs on every API
    request; with the owner and the countries that scope programme staff."""
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("digest"))
        .options(joinedload(ApiToken.user).joinedload(User.countries))
    )


class TokenRefused(Exception):
    """A token that is unknown (`reason` None) or ended, and why it ended when that is known."""

    def __init__(self, reason: TokenEnd | None):
        super().__init__(reason)
        self.reason = reason


def live_token(plain: str) -> ApiToken:
    """The token with its owner, if it is live and its owner active; else raises TokenRefused."""
    found = db.session.scalars(_token_by_digest(), {"digest": digest(plain)})
    token = found.unique().one_or_none()
    if token is None:
        raise TokenRefused(None)
    if not token.user.is_active:
        raise TokenRefused(TokenEnd.DEACTIVATED)
    if token.is_revoked:
        raise TokenRefused(token.revoked_reason)
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USE_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token
