"""Flask-Login wiring: which user a session belongs to, and where visitors are sent to sign in."""

from flask import Flask

from score_app.auth.models import User
from score_app.auth.services import user_for_session
from score_app.extensions import login_manager
from score_app.i18n import lazy_gettext as _l

# A session key is 43 characters (secrets.token_urlsafe(32)); anything far longer is not one.
_MAX_KEY_LENGTH = 100


def load_user(session_key: str) -> User | None:
    """The user of the session the cookie names, if the session is still live on the server
    (auth/services.py `user_for_session`): signing out, a new password and a deactivation end
    it there, so an old copy of the cookie signs nobody in."""
    if not session_key or len(session_key) > _MAX_KEY_LENGTH:
        return None
    return user_for_session(session_key)


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
