"""The known-device cookie: set at every successful sign-in, signed with SCORE_SECRET_KEY, it
names the browser and the accounts that signed in from it. A later sign-in to one of those
accounts is counted by the device rather than its address (auth/lockout.py), so whoever shares
the address (an office router, a proxy) cannot pause it. It grants nothing else."""

import secrets
from dataclasses import dataclass

from flask import Request, Response, current_app
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE_NAME = "score_device"
LIFETIME_SECONDS = 365 * 24 * 3600
MAX_ACCOUNTS = 10  # a shared tablet remembers the latest ten accounts signed in from it


@dataclass(frozen=True)
class KnownDevice:
    id: str
    user_ids: tuple[int, ...] = ()

    def knows(self, user_id: int) -> bool:
        return user_id in self.user_ids


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="score-known-device")


def read_device(request: Request) -> KnownDevice | None:
    """The device the request's cookie names, or None without a valid one (forged, expired)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=LIFETIME_SECONDS)
        return KnownDevice(str(data["d"]), tuple(int(user_id) for user_id in data["u"]))
    except (BadData, KeyError, TypeError, ValueError):
        return None


def remember_device(response: Response, device: KnownDevice | None, user_id: int) -> None:
    """After a successful sign-in: the device (a new one if it had none) knows this account."""
    device_id = device.id if device else secrets.token_urlsafe(16)
    others = [known for known in (device.user_ids if device else ()) if known != user_id]
    value = _serializer().dumps({"d": device_id, "u": [user_id, *others][:MAX_ACCOUNTS]})
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SCORE_HTTPS"],
    )
