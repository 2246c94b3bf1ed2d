"""Bad input and edit conflicts raised by services, and the error pages and JSON errors the app
answers with."""

import functools
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    Conflict,
    Forbidden,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
)

from score_app.extensions import db, login_manager
from score_app.i18n import gettext as _

# Seconds a client is asked to wait before trying again while the database is unavailable.
RETRY_AFTER_SECONDS = 30


class InvalidInput(Exception):
    """A use case refused its input; `errors` maps each field to a message for the user."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors

    def renamed(self, **names: str) -> "InvalidInput":
        """The same messages with some fields renamed, for a form that calls them otherwise."""
        return InvalidInput({names.get(field, field): msg for field, msg in self.errors.items()})


class EditConflict(Exception):
    """Someone else saved the record after this user opened it; nothing of this save is kept.

    Versioned records (`version_id_col`) count their saves. A form carries the version its user
    saw; a save from an older version is refused, so one user never silently overwrites
    another, and the page shows both versions so the user can decide."""


def check_version(record, seen_version: int | None) -> None:
    """Refuse a change made on another version of the record than the stored one (or on none)."""
    if seen_version != record.version:
        raise EditConflict


# What another user's save at the same moment can make a database refuse: a row made twice,
# or a row that refers to one just deleted (PostgreSQL's SQLSTATE, SQLite's message).
_CONFLICTS = {"23505": "UNIQUE constraint failed", "23503": "FOREIGN KEY constraint failed"}


def is_conflict(error: IntegrityError) -> bool:
    """True when a unique or foreign-key constraint refused the row; a NOT NULL or CHECK
    violation is a bug, not someone else's save."""
    if getattr(error.orig, "sqlstate", None) in _CONFLICTS:
        return True
    return any(message in str(error.orig) for message in _CONFLICTS.values())


def first_save_wins(service):
    """Two saves of one record at the same moment: the one whose UPDATE finds the version it
    read changed (SQLAlchemy's StaleDataError), or whose INSERT finds the record made, or what it
    refers to deleted, meanwhile (is_conflict), is refused like any other edit conflict."""

    @functools.wraps(service)
    def refusing_stale_saves(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except StaleDataError as error:
            db.session.rollback()
            raise EditConflict from error
        except IntegrityError as error:
            db.session.rollback()
            if not is_conflict(error):
                raise
            raise EditConflict from error

    return refusing_stale_saves


def changed_elsewhere() -> str:
    """What a user reads when their save met someone else's (EditConflict)."""
    return _(
        "Someone else changed this after you opened the page, so nothing was done. "
        "Check what it says now and try again."
    )


class ExplainedRefusal(Forbidden):
    """A 403 that tells the user why, in their language, instead of the general message."""


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Authentication is needed: send a valid API token."),
        403: _("You do not have permission to do this."),
        404: _("This page does not exist, or you do not have access to it."),
        405: _("This method is not allowed here."),
        409: changed_elsewhere(),
        413: _("The upload is too large."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. Your last change was not saved."),
        503: _(
            "The service is unavailable for a moment. Your last change was not saved. "
            "Try again in a minute."
        ),
    }


def _http_error(error: HTTPException):
    code = error.code or 500
    if isinstance(error, ExplainedRefusal):
        message = error.description
    else:
        message = _messages().get(code, error.description)
    # The error's own headers (Allow, Retry-After) go along; its HTML content type does not.
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    if wants_json():
        return jsonify(error=message), code, headers
    template = f"errors/{code}.html" if code in (403, 404, 500, 503) else "errors/generic.html"
    return render_template(template, code=code, message=message), code, headers


def _edit_conflict(_error: EditConflict):
    """A conflict no page handles itself (as the edit pages do) is still a clear 409."""
    db.session.rollback()
    return _http_error(Conflict())


def _server_error(error: InternalServerError):
    # Whatever the failed request had written is thrown away: nothing is half-saved.
    db.session.rollback()
    return _http_error(error)


def _is_outage(error: DBAPIError) -> bool:
    """True when the database could not be reached or the connection was lost."""
    return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)


def _database_unavailable(error: DBAPIError):
    if not _is_outage(error):
        raise error
    return _unavailable(error)


def _unavailable(error: sa.exc.SQLAlchemyError):
    """A 503 that tells the user to try again, rendered without asking the database anything:
    the database is out of reach, or every pooled connection stayed busy past the pool's wait."""
    current_app.logger.warning("The database is unavailable: %s", error)
    _choose_locale_from_memory()
    db.session.rollback()
    _serve_as_visitor()
    return _http_error(ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS))


def _choose_locale_from_memory() -> None:
    """Settle the page's language now: the user's preference if it is already loaded, else the
    session's choice or the browser's languages. Loading a user would query the database."""
    users = (g.get("_login_user"), g.get("api_user"))
    if "_login_user" not in g or any(_needs_query(user) for user in users):
        _serve_as_visitor()
    get_locale()


def _needs_query(user) -> bool:
    state = sa.inspect(user, raiseerr=False)
    return state is not None and "preferred_locale" in state.unloaded


def _serve_as_visitor() -> None:
    """The rest of the request sees no signed-in user (the page leaves out the user menu)."""
    g._login_user = login_manager.anonymous_user()  # where Flask-Login keeps the request's user
    g.api_user = None


def _csrf_error(error: CSRFError):
    message = _(
        "This form has expired or did not come from this site. Go back, reload the page and "
        "send it again."
    )
    return render_template("errors/generic.html", code=400, message=message), 400


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(DBAPIError, _database_unavailable)
    app.register_error_handler(sa.exc.TimeoutError, _unavailable)
    app.register_error_handler(EditConflict, _edit_conflict)
    # A save of a versioned record that met another save at the same moment in a use case not
    # wrapped in first_save_wins (changing a password while an admin saves the account).
    app.register_error_handler(StaleDataError, _edit_conflict)


def show_on_form(form, error: InvalidInput) -> None:
    """Put a service's field messages on the form's fields; others go above the form."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def save_form(form, save: Callable[[], object], conflict: Callable[[], object]):
    """Run `save()`, the use case of a valid form, which returns the record it saved; as every
    edit page does. Its field messages go on the form (InvalidInput). A save made on another
    version than the stored one (EditConflict) keeps nothing and gives `conflict()`, built once
    the stored record is read again: the stored version beside what the user typed
    (forms.Conflict), for the page to show with a 409; with no stored version to show (a new
    record met a change of what it refers to), the general 409 page. Returns (the saved record,
    None), else (None, the conflict or None)."""
    try:
        return save(), None
    except InvalidInput as error:
        db.session.rollback()
        show_on_form(form, error)
        return None, None
    except EditConflict:
        db.session.rollback()
        shown = conflict()
        if shown is None:
            raise
        return None, shown
