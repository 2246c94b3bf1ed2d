"""A whole period at once: a trainer at tablet size types the January follow-up of all 13
indicators, checks, saves and submits it; programme staff on a phone open the verification
queue and verify the period. After the typing, each of them clicks only what the work needs."""

import pytest
from playwright.sync_api import Page, expect

from score_app.testing import PHONE, TABLET
from tests.e2e.conftest import log_in

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

# code -> (first input, second input): plausible for a factory of 100 workers over 31 days.
JANUARY = {
    "operating_efficiency": ("6310", "10000"),
    "absenteeism_rate": ("40", "2200"),
    "defect_rate": ("45", "1500"),
    "dhu": ("60", "1500"),
    "ltifr": ("1", "17600"),
    "recordable_incident_rate": ("2", "17600"),
    "lost_day_rate": ("3", "17600"),
    "osh_incidents": ("1", "4"),
    "staff_turnover": ("3", "100"),
    "labour_productivity": ("12000", "17600"),
    "energy_intensity": ("5400", "12000"),
    "waste_per_unit": ("300", "12000"),
    "on_time_delivery": ("18", "20"),
}
PERIOD = "Baseline · Jan 1, 2025 \u2013 Jan 31, 2025"


@pytest.fixture
def people(create_enterprise, create_user):
    enterprise = create_enterprise(name="Accra Works", workers_women=60, workers_men=40)
    return {
        "enterprise": enterprise,
        "trainer": create_user("trainer", enterprises=[enterprise], full_name="Kwame Boateng"),
        "staff": create_user("programme_staff", countries=["GH"], full_name="Adjoa Mensah"),
    }


def type_the_period(page: Page, enterprise_id: int) -> None:
    """Open the period form and type every figure (no clicks: the form is opened by its URL)."""
    page.goto(f"/enterprises/{enterprise_id}/measurements/new")
    page.get_by_label("Baseline").check()
    page.get_by_label("Period", exact=True).select_option("2025-01")
    for code, figures in JANUARY.items():
        fields = page.locator(f"#{code} input[type=text]").all()
        for field, figure in zip(fields, figures, strict=True):
            field.fill(figure)


def test_a_trainer_submits_a_period_and_staff_verify_it_in_one_step(open_page, people):
    trainer = open_page(TABLET)
    log_in(trainer, people["trainer"])
    type_the_period(trainer, people["enterprise"].id)
    trainer.get_by_role("button", name="Check").click()
    expect(trainer.locator(".preview")).to_have_count(13)
    expect(trainer.locator("#operating_efficiency .preview")).to_have_text("Result: 63.1 %")
    trainer.get_by_role("button", name="Save", exact=True).click()
    expect(trainer.get_by_text("13 measurements saved as drafts.")).to_be_visible()
    period = trainer.get_by_role("region", name=PERIOD)
    expect(period.locator(".status-draft")).to_have_count(13)
    period.get_by_role("button", name="Submit this period").click()
    expect(trainer.get_by_text("13 measurements submitted for verification.")).to_be_visible()
    expect(period.locator(".status-submitted")).to_have_count(13)

    staff = open_page(PHONE)
    log_in(staff, people["staff"])
    staff.goto("/measurements/to-verify")
    expect(staff.get_by_text("1 period waits for verification")).to_be_visible()
    staff.get_by_role("link", name=PERIOD).click()
    expect(staff.locator(".review-card")).to_have_count(13)
    expect(staff.get_by_text("Last submitted by Kwame Boateng", exact=False)).to_be_visible()
    staff.get_by_role("button", name="Verify this period").click()
    expect(staff.get_by_text("13 measurements of Accra Works verified.")).to_be_visible()
    expect(staff.get_by_text("No period waits for verification.")).to_be_visible()

    staff.goto(f"/enterprises/{people['enterprise'].id}/measurements")
    verified = staff.get_by_role("region", name=PERIOD)
    expect(verified.locator(".status-verified")).to_have_count(13)
    expect(verified.locator(".status-verified").first).to_have_text("verified")
