"""The "Enter figures" form on a phone: a trainer picks a month, sees each value as the figures
are typed, a value above what is plausible opens its comment box, and the month is saved."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from score_app.testing import PHONE
from tests.e2e.conftest import log_in

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing


@pytest.fixture
def people(create_enterprise, create_user):
    enterprise = create_enterprise(name="Accra Works", workers_women=60, workers_men=40)
    trainer = create_user("trainer", enterprises=[enterprise], full_name="Kwame Boateng")
    return {"enterprise": enterprise, "trainer": trainer}


def test_a_trainer_enters_a_month_and_sees_values_while_typing(open_page, people):
    last_month_end = date.today().replace(day=1) - timedelta(days=1)
    month_name = last_month_end.strftime("%B %Y")  # English, as the page is
    page = open_page(PHONE)
    log_in(page, people["trainer"])
    page.goto(f"/enterprises/{people['enterprise'].id}/measurements/new")

    period = page.get_by_label("Period", exact=True)
    expect(period.locator("option:checked")).to_have_text(month_name)
    first_day = page.get_by_label("First day of the period")
    expect(first_day).to_be_hidden()
    period.select_option(label="Another period (type its first and last day)")
    expect(first_day).to_be_visible()
    period.select_option(label=month_name)
    expect(first_day).to_be_hidden()
    page.get_by_label("Baseline").check()

    efficiency = page.locator("#operating_efficiency")
    expect(efficiency.locator("textarea")).to_be_hidden()
    efficiency.get_by_label("Standard minutes produced").fill("6310")
    efficiency.get_by_label("Minutes attended").fill("10000")
    expect(efficiency.locator(".preview")).to_have_text("Result: 63.1 %")
    expect(efficiency.locator("textarea")).to_be_hidden()
    efficiency.get_by_label("Standard minutes produced").fill("16,310")
    expect(efficiency.locator(".preview")).to_have_text("Result: 163.1 %")
    expect(efficiency.get_by_text("Operating efficiency above 150 is unusual")).to_be_visible()
    comment = efficiency.get_by_label("Comment (needed when a figure looks unusual)")
    expect(comment).to_be_visible()
    comment.fill("Two shifts on one line this month: checked with the planner.")

    defects = page.locator("#defect_rate")
    defects.get_by_label("Defective units").fill("45")
    defects.get_by_label("Units inspected").fill("1,500")
    expect(defects.locator(".preview")).to_have_text("Result: 3.0 %")
    expect(defects.locator("textarea")).to_be_hidden()

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("2 measurements saved as drafts.")).to_be_visible()
    first = date(last_month_end.year, last_month_end.month, 1)
    expect(
        page.get_by_text(
            f"{first.strftime('%b')} 1, {first.year} \u2013 "
            f"{first.strftime('%b')} {last_month_end.day}, {first.year}"
        ).first
    ).to_be_visible()
