"""Signing in and out: one message for any wrong credential, deactivation, redirects, the limit
per address and the temporary lockout of an account after repeated failures."""

from datetime import UTC, datetime, timedelta

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


LOCKED = (
    "Sign-in to this account is paused after too many wrong passwords. Try again in 15 minutes."
)


@pytest.fixture
def lockout_app(app, make_app):
    """Five failures lock an account for 15 minutes; the address limit stays out of the way.
    Made after `app`, as the one limiter object follows the app initialised last."""
    return make_app(
        RATELIMIT_ENABLED=True,
        SCORE_LOGIN_RATE_LIMIT="100 per minute",
        SCORE_LOGIN_LOCKOUT_FAILURES=5,
        SCORE_LOGIN_LOCKOUT_MINUTES=15,
    )


def _sign_in_from(client, email, password, address):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _fail(client, email, times, address="192.0.2.1"):
    return [_sign_in_from(client, email, "wrong-password-123", address) for _ in range(times)]


def test_five_failures_lock_the_account_whatever_the_address_even_with_the_right_password(
    lockout_app, create_user
):
    user = create_user("trainer")
    client = lockout_app.test_client()
    failures = _fail(client, user.email, 5)
    assert [r.status_code for r in failures] == [200] * 5
    assert WRONG in failures[-1].get_data(as_text=True)
    for address in ("192.0.2.1", "198.51.100.7"):
        response = _sign_in_from(client, user.email.upper(), PASSWORD, address)
        assert response.status_code == 429
        page = response.get_data(as_text=True)
        assert LOCKED in page
        assert user.email.upper() in page  # the email typed stays in the form
    assert client.get("/").status_code == 302  # not signed in


def test_four_failures_do_not_lock_and_a_success_forgets_them(lockout_app, create_user):
    user = create_user("trainer")
    client = lockout_app.test_client()
    _fail(client, user.email, 4)
    assert _sign_in_from(client, user.email, PASSWORD, "192.0.2.1").status_code == 302
    client.post("/logout")
    _fail(client, user.email, 4)
    assert _sign_in_from(client, user.email, PASSWORD, "192.0.2.1").status_code == 302


def test_a_lockout_of_one_account_leaves_the_others_open(lockout_app, create_user):
    locked, other = create_user("trainer"), create_user("trainer")
    client = lockout_app.test_client()
    _fail(client, locked.email, 5)
    assert _sign_in_from(client, other.email, PASSWORD, "192.0.2.1").status_code == 302


def test_an_unknown_email_is_locked_the_same_way(lockout_app):
    client = lockout_app.test_client()
    responses = _fail(client, "nobody@example.org", 6)
    assert responses[4].status_code == 200
    assert LOCKED in responses[5].get_data(as_text=True)


def test_the_lockout_ends_after_its_minutes(lockout_app, create_user):
    user = create_user("trainer")
    _fail(lockout_app.test_client(), user.email, 5)
    with lockout_app.app_context():
        retry_at = lockout.locked_until(user.email)
    assert retry_at - datetime.now(UTC) == pytest.approx(
        timedelta(minutes=15), abs=timedelta(seconds=5)
    )
