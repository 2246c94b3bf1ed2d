"""Flask-Login wiring: which user a session belongs to, and where visitors are sent to sign in."""

from functools import cache

from flask import Flask
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from score_app.auth.models import User
from score_app.extensions import db, login_manager
from score_app.i18n import lazy_gettext as _l
from score_app.pages import MAX_DB_ID


@cache
def _user_by_id() -> Select:
    """Built once, on first use (every model is mapped by then), as it runs on every request;
    with the countries that scope programme staff: all the access policy needs."""
    return select(User).where(User.id == bindparam("user_id")).options(joinedload(User.countries))


def load_user(session_id: str) -> User | None:
    """The session's user, unless the account was deactivated or its password changed since."""
    user_id, _sep, stamp = session_id.partition("-")
    if not user_id.isdigit() or int(user_id) > MAX_DB_ID:
        return None
    user = db.session.scalars(_user_by_id(), {"user_id": int(user_id)}).unique().one_or_none()
    if user is None or not user.is_active or stamp != user.session_stamp:
        return None
    return user


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
