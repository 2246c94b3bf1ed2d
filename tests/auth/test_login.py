"""Signing in and out: one message for any wrong credential, deactivation, redirects, limits."""

import pytest

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
