"""A user's own account: name, language and password, and the pause of the current-password
check after too many wrong ones."""

import time

import pytest
from werkzeug.security import check_password_hash

from score_app.auth.models import User
from score_app.auth.services import password_problem
from score_app.extensions import db
from tests.conftest import PASSWORD, conflict_table, post_seen, seen_version, sign_in


def _password_hash(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).password_hash


def test_changing_the_password_needs_the_current_one(app, client, create_user):
    user = create_user("trainer")
    sign_in(client, user)
    response = client.post(
        "/account/password",
        data={
            "current_password": "not-my-password",
            "new_password": "a-new-long-password",
            "confirm_password": "a-new-long-password",
        },
    )
    assert "This is not your current password." in response.get_data(as_text=True)
    assert check_password_hash(_password_hash(app, user.id), PASSWORD)


def test_new_password_must_be_long_enough(client, create_user):
    sign_in(client, create_user("trainer"))
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert "Use at least 10 characters." in response.get_data(as_text=True)


def test_new_password_must_be_typed_twice_the_same(client, create_user):
    sign_in(client, create_user("trainer"))
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm_password": "another-long-password",
        },
    )
    assert "The two passwords differ." in response.get_data(as_text=True)


def test_changed_password_is_the_one_that_signs_in(app, create_user):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm_password": "a-new-long-password",
        },
    )
    assert response.status_code == 302
    client.post("/logout")
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    )
    sign_in(client, user, password="a-new-long-password")


def test_preferred_language_changes_the_pages(client, create_user):
    sign_in(client, create_user("trainer"))
    response = post_seen(
        client, "/account", data={"full_name": "Ama", "preferred_locale": "fr"},
        follow_redirects=True,
    )  # fmt: skip
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_blank_name_is_refused_and_the_language_choice_kept(client, create_user):
    sign_in(client, create_user("trainer"))
    response = post_seen(client, "/account", data={"full_name": "  ", "preferred_locale": "es"})
    page = response.get_data(as_text=True)
    assert "Enter the person" in page
    assert '<option selected value="es">' in page


def test_a_new_password_signs_out_the_other_devices(app, create_user):
    user = create_user("trainer")
    phone, tablet = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    phone.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm_password": "a-new-long-password",
        },
    )
    assert phone.get("/").status_code == 200
    assert tablet.get("/").status_code == 302


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("nine-char", "Use at least 10 characters."),
        ("ten-chars!", None),
        ("Ama@Example.org", "Do not use your email address as your password."),
        ("abcabcabcabc", "Use a password with more different characters."),
    ],
)
def test_password_policy_needs_ten_characters_not_the_email_and_some_variety(
    app, password, problem
):
    with app.test_request_context():
        assert password_problem(password, "ama@example.org") == problem


def test_an_account_page_older_than_an_admins_change_shows_both_versions(
    app, client, client_as, create_user
):
    user = create_user("trainer", full_name="Kofi Boatang")
    sign_in(client, user)
    users_version = seen_version(client, "/account")
    admin = client_as("admin", full_name="Yaw Admin")
    fixed = {"email": user.email, "full_name": "Kofi Boateng", "role": "trainer", "is_active": "y"}
    assert post_seen(admin, f"/admin/users/{user.id}", data=fixed).status_code == 302

    typed = {"full_name": "Kofi Boatang", "preferred_locale": "fr"}
    refused = client.post("/account", data={"version": users_version, **typed})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Yaw Admin saved a new version" in html
    assert conflict_table(html) == {
        "Your name": ("Kofi Boateng", "Kofi Boatang", True),
        "Language": ("Automatic (from the browser)", "Français", True),
    }
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert (stored.full_name, stored.preferred_locale) == ("Kofi Boateng", None)


# Wrong current passwords pause the check for the account, as wrong passwords pause sign-in.

CHECK_PAUSED = "Changing your password is paused after too many wrong current passwords."


@pytest.fixture
def limited_app(app, make_app):
    """Three wrong current passwords within 10 minutes pause the check for 10 minutes. Made after
    `app`, as the one limiter object follows the app initialised last."""
    return make_app(RATELIMIT_ENABLED=True, SCORE_PASSWORD_RATE_LIMIT="3 per 10 minutes")


def _change_password(client, current_password):
    new = "a-new-long-password"
    data = {"current_password": current_password, "new_password": new, "confirm_password": new}
    return client.post("/account/password", data=data)


def _fail_the_check(client, times):
    return [_change_password(client, "not-my-password").status_code for _ in range(times)]


def test_wrong_current_passwords_pause_the_check_even_for_the_right_one(limited_app, create_user):
    user = create_user("trainer")
    client = sign_in(limited_app.test_client(), user)
    assert _fail_the_check(client, 3) == [200] * 3
    response = _change_password(client, PASSWORD)
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "600"
    assert f"{CHECK_PAUSED} Try again in 10 minutes." in page
    assert 'name="current_password"' in page  # on the account page, not an error page
    assert check_password_hash(_password_hash(limited_app, user.id), PASSWORD)


def test_the_check_opens_again_when_the_pause_ends(limited_app, create_user, monkeypatch):
    client = sign_in(limited_app.test_client(), create_user("trainer"))
    _fail_the_check(client, 3)
    paused_at = time.time()
    monkeypatch.setattr(time, "time", lambda: paused_at + 9 * 60 + 30)
    almost = _change_password(client, PASSWORD)
    assert almost.status_code == 429 and almost.headers["Retry-After"] == "30"
    assert f"{CHECK_PAUSED} Try again in 30 seconds." in almost.get_data(as_text=True)
    monkeypatch.setattr(time, "time", lambda: paused_at + 10 * 60 + 1)
    assert _change_password(client, PASSWORD).status_code == 302


def test_the_pause_of_the_check_is_the_accounts_own(limited_app, create_user):
    paused, other = create_user("trainer"), create_user("trainer")
    _fail_the_check(sign_in(limited_app.test_client(), paused), 3)
    assert _change_password(sign_in(limited_app.test_client(), other), PASSWORD).status_code == 302


def test_the_right_current_password_forgets_the_wrong_ones_before_it(limited_app, create_user):
    client = sign_in(limited_app.test_client(), create_user("trainer"))
    assert _fail_the_check(client, 2) == [200, 200]
    assert _change_password(client, PASSWORD).status_code == 302
    assert _fail_the_check(client, 2) == [200, 200]
    assert _change_password(client, "a-new-long-password").status_code == 302


def test_the_pause_of_the_check_is_told_in_the_users_language(limited_app, create_user):
    client = sign_in(limited_app.test_client(), create_user("trainer", preferred_locale="fr"))
    _fail_the_check(client, 3)
    response = _change_password(client, PASSWORD)
    assert response.status_code == 429 and response.headers["Retry-After"] == "600"
    assert "Réessayez dans 10 minutes." in response.get_data(as_text=True)
