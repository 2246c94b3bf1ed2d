"""An enterprise owner at phone size: enters a month's follow-up with one impossible figure,
reads the message (the month and the figures kept), corrects it, adds an action to the
improvement plan and downloads the plan PDF; finds the header one row high with its menu, the
before/after stacked as cards, and adds an action with a phone photo that is made small before
it is sent and printed in the plan."""

import io

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from score_app.extensions import db
from score_app.plans.models import ActionPhoto
from tests.e2e.conftest import log_in, pdf_text

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

ACTION = "Replace the worn needle plates on line 3 and check them every Monday"
TOO_MANY = "Cannot be more than units inspected."


def open_follow_up_form(page: Page, month: str) -> None:
    page.get_by_role("link", name="Accra Works").tap()
    page.get_by_role("link", name="Measurements").tap()
    page.get_by_role("link", name="Enter figures").tap()
    page.get_by_label("Follow-up").check()
    page.get_by_label("Period", exact=True).select_option(month)


def add_action(page: Page, action: str) -> None:
    page.get_by_role("link", name="Improvement plan").tap()
    page.get_by_role("link", name="Add an action").tap()
    page.get_by_label("Problem").fill("Needles break on line 3")
    page.get_by_label("Root cause").fill("Worn needle plates")
    page.get_by_label("Action", exact=True).fill(action)
    page.get_by_label("Responsible person").fill("Efua Asante")
    page.get_by_label("Due date").fill("2099-03-31")
    page.get_by_label("Indicator targeted").select_option(label="Defect rate")
    page.get_by_label("Target value").fill("1.5")
    page.get_by_role("button", name="Save").tap()


def test_owner_corrects_an_impossible_figure_then_plans_an_action_and_prints_the_plan(
    phone, plan_data
):
    page = phone
    log_in(page, plan_data["users"]["owner"])
    open_follow_up_form(page, "2025-10")
    defects = page.get_by_role("group", name="Defect rate")
    defective = defects.get_by_label("Defective units")
    inspected = defects.get_by_label("Units inspected")
    defective.fill("1200")
    inspected.fill("1000")
    page.get_by_role("button", name="Save", exact=True).tap()

    expect(
        page.get_by_text("Nothing was saved. Please correct the fields marked below.")
    ).to_be_visible()
    expect(defective).to_have_accessible_description(TOO_MANY)
    expect(defects.locator(".error")).to_have_text(TOO_MANY)
    expect(defective).to_have_attribute("aria-invalid", "true")
    expect(defective).to_have_value("1200")
    expect(inspected).to_have_value("1000")
    expect(page.get_by_label("Period", exact=True)).to_have_value("2025-10")

    defective.fill("25")
    page.get_by_role("button", name="Save", exact=True).tap()
    expect(page.get_by_text("1 measurement saved as a draft.")).to_be_visible()
    saved = page.get_by_role("region", name="Follow-up · Oct 1, 2025 \u2013 Oct 31, 2025")
    for shown in ("Defect rate", "2.5 %", "draft"):
        expect(saved.get_by_role("row").filter(has_text="Defect rate")).to_contain_text(shown)

    add_action(page, ACTION)
    expect(page.get_by_text("The action is saved.")).to_be_visible()
    page.get_by_role("link", name="Accra Works · Plan 2025").tap()
    expect(page.get_by_role("heading", name="Planned (1)")).to_be_visible()
    expect(page.locator(".action-card")).to_contain_text([ACTION])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the plan (PDF)").tap()
    assert ACTION in " ".join(pdf_text(download.value).split()), "the action, however it wraps"


def phone_photo() -> bytes:
    """A 12-megapixel picture, as a phone's camera takes it."""
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (40, 120, 200)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_owner_on_a_phone_reads_a_compact_header_and_stacked_table_then_adds_a_photo(
    app, phone, plan_data
):
    page = phone
    log_in(page, plan_data["users"]["owner"])
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= 70, "one row: SCORE and the menu"
    links = page.get_by_role("navigation", name="Main")
    expect(links.get_by_role("link", name="Enterprises")).to_be_hidden()
    page.get_by_text("Menu", exact=True).tap()
    expect(links.get_by_role("link", name="Enterprises")).to_be_visible()
    page.get_by_label("Language of the pages").select_option(label="Français")
    page.get_by_role("button", name="Change the language").tap()
    expect(page.get_by_text("Menu", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_text("Menu", exact=True).tap()
    page.get_by_label("Langue des pages").select_option(label="English")
    page.get_by_role("button", name="Changer de langue").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto(f"/enterprises/{plan_data['enterprise'].id}/plan")
    row = page.locator(".before-after-table tbody tr").filter(has_text="Defect rate")
    baseline = row.locator("td").first
    # A card: the cell takes the row's width, named by its column, and nothing scrolls sideways.
    assert baseline.evaluate("cell => getComputedStyle(cell).display") == "block"
    label = baseline.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert "Baseline" in label
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="Add an action").tap()
    page.get_by_label("Problem").fill("Oil on the floor by the presses")
    page.get_by_label("Action", exact=True).fill("Fit drip trays under the presses")
    page.get_by_label("Responsible person").fill("Efua Asante")
    page.get_by_label("Due date").fill("2099-03-31")
    photo = page.get_by_label("Photo (optional)")
    expect(photo).to_have_attribute("accept", "image/*")
    photo.set_input_files(
        {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}
    )
    page.get_by_label("Caption of the photo").fill("The floor after a week")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("The action is saved.")).to_be_visible()
    expect(page.get_by_role("img", name="The floor after a week")).to_be_visible()
    with app.app_context():
        kept = db.session.scalars(select(ActionPhoto)).one()
        size = Image.open(app.config["SCORE_UPLOAD_DIR"] + "/" + kept.stored_name).size
    assert max(size) == 1600, "made small on the phone, below the server's own 2,000 pixels"

    page.get_by_role("link", name="Accra Works · Plan 2025").tap()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the plan (PDF)").tap()
    assert "Fit drip trays under the presses" in " ".join(pdf_text(download.value).split())
    reader = PdfReader(download.value.path())
    images = {image.name for pdf_page in reader.pages for image in pdf_page.images}
    assert len(images) == 1, "the photo is printed under its action"
