"""Users, their roles and scope, their signed-in sessions, API tokens and the devices that sync
with one, and the operations those devices synced."""

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from score_app.extensions import Edited, db, utcnow, value_enum

# The password of an invited account until its user chooses one: no password matches it.
NO_PASSWORD = "!"


class Role(enum.StrEnum):
    ADMIN = "admin"
    PROGRAMME_STAFF = "programme_staff"
    TRAINER = "trainer"
    ENTERPRISE_OWNER = "enterprise_owner"


class User(UserMixin, Edited, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role))
    preferred_locale: Mapped[str | None] = mapped_column(String(10))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How many times an admin lifted the pauses of this account's sign-in: part of the key of
    # every failure counter (auth/lockout.py), so a lift starts every count afresh.
    sign_in_pauses_lifted: Mapped[int] = mapped_column(default=0, server_default="0")
    # What the synthesis report says first, written by the programme staff member who prints it.
    report_narrative: Mapped[str] = mapped_column(Text, default="", server_default="")

    countries: Mapped[list["UserCountry"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserCountry.country"
    )
    enterprises: Mapped[list["Enterprise"]] = relationship(  # noqa: F821
        secondary="enterprise_members", back_populates="members", order_by="Enterprise.name"
    )
    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.created_at"
    )
    sessions: Mapped[list["UserSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # The key of the browser session this user object was loaded for or signed in with (not a
    # column): what Flask-Login keeps in the session cookie.
    session_key = None

    @property
    def is_invited(self) -> bool:
        """Invited, and has not chosen a password yet."""
        return self.password_hash == NO_PASSWORD

    @property
    def country_codes(self) -> list[str]:
        return [c.country for c in self.countries]

    def get_id(self) -> str:
        """What the session cookie carries: the key of this browser's session, not the user's
        id, so a session ends when its row is deleted (auth/services.py `start_session`)."""
        if self.session_key is None:
            raise RuntimeError("start a session (services.start_session) before login_user")
        return self.session_key


class UserCountry(db.Model):
    """A country in a programme staff member's scope; none means every country."""

    __tablename__ = "user_countries"
    __table_args__ = (UniqueConstraint("user_id", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2))

    user: Mapped[User] = relationship(back_populates="countries")


def digest(secret: str) -> str:
    """The SHA-256 digest stored in place of a session key or an API token."""
    return hashlib.sha256(secret.encode()).hexdigest()


class UserSession(db.Model):
    """A signed-in browser session. The cookie carries a random key; only its digest is stored.
    Deleting the row ends the session, whatever copies of the cookie exist."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")


class TokenEnd(enum.StrEnum):
    """Why a token ended, told to the device it belonged to (docs/sync.md): on `revoked` and
    `deactivated` a device deletes what it keeps; on `password` it keeps its waiting changes."""

    SIGNED_OUT = "signed_out"  # signed out on the device itself
    REVOKED = "revoked"  # by an admin, or by its user on their account page
    DEACTIVATED = "deactivated"  # the account was deactivated
    PASSWORD = "password"  # the account's password changed

    @property
    def wipes(self) -> bool:
        """Whether the device that held the token deletes what it keeps when it is told."""
        return self in (TokenEnd.SIGNED_OUT, TokenEnd.REVOKED, TokenEnd.DEACTIVATED)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored. A device registered
    for offline work (`is_device`) keeps one as its credential: the token's id is the device's."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Null on a live token, and on those ended before reasons were kept.
    revoked_reason: Mapped[TokenEnd | None] = mapped_column(value_enum(TokenEnd, 20))
    is_device: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def keeps_offline_copy(self) -> bool:
        """A device that may still hold its offline copy: its token is live, or ended by a new
        password (which keeps the copy for its owner to sign in again), so revoking or
        deactivating can still tell it to delete the copy."""
        return self.is_device and (not self.is_revoked or self.revoked_reason == TokenEnd.PASSWORD)

    digest = staticmethod(digest)


class SyncOperation(db.Model):
    """An operation a device queued offline and the sync applied: who, from which device, when
    on the device and when on the server, and the stored result the device was answered with,
    given again if the device sends the operation again (its id is the device's own)."""

    __tablename__ = "sync_operations"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(30))
    recorded_at: Mapped[datetime]  # the device's clock, in UTC
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Null only between the operation's own commit and the one that stores its answer.
    result: Mapped[dict | None] = mapped_column(JSON)

    device: Mapped[ApiToken | None] = relationship()


# The key of Session.info naming the SyncOperation whose writes the session is making, so that
# the audit rows they write point to it (see synced_by).
SYNC_OPERATION = "sync_operation_id"


def synced_by() -> int | None:
    """The id of the sync operation making the session's writes, or None outside a sync."""
    return db.session.info.get(SYNC_OPERATION)


class PasswordLinkPurpose(enum.StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


class PasswordLink(db.Model):
    """A single-use link, sent by email, where a user sets their password: an admin's
    invitation or a forgotten password. Only its SHA-256 digest is stored; it ends when used,
    when it expires, or when the account's password is set another way."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[PasswordLinkPurpose] = mapped_column(value_enum(PasswordLinkPurpose, 20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()
