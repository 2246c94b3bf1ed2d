"""A trainer at tablet size: signs in, reads Module 1 in French, runs a workshop day, taps 20
people present, adds a walk-in and downloads the day's sign-in sheet."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in, pdf_text

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

MODULE_1 = "Coopération sur le lieu de travail"
# Participants 1-12 work at Accra Works, 13-24 at Kumasi Works. Odd numbers are women, even
# numbers men; numbers ending in 1 are managers, in 2 supervisors, the rest workers.
PARTICIPANTS = [
    (
        f"Participant {n:02d}",
        "female" if n % 2 else "male",
        {1: "manager", 2: "supervisor"}.get(n % 10, "worker"),
    )
    for n in range(1, 25)
]
PRESENT = [name for name, _sex, _role in PARTICIPANTS[:20]]
WALK_IN = "Efua Mensah"


@pytest.fixture
def trainer(create_enterprise, create_user, create_person, create_workshop):
    """A trainer whose Module 1 workshop for two enterprises, 24 people listed, is on today."""
    accra = create_enterprise(name="Accra Works")
    kumasi = create_enterprise(name="Kumasi Works")
    for n, (name, sex, role) in enumerate(PARTICIPANTS, start=1):
        create_person(accra if n <= 12 else kumasi, name, sex, role)
    trainer = create_user("trainer", enterprises=[accra, kumasi], full_name="Kofi Boateng")
    create_workshop(trainer, [accra, kumasi], days=(date.today(),), place="Accra training room")
    return trainer


def read_module_1_in_french(page: Page) -> None:
    page.get_by_role("button", name="Français").tap()
    page.get_by_role("link", name="Modules", exact=True).tap()
    page.get_by_role("link", name=MODULE_1).tap()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(MODULE_1)
    expect(page.get_by_role("heading", name="Objectifs d'apprentissage")).to_be_visible()


def open_todays_attendance(page: Page) -> None:
    page.get_by_role("link", name="Formation", exact=True).tap()
    page.get_by_role("link", name=MODULE_1).tap()
    page.get_by_role("link", name="Saisir les présences").tap()
    expect(page.get_by_text("Chaque appui est enregistré immédiatement.")).to_be_visible()


def expect_counts(page: Page, **expected: int) -> None:
    """The counts shown, by cell: total, sex_female, role_worker, male_worker..."""
    for key, number in expected.items():
        cells = page.locator(f'[data-count="{key.replace("_", "-")}"]')
        expect(cells).to_have_text([str(number)] * cells.count())


def tap_present(page: Page, names: list[str]) -> None:
    """Tap each person, watching the total go up as each tap is saved."""
    for number, name in enumerate(names, start=1):
        page.locator("label.tap", has_text=name).tap()
        expect_counts(page, total=number)


def add_walk_in(page: Page, name: str, enterprise: str, sex: str, role: str) -> None:
    form = page.locator("#walk-in")
    form.get_by_label("Entreprise").select_option(label=enterprise)
    form.get_by_label("Nom").fill(name)
    form.get_by_label(sex, exact=True).check()
    form.get_by_label(role, exact=True).check()
    form.get_by_role("button", name="Ajouter et marquer présent").tap()


def test_trainer_marks_a_workshop_day_and_downloads_the_sign_in_sheet(tablet, trainer):
    page = tablet
    log_in(page, trainer)
    read_module_1_in_french(page)
    open_todays_attendance(page)
    expect_counts(page, total=0)
    tap_present(page, PRESENT)
    expect_counts(
        page,
        sex_female=10, sex_male=10, role_manager=2, role_supervisor=2, role_worker=16,
        female_manager=2, male_supervisor=2, female_worker=8, male_worker=8,
    )  # fmt: skip

    add_walk_in(page, WALK_IN, "Kumasi Works", "Femme", "Superviseur")
    expect(
        page.get_by_text(f"La personne {WALK_IN} a été ajoutée et marquée présente.")
    ).to_be_visible()
    expect(page.get_by_role("checkbox", name=WALK_IN)).to_be_checked()
    expect_counts(page, total=21, sex_female=11, role_supervisor=3, female_supervisor=1)

    with page.expect_download() as download:
        page.get_by_role("link", name="Feuille d'émargement (PDF)").tap()
    sheet = pdf_text(download.value)
    assert MODULE_1 in sheet
    for name in [*PRESENT, WALK_IN]:
        assert name in sheet


def test_a_module_guide_and_its_print_view_fit_a_phone_with_the_agenda_as_cards(phone, create_user):
    page = phone
    log_in(page, create_user("trainer"))
    page.get_by_text("Menu", exact=True).tap()
    page.get_by_label("Language of the pages").select_option(label="Français")
    page.get_by_role("button", name="Change the language").tap()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto("/modules/quality-management")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    first_cell = page.locator(".module-text table").first.locator("td").first
    expect(first_cell).to_have_text("08:30-09:00")
    # The agenda stacks: each cell is a line of its own, named by its column's heading.
    assert first_cell.evaluate("cell => getComputedStyle(cell).display") == "block"
    assert "Horaire" in first_cell.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto("/modules/quality-management/print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
