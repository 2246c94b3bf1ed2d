"""The error pages and JSON errors the app answers with: the web face of what services refuse
(exceptions.py), of the database's refusals (db_errors.py) and of HTTP errors."""

import functools
import math
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)

from score_app.db_errors import DATABASE_ERRORS, is_collision, is_database_lost
from score_app.exceptions import EditConflict, InvalidInput, NotAllowed
from score_app.exceptions import NotFound as NotInReach
from score_app.extensions import db, limiter, login_manager
from score_app.i18n import format_number, ngettext
from score_app.i18n import gettext as _

# Seconds a client is asked to wait before trying again while the database is unavailable.
RETRY_AFTER_SECONDS = 30


def changed_elsewhere() -> str:
    """What a user reads when their save met someone else's (EditConflict)."""
    return _(
        "Someone else changed this after you opened the page, so nothing was done. "
        "Check what it says now and try again."
    )


class Explained:
    """An HTTP error whose description tells the user why, in their language, instead of the
    general message of its code."""


class NotUnderstood(Explained, BadRequest):
    """A 400 that says what in the request cannot be taken."""


def step_taken(step: Callable[[], object]) -> bool:
    """Run a page's one-button step (submit, verify, consent, a status change). A refusal is
    flashed for the page the user goes back to: the service's messages, or that someone else
    changed the record meanwhile, keeping nothing. True when the step was taken."""
    try:
        step()
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    except EditConflict:
        flash(changed_elsewhere(), "error")
        return False
    return True


def try_again_in(seconds: float) -> tuple[str, int]:
    """ "Try again in N seconds/minutes." and the same wait in whole seconds, for Retry-After:
    under a minute in seconds, else in minutes rounded up, so both say the same time."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        text = ngettext(
            "Try again in %(count)s second.",
            "Try again in %(count)s seconds.",
            seconds,
            count=format_number(seconds),
        )
        return text, seconds
    minutes = math.ceil(seconds / 60)
    text = ngettext(
        "Try again in %(count)s minute.",
        "Try again in %(count)s minutes.",
        minutes,
        count=format_number(minutes),
    )
    return text, minutes * 60


class ExplainedWait(Explained, TooManyRequests):
    """A 429 whose message says how long to wait, as its Retry-After header does."""

    def __init__(self, reason: str, seconds: float):
        again, retry_after = try_again_in(seconds)
        super().__init__(f"{reason} {again}", retry_after=retry_after)


def wants_json() -> bool:
    """The API, and a page's script that asks for JSON (an attendance tap), get their error
    as JSON: `{"error": message}`."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


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
        503: unavailable_message(),
    }


def unavailable_message() -> str:
    """What a user reads when the database is out of reach (a 503)."""
    return _(
        "The service is unavailable for a moment. Your last change was not saved. "
        "Try again in a minute."
    )


def _http_error(error: HTTPException, message: str | None = None):
    """The error page, or JSON under /api/, with the message for its status unless the error
    brings its own (`message`, or an ExplainedWait's)."""
    code = error.code or 500
    if message is None and isinstance(error, Explained):
        message = error.description
    if message is None and code == 413 and request.content_length:
        # A phone photo far over the limit: say how large it was, as the photo form does.
        message = _(
            "What was sent is %(size)s MB, more than can be received: send a smaller file.",
            size=format_number(request.content_length / 1_000_000, 1),
        )
    if message is None:
        message = _messages().get(code, error.description)
    # The error's own headers (Allow, Retry-After) go along; its HTML content type does not.
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    if wants_json():
        return jsonify(error=message), code, headers
    template = f"errors/{code}.html" if code in (403, 404, 500, 503) else "errors/generic.html"
    return render_template(template, code=code, message=message), code, headers


def _too_many_attempts(_error: RateLimitExceeded):
    """The limit per address (Flask-Limiter): how long until the window that was hit ends."""
    limit = limiter.current_limit
    seconds = limit.window.reset_time - time.time() if limit is not None else 60
    return _http_error(ExplainedWait(_("Too many attempts."), seconds))


