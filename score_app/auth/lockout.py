"""The pause of sign-in after wrong passwords, counted per account and source: the client's
address as the app sees it (behind SCORE_PROXIES proxies, the one they report), or a device the
account signed in from before (auth/devices.py). Failures from one source pause that source
only, so nobody can lock an account for everyone else; failures from many sources slow the
account down, without locking it, for the sources it never signed in from. Counted in the rate
limiter's storage (memory, or Redis with several workers), like the limit per address."""

import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond

from score_app.extensions import limiter

_FAILURES = "sign-in-failures"  # per account and source
_PAUSE = "sign-in-pause"  # per account and source
_ACCOUNT_FAILURES = "sign-in-account-failures"  # per account, from every source
_SLOWDOWN = "sign-in-slowdown"  # per account, for sources it never signed in from
_DEVICE = "device:"


def source_of(address: str, device_id: str | None = None) -> str:
    """A known device is counted by itself, wherever it is; anything else by its address."""
    return f"{_DEVICE}{device_id}" if device_id else f"address:{address}"


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt: the normalised email, its source (`source_of`), and how many times an
    admin lifted the account's pauses (0 for an unknown email): a lift starts every count
    afresh, as it is part of every key."""

    email: str
    source: str
    lifts: int = 0

    @property
    def from_known_device(self) -> bool:
        return self.source.startswith(_DEVICE)

    @property
    def account(self) -> tuple[str, str]:
        return (str(self.lifts), self.email)


@dataclass(frozen=True)
class Wait:
    """Why an attempt is refused and for how many seconds: its source is paused, or (`slowed`)
    the account takes one attempt at a time from new devices."""

    seconds: float
    slowed: bool = False


def _failures() -> RateLimitItem:
    """N failures from one source within M minutes pause it."""
    config = current_app.config
    return RateLimitItemPerMinute(
        config["SCORE_LOGIN_LOCKOUT_FAILURES"], config["SCORE_LOGIN_LOCKOUT_MINUTES"]
    )


def _pause() -> RateLimitItem:
    """One hit starts a pause that lasts M minutes from the failure that set it."""
    return RateLimitItemPerMinute(1, current_app.config["SCORE_LOGIN_LOCKOUT_MINUTES"])


def _account_failures() -> RateLimitItem:
    """This many failures from every source within M minutes slow the account down."""
    config = current_app.config
    return RateLimitItemPerMinute(
        config["SCORE_LOGIN_ACCOUNT_FAILURES"], config["SCORE_LOGIN_LOCKOUT_MINUTES"]
    )


def _slowdown() -> RateLimitItem:
    return RateLimitItemPerSecond(1, current_app.config["SCORE_LOGIN_SLOWDOWN_SECONDS"])


def _seconds_left(item: RateLimitItem, *keys: str) -> float:
    return limiter.limiter.get_window_stats(item, *keys).reset_time - time.time()


def wait_before(attempt: Attempt) -> Wait | None:
    """How long this attempt must wait, or None when it may check its password. While the
    account is slowed down, an attempt from a new device that goes ahead takes the turn."""
    if not limiter.enabled:
        return None
    strategy, source = limiter.limiter, (*attempt.account, attempt.source)
    if not strategy.test(_pause(), _PAUSE, *source):
        return Wait(_seconds_left(_pause(), _PAUSE, *source))
    if attempt.from_known_device or strategy.test(
        _account_failures(), _ACCOUNT_FAILURES, *attempt.account
    ):
        return None
    if strategy.hit(_slowdown(), _SLOWDOWN, *attempt.account):
        return None
    return Wait(_seconds_left(_slowdown(), _SLOWDOWN, *attempt.account), slowed=True)


def record_failure(attempt: Attempt) -> None:
    """Count a wrong password; the one that reaches the limit pauses its source."""
    if not limiter.enabled:
        return
    strategy, source = limiter.limiter, (*attempt.account, attempt.source)
    strategy.hit(_failures(), _FAILURES, *source)
    if not strategy.test(_failures(), _FAILURES, *source):
        strategy.hit(_pause(), _PAUSE, *source)
    strategy.hit(_account_failures(), _ACCOUNT_FAILURES, *attempt.account)


def record_success(attempt: Attempt) -> None:
    """A successful sign-in forgets its source's earlier failures (not the account's: those
    of other sources still slow new devices down)."""
    if limiter.enabled:
        limiter.limiter.clear(_failures(), _FAILURES, *attempt.account, attempt.source)
