"""Flask extensions, created unbound and initialised in create_app."""

from datetime import UTC, datetime

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import ForeignKey, MetaData, text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def utcnow() -> datetime:
    """The current UTC time, naive, as every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


db = SQLAlchemy(model_class=Base)


def value_enum(cls, length: int = 30):
    """A StrEnum column stored as its plain value in a VARCHAR, the same on every database."""
    return db.Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Versioned:
    """A record that users change from forms and the API, counting its saves: SQLAlchemy's
    `version_id_col` adds "AND version = <the version read>" to every UPDATE of it and counts
    one up. A form carries the version its page showed, and a save made on another version is
    refused (exceptions.check_version, db_errors.first_save_wins), so nobody overwrites
    someone else's save unseen."""

    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


class Edited(Versioned):
    """A versioned record that also keeps who saved it last and when, for the page that shows
    a refused save beside the stored version (forms.Conflict)."""

    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def updated_by(cls) -> Mapped["User | None"]:  # noqa: F821
        return relationship(
            "User", foreign_keys=f"{cls.__name__}.updated_by_id", remote_side="User.id"
        )

    def mark_saved_by(self, user) -> None:
        """Record a save by `user` now. The row itself is written, so its version counts the
        save even when only rows that belong to it change (a workshop's days, an account's
        enterprises)."""
        self.updated_by_id = user.id
        self.updated_at = utcnow()


migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
mailer = Mail()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
