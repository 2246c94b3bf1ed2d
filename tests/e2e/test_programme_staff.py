"""Programme staff at a laptop: choose a country and download the results straight away (the
download follows the form, applied or not), filter the page by it, then import a measurement
file with one bad row and read the report of what is wrong, with nothing saved."""

from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import func, select

from score_app.extensions import db
from score_app.kpis.models import Measurement
from tests.e2e.conftest import log_in
from tests.programme.conftest import row, xlsx_bytes

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

FEBRUARY = {"phase": "follow_up", "start": "2025-02-01", "end": "2025-02-28"}


def n_shown(page: Page, indicator: str):
    """The n of an indicator's row in the results table."""
    name = page.get_by_role("rowheader", name=indicator)
    return page.get_by_role("row").filter(has=name).locator("td strong")


def download_results(page: Page, folder: Path) -> list[dict]:
    """Download the results as XLSX, save the file and read its rows."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Download XLSX").click()
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    header, *rows = load_workbook(path).active.iter_rows(values_only=True)
    return [dict(zip(header, values, strict=True)) for values in rows]


def upload(page: Page, path: Path) -> None:
    page.get_by_role("link", name="Import measurements").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_label("Measurement file (CSV, XLSX or ODS)").click()
    chooser.value.set_files(path)
    page.get_by_role("button", name="Check the file").click()


def measurement_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Measurement))


def test_staff_filter_by_country_export_the_results_and_read_why_an_import_is_refused(
    app, laptop, results_world, create_user, tmp_path
):
    page = laptop
    log_in(page, create_user("programme_staff", countries=["GH", "ZA"], full_name="Adjoa Staff"))
    page.get_by_role("link", name="Programme").click()
    expect(n_shown(page, "Defect rate")).to_have_text("4")
    page.get_by_label("Country").select_option(label="Ghana")
    results = download_results(page, tmp_path)  # before "Show": the file follows the form
    assert [(r["indicator"], r["n"]) for r in results] == [
        ("operating_efficiency", 2),
        ("defect_rate", 3),
    ]
    expect(n_shown(page, "Defect rate")).to_have_text("4")  # the page itself is as it was
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Country")).to_have_value("GH")
    expect(n_shown(page, "Defect rate")).to_have_text("3")
    expect(n_shown(page, "Operating efficiency")).to_have_text("2")

    ids = {n: enterprise.id for n, enterprise in results_world["enterprises"].items()}
    february = tmp_path / "february.xlsx"
    february.write_bytes(
        xlsx_bytes(
            [
                row(ids[1], **FEBRUARY, inputs=("20", "1000")),
                row(ids[2], **FEBRUARY, inputs=("1200", "1000")),
                row(ids[3], **FEBRUARY, inputs=("5", "500")),
            ]
        )
    )
    before = measurement_count(app)
    upload(page, february)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing can be saved yet: a file is saved whole or not at all.")
    expect(alert.get_by_role("listitem")).to_have_text(
        ["Row 3 has an error: correct it in your file."]
    )
    expect(page.locator(".import-counts li")).to_have_text(
        ["1 row has an error", "0 rows need a comment", "2 rows are ready"]
    )
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.locator("td")).to_have_text(
        ["3", "input_1", "Cannot be more than units inspected."]
    )
    expect(page.get_by_role("button", name="Save")).to_have_count(0)  # "Save 2 rows" neither
    assert measurement_count(app) == before


def test_staff_print_the_synthesis_of_the_country_chosen_from_its_job_page(
    laptop, results_world, create_user, tmp_path
):
    page = laptop
    log_in(page, create_user("programme_staff", countries=["GH", "ZA"], full_name="Adjoa Staff"))
    page.get_by_role("link", name="Programme").click()
    page.get_by_label("Country").select_option(label="Ghana")  # not applied with "Show"
    page.get_by_role("button", name="Synthesis report (PDF)").click()
    expect(page.get_by_role("heading", name="Synthesis report (PDF)")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith("programme-results-") and path.suffix == ".pdf"
    first_page = " ".join(PdfReader(path).pages[0].extract_text().split())
    assert "Country Ghana" in first_page
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("Country")).to_have_value("GH")
