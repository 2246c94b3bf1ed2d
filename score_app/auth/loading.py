"""Flask-Login wiring: which user a session belongs to, and where visitors are sent to sign in."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from score_app.auth.models import User
from score_app.extensions import db, login_manager


def load_user(user_id: str) -> User | None:
    """The session's user, unless the account was deactivated since signing in."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
