"""The security headers of every response and the refusal of text no database column may
hold."""

from collections.abc import Iterator

from flask import current_app, request

from score_app.errors import NotUnderstood
from score_app.i18n import gettext as _

# Everything comes from this site; nothing may frame it, embed plugins, or post elsewhere.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS_SECONDS = 365 * 24 * 3600


def set_security_headers(response):
    """after_request: the same policy on pages, API answers, PDFs and static files."""
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if current_app.config["SCORE_HTTPS"]:
        response.headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return response


def refuse_nul_characters() -> None:
    """before_request: text with a NUL character is refused as not understood (400, saying
    so) before any query sees it; PostgreSQL cannot store or even compare it. Uploaded files
    may hold any bytes and are not looked at; their names are text."""
    has_nul = any("\x00" in text for text in _texts_sent())
    if has_nul or (request.is_json and "\\u0000" in request.get_data(as_text=True)):
        raise NotUnderstood(
            _(
                "A NUL character (code 0) was sent in the address or in a field. No text may "
                "contain it: remove it and try again."
            )
        )


def _texts_sent() -> Iterator[str]:
    """The request's text outside a JSON body: its path (and so every view argument), and the
    names and values of its query string, form fields and uploaded files."""
    yield request.path
    for name, values in (*request.args.lists(), *request.form.lists()):
        yield name
        yield from values
    for name, upload in request.files.items(multi=True):
        yield name
        yield upload.filename or ""
