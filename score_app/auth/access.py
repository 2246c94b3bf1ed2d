"""Deny by default: every page needs a signed-in user unless its view is marked public."""

from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user

from score_app.extensions import login_manager

PUBLIC_ENDPOINTS = {"static"}
# Blueprints that authenticate every request themselves (the API checks a bearer token).
TOKEN_BLUEPRINTS = {"api"}


def public(view):
    """Mark a view as open to visitors who are not signed in."""
    view.is_public = True
    return view


def require_login():
    """before_request: send visitors to the login page unless the page is public."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None or request.endpoint in PUBLIC_ENDPOINTS or getattr(view, "is_public", False):
        return None
    if request.blueprint in TOKEN_BLUEPRINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to, or None for anything that could leave the site or is not
    a link: CR/LF would split the Location header (a server error, or a header of the sender's
    choosing), and no link the app writes holds any other unprintable character either."""
    if not target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
