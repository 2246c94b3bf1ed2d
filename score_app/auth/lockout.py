"""The temporary lockout of an account's sign-in after repeated failures, whatever the address
they come from, counted in the rate limiter's storage (memory, or Redis with several workers)."""

from datetime import UTC, datetime

from flask import current_app
from limits import RateLimitItemPerMinute

from score_app.extensions import limiter

_FAILURES = "sign-in-failures"
_LOCK = "sign-in-lock"


def _failures():
    """N failures within M minutes lock the account."""
    config = current_app.config
    return RateLimitItemPerMinute(
        config["SCORE_LOGIN_LOCKOUT_FAILURES"], config["SCORE_LOGIN_LOCKOUT_MINUTES"]
    )


def _lock():
    """One hit starts a lock that lasts M minutes from the failure that set it."""
    return RateLimitItemPerMinute(1, current_app.config["SCORE_LOGIN_LOCKOUT_MINUTES"])


def locked_until(email: str) -> datetime | None:
    """When the sign-in of this (normalised) email opens again, or None if it is open."""
    if not limiter.enabled or limiter.limiter.test(_lock(), _LOCK, email):
        return None
    reset = limiter.limiter.get_window_stats(_lock(), _LOCK, email).reset_time
    return datetime.fromtimestamp(reset, UTC)


def record_failure(email: str) -> None:
    """Count a failed sign-in; the one that reaches the limit locks the account."""
    if not limiter.enabled:
        return
    limiter.limiter.hit(_failures(), _FAILURES, email)
    if not limiter.limiter.test(_failures(), _FAILURES, email):
        limiter.limiter.hit(_lock(), _LOCK, email)


def record_success(email: str) -> None:
    """A successful sign-in forgets the earlier failures."""
    if limiter.enabled:
        limiter.limiter.clear(_failures(), _FAILURES, email)