def _not_allowed(error: NotAllowed):
    """A refusal by the access policy or a rule of the record: a 403 that says why when the
    rule gave a reason."""
    return _http_error(Forbidden(), message=error.reason)


def _not_in_reach(_error: NotInReach):
    return _http_error(NotFound())


def _edit_conflict(_error: EditConflict | DBAPIError):
    """A conflict no page handles itself (as the edit pages do) is still a clear 409."""
    db.session.rollback()
    return _http_error(Conflict())


def _server_error(error: InternalServerError):
    # Whatever the failed request had written is thrown away: nothing is half-saved.
    db.session.rollback()
    return _http_error(error)


def _database_error(error: DBAPIError):
    """A save broken off for another one at the same moment is an edit conflict (409), however
    far it got; a lost or unreachable database is a 503; anything else is a bug (500)."""
    if is_collision(error):
        return _edit_conflict(error)
    if not is_database_lost(error):
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


def _counters_unavailable(error: RedisError):
    """Redis (SCORE_REDIS_URL), where sign-in attempts and rate limits are counted, is out of
    reach: the attempt is refused with a 503 rather than let through uncounted."""
    current_app.logger.warning("Redis is unavailable: %s", error)
    return _http_error(ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS))


def end_transaction(response: Response) -> Response:
    """after_request: end the request's transaction before its answer leaves, so that a
    connection lost while the answer was being made (a PDF being drawn, with no query left to
    meet the loss) answers 503 like any query that meets it, instead of failing once the answer
    is made. A streamed answer reads as it is sent: its transaction ends after it
    (forget_lost_connection)."""
    if response.is_streamed or not db.session().in_transaction():
        return response
    try:
        db.session.rollback()  # what is left is reads: every service commits its writes
    except DATABASE_ERRORS as error:
        if not is_database_lost(error):
            raise
        return make_response(_unavailable(error))
    return response


def forget_lost_connection(_error: BaseException | None) -> None:
    """teardown_appcontext, before Flask-SQLAlchemy's: give the session's connection back; one
    lost after a streamed answer began is thrown away (the database dropped what its
    transaction held) rather than failing a request whose answer has left."""
    try:
        db.session.remove()
    except DATABASE_ERRORS as error:
        if not is_database_lost(error):
            raise
        current_app.logger.warning("The database connection was lost during an answer: %s", error)


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
    if wants_json():
        message = _(
            "This request did not come from this site, or its page has expired: "
            "reload the page and try again."
        )
        return jsonify(error=message), 400
    message = _(
        "This form has expired or did not come from this site. Go back, reload the page and "
        "send it again."
    )
    return _http_error(error, message=message)


def _or_unavailable(handler):
    """An error page that meets the lost database while it is made (loading the signed-in user
    or their language for a 404) is the 503 instead, made without the database: an error
    raised by an error handler would leave the answer to the server, a bare 500."""

    @functools.wraps(handler)
    def answer(error):
        try:
            return handler(error)
        except DATABASE_ERRORS as lost:
            if not is_database_lost(lost):
                raise
            return _unavailable(lost)

    return answer


def register_error_handlers(app: Flask) -> None:
    # StaleDataError: a save of a versioned record that met another save at the same moment in
    # a use case not wrapped in first_save_wins (changing a password while an admin saves the
    # account).
    for error_class, handler in (
        (CSRFError, _csrf_error),
        (HTTPException, _http_error),
        (RateLimitExceeded, _too_many_attempts),
        (InternalServerError, _server_error),
        (DBAPIError, _database_error),
        (sa.exc.TimeoutError, _unavailable),
        (RedisError, _counters_unavailable),
        (EditConflict, _edit_conflict),
        (NotAllowed, _not_allowed),
        (NotInReach, _not_in_reach),
        (StaleDataError, _edit_conflict),
    ):
        app.register_error_handler(error_class, _or_unavailable(handler))
