"""API tokens: shown once, stored hashed, revocable, and refused once revoked."""

import re

from sqlalchemy import select

from score_app.auth import services as auth_services
from score_app.auth.models import ApiToken, User
from score_app.extensions import db


def _create_token_in_page(client, label="Field tablet"):
    page = client.post("/account/tokens", data={"label": label}).get_data(as_text=True)
    match = re.search(r'<code class="token">(score_[^<]+)</code>', page)
    assert match, "the new token is shown"
    return match.group(1)


def token_of(app, user, label: str, *, is_device: bool = False) -> tuple[int, str]:
    """A token made for the user outside any page (as their device registers one): its id
    and its plain text."""
    with app.app_context():
        token, plain = auth_services.create_token(
            db.session.get(User, user.id), label, is_device=is_device
        )
        return token.id, plain


def test_new_token_is_shown_once_and_stored_only_as_a_hash(app, client_as):
    client = client_as("trainer")
    plain = _create_token_in_page(client)
    assert plain not in client.get("/account/tokens").get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != plain
        assert stored.token_hash == ApiToken.digest(plain)


def test_token_authenticates_the_api_until_revoked(app, client_as):
    client = client_as("trainer")
    plain = _create_token_in_page(client)
    headers = {"Authorization": f"Bearer {plain}"}
    assert app.test_client().get("/api/v1/enterprises", headers=headers).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client.post(f"/account/tokens/{token_id}/revoke")
    response = app.test_client().get("/api/v1/enterprises", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": "This token was revoked.", "reason": "revoked"}
    assert client.get("/account/tokens").status_code == 200  # the user's own session goes on


def test_token_needs_a_name(client_as):
    client = client_as("trainer")
    page = client.post("/account/tokens", data={"label": ""}).get_data(as_text=True)
    assert "This field is required." in page


def test_a_user_cannot_revoke_someone_elses_token(app, client_as):
    owner = client_as("enterprise_owner")
    _create_token_in_page(owner)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    other = client_as("trainer")
    assert other.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert not db.session.get(ApiToken, token_id).is_revoked


def test_revoking_ones_own_lost_device_signs_it_out_of_the_web_but_not_this_browser(
    app, client_as, create_user
):
    trainer = create_user("trainer")
    device_id, _plain = token_of(app, trainer, "Field tablet", is_device=True)
    on_the_lost_tablet, on_the_laptop = client_as(trainer), client_as(trainer)
    page = on_the_laptop.post(f"/account/tokens/{device_id}/revoke", follow_redirects=True)
    assert "your sign-ins in other browsers have ended" in page.get_data(as_text=True)
    assert on_the_lost_tablet.get("/").status_code == 302  # to the sign-in page
    assert on_the_laptop.get("/").status_code == 200


def test_revoking_ones_own_api_token_leaves_the_other_browsers_signed_in(
    app, client_as, create_user
):
    trainer = create_user("trainer")
    token_id, _plain = token_of(app, trainer, "Script")
    elsewhere, here = client_as(trainer), client_as(trainer)
    page = here.post(f"/account/tokens/{token_id}/revoke", follow_redirects=True)
    assert "The token “Script” is revoked." in page.get_data(as_text=True)
    assert elsewhere.get("/").status_code == 200
