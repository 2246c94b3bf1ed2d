"""The security headers of every response, and the per-request nonce that lets the inline SVG
charts keep their own style sheet under a Content-Security-Policy without 'unsafe-inline'."""

import secrets

from flask import current_app, g
from markupsafe import Markup

# Everything comes from this site; nothing may frame it, embed plugins, or post elsewhere.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS_SECONDS = 365 * 24 * 3600


def csp_nonce() -> str:
    """This request's nonce, made once and used by every chart on the page and by the header."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def with_csp_nonce(svg: Markup) -> Markup:
    """A chart for a page: its style element carries this request's nonce (PDFs need none)."""
    return Markup(str(svg).replace("<style ", f'<style nonce="{csp_nonce()}" ', 1))


def set_security_headers(response):
    """after_request: the same policy on pages, API answers, PDFs and static files."""
    response.headers["Content-Security-Policy"] = _CSP.format(nonce=csp_nonce())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if current_app.config["SCORE_HTTPS"]:
        response.headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return response
