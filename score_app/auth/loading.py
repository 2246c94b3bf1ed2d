"""Flask-Login wiring: which user a session belongs to, and where visitors are sent to sign in."""

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from score_app.auth.models import User
from score_app.extensions import db, login_manager
from score_app.pages import MAX_DB_ID

# Built once, as it is run on every request; with the countries that scope programme staff, so
# one statement loads all the access policy needs.
_USER = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.countries))


def load_user(session_id: str) -> User | None:
    """The session's user, unless the account was deactivated or its password changed since."""
    user_id, _sep, stamp = session_id.partition("-")
    if not user_id.isdigit() or int(user_id) > MAX_DB_ID:
        return None
    user = db.session.scalars(_USER, {"user_id": int(user_id)}).unique().one_or_none()
    if user is None or not user.is_active or stamp != user.session_stamp:
        return None
    return user


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
