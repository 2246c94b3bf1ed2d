"""Certificates in a real browser: a reader types a code from paper into /verify, in lower case
and without dashes, and sees the certificate; a trainer prints all of a workshop's certificates,
made by a job whose page offers the PDF."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from score_app.auth.models import User
from score_app.extensions import db
from score_app.training import services
from score_app.training.models import Workshop
from tests.e2e.conftest import log_in, pdf_text

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

PARTICIPANTS = ("Abena Owusu", "Kwame Asante", "Nguyễn Thị Hồng Nhung")


@pytest.fixture
def workshop(app, create_enterprise, create_user, create_person, create_workshop):
    """A trainer's finished one-day workshop, everyone present and certified in English."""
    accra = create_enterprise(name="Accra Works")
    people = [create_person(accra, name) for name in PARTICIPANTS]
    trainer = create_user("trainer", enterprises=[accra], full_name="Kofi Boateng")
    workshop_id, (day_id,) = create_workshop(trainer, [accra], days=(date(2025, 3, 11),))
    with app.app_context():
        user = db.session.get(User, trainer.id)
        day = next(d for d in db.session.get(Workshop, workshop_id).days if d.id == day_id)
        services.save_attendance(user, day, set(people))
        issued = services.issue_certificates(user, day.workshop, "en")
        codes = {c.participant_name: c.code for c in issued}
    return {"trainer": trainer, "id": workshop_id, "codes": codes}


def test_a_reader_types_a_code_in_lower_case_without_dashes_and_sees_the_certificate(
    phone: Page, workshop
):
    code = workshop["codes"]["Abena Owusu"]
    page = phone
    page.goto("/verify")
    page.get_by_label("Certificate code").fill("zzzz-zzzz-zzz")
    page.get_by_role("button", name="Check the code").tap()
    expect(page.get_by_text("A certificate code has 12 letters and digits.")).to_be_visible()
    expect(page.get_by_label("Certificate code")).to_have_value("zzzz-zzzz-zzz")

    page.get_by_label("Certificate code").fill(code.replace("-", "").lower())
    page.get_by_role("button", name="Check the code").tap()
    expect(page.get_by_text("This certificate is valid.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Abena Owusu")
    expect(page.locator("dl.facts")).to_contain_text(code)
    assert "/verify?code=" in page.url  # the answer has an address of its own


def test_a_trainer_prints_all_certificates_from_their_job_page(tablet: Page, workshop):
    page = tablet
    log_in(page, workshop["trainer"])
    page.goto(f"/training/workshops/{workshop['id']}")
    expect(page.get_by_text("3 valid certificates, one a page")).to_be_visible()
    page.get_by_role("link", name="Print all certificates").tap()
    expect(
        page.get_by_role("heading", name=f"Certificates of workshop {workshop['id']}")
    ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").tap()
    file = download.value
    assert file.suggested_filename == "certificates-workplace-cooperation-accra-2025-03-11.pdf"
    text = pdf_text(file)
    assert all(name in text for name in PARTICIPANTS)
    page.get_by_role("link", name="Back").tap()
    expect(page.get_by_role("link", name="Print all certificates")).to_be_visible()
