"""An enterprise owner at phone size: enters a month's follow-up with one impossible figure,
reads the message (the month and the figures kept), corrects it, adds an action to the
improvement plan and downloads the plan PDF."""

import pytest
from playwright.sync_api import Page, expect

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
