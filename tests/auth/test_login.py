"""Signing in and out: one message for any wrong credential, deactivation, redirects, the limit
per address and the temporary lockout of an account after repeated failures."""

import pytest

from score_app.auth import lockout
from score_app.auth.models import User
from score_app.extensions import db
from tests.conftest import PASSWORD, sign_in

WRONG = "Email or password is incorrect."


def test_sign_in_with_email_and_password_opens_the_home_page(client, create_user):
    user = create_user("trainer", full_name="Ama Serwaa")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Welcome, Ama Serwaa" in response.get_data(as_text=True)


def test_sign_in_ignores_case_and_spaces_in_the_email(client, create_user):
    create_user("trainer", email="ama@example.org")
    response = client.post("/login", data={"email": "  AMA@Example.org ", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.org", PASSWORD), ("known@example.org", "wrong-password-123")],
    ids=["unknown email", "wrong password"],
)
def test_wrong_email_and_wrong_password_get_the_same_message(client, create_user, email, password):
    create_user("trainer", email="known@example.org")
    response = client.post("/login", data={"email": email, "password": password})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert WRONG in page
    assert email in page  # the email typed stays in the form


def test_deactivated_user_cannot_sign_in(app, client, create_user):
    user = create_user("trainer")
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert WRONG in response.get_data(as_text=True)


def test_deactivating_a_user_ends_their_open_session(app, client, create_user):
    user = create_user("trainer")
    sign_in(client, user)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_sign_out_ends_the_session(client, create_user):
    sign_in(client, create_user("trainer"))
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for(client, create_user):
    user = create_user("trainer")
    assert client.get("/enterprises").location == "/login?next=%2Fenterprises"
    response = client.post(
        "/login?next=/enterprises", data={"email": user.email, "password": PASSWORD}
    )
    assert response.location == "/enterprises"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_sign_in_never_redirects_to_another_site(client, create_user, target):
    user = create_user("trainer")
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.location == "/"


# A header split by CR/LF could set a cookie; other control characters are never in a link.
CONTROL_CHARACTERS = ["/x\r\nSet-Cookie: a=b", "/x\ny", "/x\ry", "/x\ty", "/x\x7fy", "/x\x85y"]


@pytest.mark.parametrize("target", CONTROL_CHARACTERS)
def test_sign_in_ignores_a_next_page_with_control_characters(client, create_user, target):
    user = create_user("trainer")
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.parametrize("target", CONTROL_CHARACTERS)
def test_the_language_switch_ignores_a_next_page_with_control_characters(client, target):
    response = client.post("/locale", data={"locale": "fr", "next": target})
    assert response.status_code == 302 and response.location == "/"
    assert client.post("/locale", data={"locale": "fr", "next": "/modules"}).location == "/modules"


def test_repeated_failed_sign_ins_are_slowed_down(make_app, create_user):
    app = make_app(RATELIMIT_ENABLED=True, SCORE_LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        client.post("/login", data={"email": "x@example.org", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert "Too many attempts" in client.post("/login", data={}).get_data(as_text=True)


def test_the_address_limit_counts_each_address_apart(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SCORE_LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()

    def attempt(address):
        data = {"email": "x@example.org", "password": "nope"}
        return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})

    assert [attempt("192.0.2.1").status_code for _ in range(3)] == [200, 200, 429]
    assert attempt("192.0.2.2").status_code == 200


def test_the_address_limit_says_how_long_to_wait_as_retry_after_does(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SCORE_LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    client.post("/login", data={"email": "x@example.org", "password": "nope"})
    response = client.post("/login", data={"email": "x@example.org", "password": "nope"})
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 55 <= seconds <= 60
    expected = "Try again in 1 minute." if seconds == 60 else f"Try again in {seconds} seconds."
    assert f"Too many attempts. {expected}" in response.get_data(as_text=True)


# The pause of sign-in after wrong passwords: counted per account and per address (or device).

PAUSED = "Sign-in to this account from here is paused after too many wrong passwords."
SLOWED = "Sign-in to this account from new devices is slowed down after many wrong passwords."
ATTACKER, USER = "192.0.2.66", "198.51.100.7"


@pytest.fixture
def lockout_app(app, make_app):
    """Five failures from one place pause it for 15 minutes; the address limit stays out of the
    way. Made after `app`, as the one limiter object follows the app initialised last."""
    return make_app(
        RATELIMIT_ENABLED=True,
        SCORE_LOGIN_RATE_LIMIT="1000 per minute",
        SCORE_LOGIN_LOCKOUT_FAILURES=5,
        SCORE_LOGIN_LOCKOUT_MINUTES=15,
        SCORE_LOGIN_ACCOUNT_FAILURES=12,
        SCORE_LOGIN_SLOWDOWN_SECONDS=30,
    )


def _sign_in_from(client, email, password, address):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _fail(client, email, times, address=ATTACKER):
    return [_sign_in_from(client, email, "wrong-password-123", address) for _ in range(times)]


def _retry_after_agrees(response, text: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert text in page, page
    wait = response.headers["Retry-After"]
    if "minute" in text:
        minutes = text.split("Try again in ")[1].split(" ")[0]
        assert wait == str(int(minutes) * 60)
    else:
        assert text.endswith(f"Try again in {wait} seconds.")


def test_five_failures_pause_their_address_even_with_the_right_password(lockout_app, create_user):
    user = create_user("trainer")
    client = lockout_app.test_client()
    failures = _fail(client, user.email, 5)
    assert [r.status_code for r in failures] == [200] * 5
    assert WRONG in failures[-1].get_data(as_text=True)
    response = _sign_in_from(client, user.email.upper(), PASSWORD, ATTACKER)
    _retry_after_agrees(response, f"{PAUSED} Try again in 15 minutes.")
    assert user.email.upper() in response.get_data(as_text=True)  # the email typed stays
    assert client.get("/").status_code == 302  # not signed in


def test_failures_from_one_address_do_not_lock_the_account_for_others(lockout_app, create_user):
    user = create_user("trainer")
    _fail(lockout_app.test_client(), user.email, 10)
    response = _sign_in_from(lockout_app.test_client(), user.email, PASSWORD, USER)
    assert response.status_code == 302


def test_a_known_device_signs_in_from_an_address_an_attacker_paused(lockout_app, create_user):
    """Colleagues behind one office router share its address: a device the account signed in
    from before carries a signed cookie and is counted apart from the address."""
    user = create_user("trainer")
    device = lockout_app.test_client()
    assert _sign_in_from(device, user.email, PASSWORD, ATTACKER).status_code == 302
    device.post("/logout")
    _fail(lockout_app.test_client(), user.email, 5, address=ATTACKER)
    stranger = lockout_app.test_client()
    assert _sign_in_from(stranger, user.email, PASSWORD, ATTACKER).status_code == 429
    assert _sign_in_from(device, user.email, PASSWORD, ATTACKER).status_code == 302


def test_a_known_device_of_another_account_counts_as_its_address(lockout_app, create_user):
    """An attacker's own account gives their browser a device cookie; it does not make their
    failures on someone else's account count apart from their address."""
    attacker, victim = create_user("trainer"), create_user("trainer")
    client = lockout_app.test_client()
    assert _sign_in_from(client, attacker.email, PASSWORD, ATTACKER).status_code == 302
    client.post("/logout")
    _fail(client, victim.email, 5)
    fresh_browser = lockout_app.test_client()
    assert _sign_in_from(fresh_browser, victim.email, PASSWORD, ATTACKER).status_code == 429


def test_a_forged_device_cookie_counts_as_no_device(lockout_app, create_user):
    user = create_user("trainer")
    device = lockout_app.test_client()
    _sign_in_from(device, user.email, PASSWORD, USER)
    device.post("/logout")
    forged = lockout_app.test_client()
    forged.set_cookie("score_device", device.get_cookie("score_device").value[:-4] + "AAAA")
    _fail(forged, user.email, 5)
    fresh_browser = lockout_app.test_client()  # the failures were counted on the address
    assert _sign_in_from(fresh_browser, user.email, PASSWORD, ATTACKER).status_code == 429


def test_the_device_cookie_is_httponly_and_lasts_a_year(lockout_app, create_user):
    user = create_user("trainer")
    response = _sign_in_from(lockout_app.test_client(), user.email, PASSWORD, USER)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "score_device=" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Max-Age={365 * 24 * 3600}" in cookie


def test_four_failures_do_not_pause_and_a_success_forgets_them(lockout_app, create_user):
    user = create_user("trainer")
    client = lockout_app.test_client()
    _fail(client, user.email, 4)
    assert _sign_in_from(client, user.email, PASSWORD, ATTACKER).status_code == 302
    client.post("/logout")
    _fail(lockout_app.test_client(), user.email, 4)
    assert _sign_in_from(client, user.email, PASSWORD, ATTACKER).status_code == 302


def test_a_pause_of_one_account_leaves_the_others_open(lockout_app, create_user):
    paused, other = create_user("trainer"), create_user("trainer")
    client = lockout_app.test_client()
    _fail(client, paused.email, 5)
    assert _sign_in_from(client, other.email, PASSWORD, ATTACKER).status_code == 302


def test_an_unknown_email_is_paused_the_same_way(lockout_app):
    client = lockout_app.test_client()
    responses = _fail(client, "nobody@example.org", 6)
    assert responses[4].status_code == 200
    _retry_after_agrees(responses[5], f"{PAUSED} Try again in 15 minutes.")


def test_the_pause_ends_after_its_minutes(lockout_app, create_user):
    user = create_user("trainer")
    _fail(lockout_app.test_client(), user.email, 5)
    with lockout_app.test_request_context():
        attempt = lockout.Attempt(email=user.email, source=f"address:{ATTACKER}", lifts=0)
        wait = lockout.wait_before(attempt)
    assert wait.seconds == pytest.approx(15 * 60, abs=5)


def test_failures_from_many_addresses_slow_the_account_down_for_new_devices(
    lockout_app, create_user
):
    """Twelve failures from three addresses: the account is not locked, but a device it never
    signed in from gets one attempt in 30 seconds; the owner's known device is not slowed."""
    user = create_user("trainer")
    device = lockout_app.test_client()
    assert _sign_in_from(device, user.email, PASSWORD, USER).status_code == 302
    device.post("/logout")
    for n in range(3):
        _fail(lockout_app.test_client(), user.email, 4, address=f"203.0.113.{n}")
    new_device = lockout_app.test_client()
    assert _sign_in_from(new_device, user.email, PASSWORD, "203.0.113.50").status_code == 302
    new_device.post("/logout")
    response = _sign_in_from(lockout_app.test_client(), user.email, PASSWORD, "203.0.113.51")
    _retry_after_agrees(response, f"{SLOWED} Try again in 30 seconds.")
    assert _sign_in_from(device, user.email, PASSWORD, "203.0.113.52").status_code == 302


def test_the_pause_counts_the_address_the_proxy_reports(make_app, create_user):
    app = make_app(
        RATELIMIT_ENABLED=True, SCORE_LOGIN_RATE_LIMIT="1000 per minute", SCORE_PROXIES=1
    )
    user = create_user("trainer")
    client = app.test_client()

    def attempt(password, forwarded_for):
        return client.post(
            "/login",
            data={"email": user.email, "password": password},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers={"X-Forwarded-For": forwarded_for},
        )

    for _ in range(5):
        attempt("wrong-password-123", ATTACKER)
    assert attempt(PASSWORD, ATTACKER).status_code == 429
    assert attempt(PASSWORD, USER).status_code == 302


@pytest.mark.parametrize(
    ("minutes", "locale", "text"),
    [
        (1, "en", "Try again in 1 minute."),
        (1500, "en", "Try again in 1,500 minutes."),
        (1500, "fr", "1\u202f500"),
    ],
)
def test_the_wait_is_counted_in_the_readers_words_and_numbers(
    app, make_app, create_user, minutes, locale, text
):
    paused = make_app(
        RATELIMIT_ENABLED=True,
        SCORE_LOGIN_RATE_LIMIT="1000 per minute",
        SCORE_LOGIN_LOCKOUT_FAILURES=1,
        SCORE_LOGIN_LOCKOUT_MINUTES=minutes,
    )
    client = paused.test_client()
    client.post("/locale", data={"locale": locale})
    _fail(client, "someone@example.org", 1)
    response = _sign_in_from(client, "someone@example.org", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert text in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == str(minutes * 60)


def test_an_admin_lifts_the_pauses_of_an_account(lockout_app, create_user):
    user, admin = create_user("trainer"), create_user("admin")
    _fail(lockout_app.test_client(), user.email, 5)
    admin_client = lockout_app.test_client()
    assert _sign_in_from(admin_client, admin.email, PASSWORD, USER).status_code == 302
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert f'action="/admin/users/{user.id}/unlock"' in page
    response = admin_client.post(f"/admin/users/{user.id}/unlock", follow_redirects=True)
    assert f"Sign-in to {user.email} is open again" in response.get_data(as_text=True)
    attacker_address = lockout_app.test_client()
    assert _sign_in_from(attacker_address, user.email, PASSWORD, ATTACKER).status_code == 302


def test_lifting_the_pauses_is_written_to_the_log(lockout_app, create_user, caplog):
    user, admin = create_user("trainer"), create_user("admin")
    admin_client = lockout_app.test_client()
    _sign_in_from(admin_client, admin.email, PASSWORD, USER)
    with caplog.at_level("INFO"):
        admin_client.post(f"/admin/users/{user.id}/unlock")
    assert f"{admin.email} lifted the sign-in pauses of {user.email}" in caplog.text
