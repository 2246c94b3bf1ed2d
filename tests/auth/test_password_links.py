"""Invitations and forgotten passwords: a single-use, expiring link by mail where the user
chooses their password, read from a real SMTP server started by the test."""

import re
from datetime import timedelta

from sqlalchemy import select

from score_app.auth.models import PasswordLink, User
from score_app.auth.services import create_token
from score_app.extensions import db, utcnow
from tests.conftest import PASSWORD, post_seen, sign_in

LINK = re.compile(r"https://score\.test(/password/\S+)")
NEW_PASSWORD = "a-brand-new-password"
SAME_ANSWER = "a link to choose a new password is on its way"


def _link_in(message) -> str:
    return LINK.search(message.get_content()).group(1)


def _choose(client, link: str, password: str = NEW_PASSWORD):
    return client.post(link, data={"new_password": password, "confirm_password": password})


def _signs_in(app, email: str, password: str) -> bool:
    response = app.test_client().post("/login", data={"email": email, "password": password})
    return response.status_code == 302


def test_an_invited_trainer_chooses_a_password_in_their_language_and_signs_in(
    mail_app, mailbox, create_user, create_enterprise
):
    enterprise = create_enterprise(name="Accra Works")
    admin = sign_in(mail_app.test_client(), create_user("admin", full_name="Ama Admin"))
    created = admin.post(
        "/admin/users/new",
        data={
            "email": "kofi@example.org",
            "full_name": "Kofi Boateng",
            "role": "trainer",
            "preferred_locale": "fr",
            "enterprises": [enterprise.id],
            "invite": "y",
        },
        follow_redirects=True,
    )
    assert "An invitation is sent to kofi@example.org." in created.get_data(as_text=True)
    assert not _signs_in(mail_app, "kofi@example.org", "!")  # no password until chosen
    users = admin.get("/admin/users?q=kofi").get_data(as_text=True)
    assert '<span class="badge info">Invited</span>' in users
    (message,) = mailbox.messages
    assert message["To"] == "kofi@example.org"
    assert message["Subject"] == "Votre compte SCORE est prêt"
    assert "Ama Admin" in message.get_content()

    visitor = mail_app.test_client()
    link = _link_in(message)
    page = visitor.get(link).get_data(as_text=True)
    assert "Choisissez votre mot de passe" in page
    assert "kofi@example.org" in page
    chosen = _choose(visitor, link)
    assert chosen.status_code == 302
    assert _signs_in(mail_app, "kofi@example.org", NEW_PASSWORD)


def test_creating_a_user_without_invitation_or_password_is_refused(client_as):
    admin = client_as("admin")
    response = admin.post(
        "/admin/users/new",
        data={"email": "kofi@example.org", "full_name": "Kofi", "role": "trainer"},
    )
    page = response.get_data(as_text=True)
    assert "Type a password, or send an invitation so the person chooses one." in page
    assert 'value="kofi@example.org"' in page


def test_a_forgotten_password_is_replaced_from_a_single_use_link(mail_app, mailbox, create_user):
    trainer = create_user("trainer", email="yaw@example.org")
    asked = mail_app.test_client().post(
        "/password/forgot", data={"email": "YAW@example.org"}, follow_redirects=True
    )
    assert SAME_ANSWER in asked.get_data(as_text=True)
    (message,) = mailbox.messages
    assert message["Subject"] == "Choose a new SCORE password"
    link = _link_in(message)
    with mail_app.app_context():
        _token, plain = create_token(db.session.get(User, trainer.id), "tablet", is_device=True)
    visitor = mail_app.test_client()
    assert _choose(visitor, link).status_code == 302
    assert _signs_in(mail_app, trainer.email, NEW_PASSWORD)
    refused = mail_app.test_client().get(
        "/api/v1/enterprises", headers={"Authorization": f"Bearer {plain}"}
    )
    assert refused.get_json()["reason"] == "password"  # the tablet keeps its unsent changes
    assert not _signs_in(mail_app, trainer.email, PASSWORD)

    again = visitor.get(link)
    assert again.status_code == 404
    assert "This link was already used" in again.get_data(as_text=True)
    assert _choose(visitor, link, "yet-another-password").status_code == 404
    assert not _signs_in(mail_app, trainer.email, "yet-another-password")


def test_a_new_password_is_held_to_the_same_rules(mail_app, mailbox, create_user):
    trainer = create_user("trainer")
    mail_app.test_client().post("/password/forgot", data={"email": trainer.email})
    link = _link_in(mailbox.messages[0])
    refused = _choose(mail_app.test_client(), link, "short")
    assert refused.status_code == 200
    assert "Use at least 10 characters." in refused.get_data(as_text=True)
    mismatch = mail_app.test_client().post(
        link, data={"new_password": NEW_PASSWORD, "confirm_password": "something-else"}
    )
    assert "The two passwords differ." in mismatch.get_data(as_text=True)
    assert _signs_in(mail_app, trainer.email, PASSWORD)


def test_an_expired_link_is_refused_with_a_clear_message(mail_app, mailbox, create_user):
    trainer = create_user("trainer")
    mail_app.test_client().post("/password/forgot", data={"email": trainer.email})
    link = _link_in(mailbox.messages[0])
    with mail_app.app_context():
        stored = db.session.scalar(select(PasswordLink).where(PasswordLink.user_id == trainer.id))
        stored.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = _choose(mail_app.test_client(), link)
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert _signs_in(mail_app, trainer.email, PASSWORD)


def test_an_unknown_email_gets_the_same_answer_and_no_mail(mail_app, mailbox):
    asked = mail_app.test_client().post(
        "/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    assert SAME_ANSWER in asked.get_data(as_text=True)
    assert mailbox.messages == []


def test_a_password_set_by_an_admin_ends_the_mailed_link(mail_app, mailbox, create_user):
    trainer = create_user("trainer")
    mail_app.test_client().post("/password/forgot", data={"email": trainer.email})
    link = _link_in(mailbox.messages[0])
    admin = sign_in(mail_app.test_client(), create_user("admin"))
    post_seen(
        admin,
        f"/admin/users/{trainer.id}",
        data={
            "email": trainer.email,
            "full_name": trainer.full_name,
            "role": "trainer",
            "is_active": "y",
            "new_password": "set-by-the-admin",
        },
    )
    assert mail_app.test_client().get(link).status_code == 404


def test_forgot_password_is_rate_limited_like_sign_in(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SCORE_FORGOT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [
        client.post("/password/forgot", data={"email": "x@example.org"}).status_code
        for _ in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_without_a_mail_server_the_mail_is_written_to_the_log(app, client, create_user, caplog):
    trainer = create_user("trainer")
    client.post("/password/forgot", data={"email": trainer.email})
    assert "No mail server is set" in caplog.text
    assert "/password/" in caplog.text and trainer.email in caplog.text


def test_an_invitation_the_mail_server_refuses_is_told_to_the_admin(make_app, create_user):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    admin = sign_in(app.test_client(), create_user("admin"))
    response = admin.post(
        "/admin/users/new",
        data={"email": "esi@example.org", "full_name": "Esi", "role": "trainer", "invite": "y"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "The invitation to esi@example.org could not be sent" in page
    with app.app_context():
        esi = db.session.scalar(select(User).where(User.email == "esi@example.org"))
        assert esi.is_invited
    assert "Send the invitation again" in admin.get(f"/admin/users/{esi.id}").get_data(as_text=True)
