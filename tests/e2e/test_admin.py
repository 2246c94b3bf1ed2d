"""An admin's day: creates a trainer with an invitation, which the trainer follows to choose a
password in French and sign in; then unticks one of a trainer's four enterprises and confirms
the removal the page lists."""

import re

import pytest
from playwright.sync_api import expect

from score_app.testing import PHONE
from tests.auth.test_tokens import token_of
from tests.e2e.conftest import log_in

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

LINK = re.compile(r"http://127\.0\.0\.1:\d+/password/\S+")


@pytest.fixture
def app(make_app, mailbox):
    """The app as users meet it, sending its mails to the test's SMTP server."""
    return make_app(WTF_CSRF_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=mailbox.port)


def test_admin_invites_a_trainer_who_chooses_a_password_and_signs_in(
    laptop, open_page, mailbox, create_user, create_enterprise
):
    for name in ("Accra Works", "Kumasi Garments", "Tema Shirts"):
        create_enterprise(name=name)
    page = laptop
    log_in(page, create_user("admin", full_name="Ama Admin"))
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="New user").click()
    role = page.get_by_label("Role")
    expect(role.locator("option:checked")).to_have_text("Enterprise owner or manager")
    countries = page.get_by_role("group", name="Countries (programme staff)")
    expect(countries).to_be_hidden()
    role.select_option(label="Programme staff")
    expect(countries).to_be_visible()
    role.select_option(label="Trainer")
    expect(countries).to_be_hidden()

    page.get_by_label("Email", exact=True).fill("kofi@example.org")
    page.get_by_label("Name", exact=True).fill("Kofi Boateng")
    page.get_by_label("Language", exact=True).select_option(label="Français")
    enterprises = page.get_by_role("group", name="Enterprises (trainers and owners)")
    enterprises.get_by_label("Find an enterprise").fill("kum")
    expect(enterprises.get_by_label("Accra Works (Ghana)")).to_be_hidden()
    enterprises.get_by_label("Kumasi Garments (Ghana)").check()
    invite = page.get_by_label("Send an invitation by email")
    expect(invite).to_be_checked()
    expect(page.get_by_label("Password")).to_be_hidden()
    invite.uncheck()
    expect(page.get_by_label("Password")).to_be_visible()
    invite.check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text("An invitation is sent to kofi@example.org.")).to_be_visible()

    (message,) = mailbox.messages
    link = LINK.search(message.get_content()).group(0)
    trainer_page = open_page(PHONE)
    trainer_page.goto(link)
    expect(
        trainer_page.get_by_role("heading", name="Choisissez votre mot de passe")
    ).to_be_visible()
    trainer_page.get_by_label("Nouveau mot de passe", exact=True).fill("kofi-chooses-this-one")
    trainer_page.get_by_label("Confirmer le nouveau mot de passe").fill("kofi-chooses-this-one")
    trainer_page.get_by_role("button", name="Enregistrer mon mot de passe").tap()
    expect(trainer_page.get_by_text("Votre mot de passe est enregistré.")).to_be_visible()
    trainer_page.get_by_label("E-mail").fill("kofi@example.org")
    trainer_page.get_by_label("Mot de passe").fill("kofi-chooses-this-one")
    trainer_page.get_by_role("button", name="Se connecter").tap()
    expect(trainer_page.get_by_role("link", name="Kumasi Garments")).to_be_visible()


def test_admin_unticks_one_of_four_enterprises_and_confirms_the_listed_removal(
    laptop, create_user, create_enterprise
):
    names = ("Accra Works", "Kumasi Garments", "Tema Shirts", "Volta Leather", "Wa Foods")
    accra, kumasi, tema, volta, _wa = (create_enterprise(name=name) for name in names)
    trainer = create_user(
        "trainer", full_name="Yaw Mensah", enterprises=[accra, kumasi, tema, volta]
    )
    page = laptop
    log_in(page, create_user("admin"))
    page.goto(f"/admin/users/{trainer.id}")
    enterprises = page.get_by_role("group", name="Enterprises (trainers and owners)")
    boxes = enterprises.get_by_role("checkbox")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(3)).to_be_checked()
    expect(boxes.nth(4)).not_to_be_checked()
    enterprises.get_by_label("Tema Shirts (Ghana)").uncheck()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Confirm the change of enterprises")).to_be_visible()
    expect(page.get_by_text("Removed (1 enterprise)")).to_be_visible()
    expect(page.locator(".changes strong")).to_have_text(["Tema Shirts"])
    page.get_by_role("button", name="Confirm and save").click()
    expect(page.get_by_text("The account for")).to_be_visible()
    page.goto(f"/admin/users/{trainer.id}")
    expect(enterprises.get_by_label("Tema Shirts (Ghana)")).not_to_be_checked()
    expect(enterprises.get_by_label("Volta Leather (Ghana)")).to_be_checked()


def test_a_users_devices_and_tokens_fit_a_phone_as_cards(app, open_page, create_user):
    trainer = create_user("trainer", full_name="Kofi Boateng")
    token_of(app, trainer, "Field tablet", is_device=True)
    page = open_page(PHONE)
    log_in(page, create_user("admin"))
    page.goto(f"/admin/users/{trainer.id}")
    expect(page.get_by_text("1 device keeps this account's work offline")).to_be_visible()
    created = page.locator("table td", has_text="Field tablet")
    expect(created).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Sign out all devices").tap()
    expect(page.get_by_text("No device keeps this account's work offline.")).to_be_visible()
    expect(page.locator("table td[data-label='Status']")).to_have_text("Revoked")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
