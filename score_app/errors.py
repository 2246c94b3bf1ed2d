"""Bad input raised by services, and the error pages and JSON errors the app answers with."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError

from score_app.extensions import db


class InvalidInput(Exception):
    """A use case refused its input; `errors` maps each field to a message for the user."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors

    def renamed(self, **names: str) -> "InvalidInput":
        """The same messages with some fields renamed, for a form that calls them otherwise."""
        return InvalidInput({names.get(field, field): msg for field, msg in self.errors.items()})


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
        413: _("The upload is too large."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. Your last change was not saved."),
    }


def _http_error(error: HTTPException):
    code = error.code or 500
    if isinstance(error, ExplainedRefusal):
        message = error.description
    else:
        message = _messages().get(code, error.description)
    if wants_json():
        return jsonify(error=message), code
    template = f"errors/{code}.html" if code in (403, 404, 500) else "errors/generic.html"
    return render_template(template, code=code, message=message), code


def _server_error(error: InternalServerError):
    # Whatever the failed request had written is thrown away: nothing is half-saved.
    db.session.rollback()
    return _http_error(error)


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


def show_on_form(form, error: InvalidInput) -> None:
    """Put a service's field messages on the form's fields; others go above the form."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
