"""Sessions end when they should, on the server: signing out, a new password, deactivation.
A copy of a session cookie taken before must not outlive its session, and API tokens must not
outlive a new password or a deactivation."""

from datetime import timedelta

from sqlalchemy import func, select

from score_app.auth import services as auth_services
from score_app.auth.models import ApiToken, User, UserSession
from score_app.extensions import db, utcnow
from tests.conftest import PASSWORD, post_seen, sign_in

NEW_PASSWORD = "a-new-long-password"


def _copy_of_session(app, client):
    """Another browser holding a copy of this client's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _is_signed_in(client) -> bool:
    return client.get("/").status_code == 200


def _token_for(app, user) -> dict:
    with app.app_context():
        _token, plain = auth_services.create_token(db.session.get(User, user.id), "tablet")
    return {"Authorization": f"Bearer {plain}"}


def _api_status(app, headers) -> int:
    return app.test_client().get("/api/v1/enterprises", headers=headers).status_code


def _refusal_reason(app, headers) -> str | None:
    """Why the API refuses the token, as a device reads it from the 401's body."""
    response = app.test_client().get("/api/v1/enterprises", headers=headers)
    assert response.status_code == 401
    return response.get_json()["reason"]


def _change_password(client):
    return client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        follow_redirects=True,
    )


def _admin_saves(admin, user, **fields):
    data = {"email": user.email, "full_name": user.full_name, "role": "trainer", **fields}
    response = post_seen(admin, f"/admin/users/{user.id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_copied_session_cookie_is_refused_after_signing_out(app, create_user):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    thief = _copy_of_session(app, client)
    assert _is_signed_in(thief)
    client.post("/logout")
    assert not _is_signed_in(client)
    assert not _is_signed_in(thief)


def test_signing_out_ends_only_that_session(app, create_user):
    user = create_user("trainer")
    phone, tablet = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    phone.post("/logout")
    assert not _is_signed_in(phone)
    assert _is_signed_in(tablet)


def test_a_session_is_stored_only_as_a_digest_of_its_key(app, create_user):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    cookie = client.get_cookie("session").value
    with app.app_context():
        stored = db.session.scalars(select(UserSession.key_hash)).all()
    assert len(stored) == 1
    assert stored[0] not in cookie


def test_a_new_password_ends_the_other_sessions_and_their_copies(app, create_user):
    user = create_user("trainer")
    phone, tablet = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    copy_of_tablet = _copy_of_session(app, tablet)
    _change_password(phone)
    assert _is_signed_in(phone)
    assert not _is_signed_in(tablet)
    assert not _is_signed_in(copy_of_tablet)


def test_a_new_password_revokes_the_api_tokens_and_says_so(app, create_user):
    user = create_user("trainer")
    headers = _token_for(app, user)
    assert _api_status(app, headers) == 200
    page = _change_password(sign_in(app.test_client(), user)).get_data(as_text=True)
    assert _refusal_reason(app, headers) == "password"
    assert "Your 1 API token is revoked" in page
    with app.app_context():
        assert db.session.scalar(select(ApiToken.revoked_at)) is not None


def test_a_password_set_by_an_admin_ends_every_session_and_revokes_the_tokens(
    app, client_as, create_user
):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    headers = _token_for(app, user)
    _admin_saves(client_as("admin"), user, is_active="y", new_password=NEW_PASSWORD)
    assert not _is_signed_in(client)
    assert _refusal_reason(app, headers) == "password"
    sign_in(app.test_client(), user, password=NEW_PASSWORD)


def test_deactivation_then_reactivation_revives_no_old_session_or_token(
    app, client_as, create_user
):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    old_cookie = _copy_of_session(app, client)
    headers = _token_for(app, user)
    admin = client_as("admin")
    _admin_saves(admin, user)  # is_active left out: deactivated
    assert not _is_signed_in(client)
    assert _refusal_reason(app, headers) == "deactivated"
    _admin_saves(admin, user, is_active="y")
    assert not _is_signed_in(client)
    assert not _is_signed_in(old_cookie)
    assert _refusal_reason(app, headers) == "deactivated"
    assert _is_signed_in(sign_in(app.test_client(), user))  # a fresh sign-in works


def test_an_admin_saving_an_active_account_leaves_its_sessions_alone(app, client_as, create_user):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    headers = _token_for(app, user)
    _admin_saves(client_as("admin"), user, is_active="y", full_name="A New Name")
    assert _is_signed_in(client)
    assert _api_status(app, headers) == 200


def test_a_session_unused_for_longer_than_the_session_lifetime_ends(app, create_user):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    with app.app_context():
        session = db.session.scalar(select(UserSession))
        session.last_seen_at = utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)
        db.session.commit()
    assert not _is_signed_in(client)


def test_a_session_in_use_is_marked_seen_now_and_then_not_on_every_request(app, create_user):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    an_hour_ago = utcnow() - timedelta(hours=1)
    with app.app_context():
        db.session.scalar(select(UserSession)).last_seen_at = an_hour_ago
        db.session.commit()
    assert _is_signed_in(client)
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))
    assert seen > an_hour_ago + timedelta(minutes=59)
    assert _is_signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) == seen


def test_a_new_sign_in_clears_the_users_expired_sessions(app, create_user):
    user = create_user("trainer")
    sign_in(app.test_client(), user)
    with app.app_context():
        old = utcnow() - app.permanent_session_lifetime - timedelta(days=1)
        db.session.scalar(select(UserSession)).last_seen_at = old
        db.session.commit()
    sign_in(app.test_client(), user)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_deactivating_and_setting_a_password_at_once_tells_devices_they_were_deactivated(
    app, client_as, create_user
):
    user = create_user("trainer")
    headers = _token_for(app, user)
    _admin_saves(client_as("admin"), user, new_password=NEW_PASSWORD)  # and is_active left out
    assert _refusal_reason(app, headers) == "deactivated"


def test_an_account_deactivated_without_its_tokens_ended_is_refused_as_deactivated(
    app, create_user
):
    """Tokens ended before reasons were kept, or an account switched off in the database."""
    user = create_user("trainer")
    headers = _token_for(app, user)
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    assert _refusal_reason(app, headers) == "deactivated"
