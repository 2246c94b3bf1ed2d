"""The pause of sign-in after wrong passwords, counted per account and source: the client's
address as the app sees it (behind SCORE_PROXIES proxies, the one they report), or a device the
account signed in from before (auth/devices.py). Failures from one source pause that source
only, so nobody can lock an account for everyone else; failures from many sources slow the
account down, without locking it, for the sources it never signed in from. Likewise the pause
of a signed-in account's current-password check (the password page) after wrong ones, counted
per account. Counted in the rate limiter's storage (memory, or Redis with several workers),
like the limit per address."""

import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond, parse

from score_app.extensions import limiter

_SIGN_IN = "sign-in"  # failures and pause per account and source
_PASSWORD_CHECK = "password-check"  # failures and pause per signed-in account
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


@dataclass(frozen=True)
class _Pausing:
    """Failures counted under `name`: the one that reaches the `failures` limit starts a pause
    as long as the limit's window, from that failure on, whatever the password."""

    name: str
    failures: RateLimitItem

    def _counted(self, *keys: str) -> tuple:
        return (self.failures, f"{self.name}-failures", *keys)

    def _paused(self, *keys: str) -> tuple:
        """One hit starts the pause."""
        return (type(self.failures)(1, self.failures.multiples), f"{self.name}-pause", *keys)

    def seconds_left(self, *keys: str) -> float | None:
        """How long the pause counted under `keys` lasts still, or None when there is none."""
        pause = self._paused(*keys)
        return None if limiter.limiter.test(*pause) else _seconds_left(*pause)

    def count_failure(self, *keys: str) -> None:
        failures = self._counted(*keys)
        limiter.limiter.hit(*failures)
        if not limiter.limiter.test(*failures):
            limiter.limiter.hit(*self._paused(*keys))

    def forget_failures(self, *keys: str) -> None:
        limiter.limiter.clear(*self._counted(*keys))


def _sign_in() -> _Pausing:
    """N failures from one source within M minutes pause it for M minutes."""
    config = current_app.config
    failures = RateLimitItemPerMinute(
        config["SCORE_LOGIN_LOCKOUT_FAILURES"], config["SCORE_LOGIN_LOCKOUT_MINUTES"]
    )
    return _Pausing(_SIGN_IN, failures)


def _password_check() -> _Pausing:
    """SCORE_PASSWORD_RATE_LIMIT: "N per M minutes" pause the check for M minutes."""
    return _Pausing(_PASSWORD_CHECK, parse(current_app.config["SCORE_PASSWORD_RATE_LIMIT"]))


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
    paused = _sign_in().seconds_left(*attempt.account, attempt.source)
    if paused is not None:
        return Wait(paused)
    strategy = limiter.limiter
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
    _sign_in().count_failure(*attempt.account, attempt.source)
    limiter.limiter.hit(_account_failures(), _ACCOUNT_FAILURES, *attempt.account)


def record_success(attempt: Attempt) -> None:
    """A successful sign-in forgets its source's earlier failures (not the account's: those
    of other sources still slow new devices down)."""
    if limiter.enabled:
        _sign_in().forget_failures(*attempt.account, attempt.source)


def password_check_wait(user_id: int) -> float | None:
    """How long the account's current-password check stays paused, or None when it may go."""
    return _password_check().seconds_left(str(user_id)) if limiter.enabled else None


def record_wrong_current_password(user_id: int) -> None:
    if limiter.enabled:
        _password_check().count_failure(str(user_id))


def record_right_current_password(user_id: int) -> None:
    """The right current password forgets the wrong ones before it."""
    if limiter.enabled:
        _password_check().forget_failures(str(user_id))
