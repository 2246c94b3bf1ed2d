"""Exports: the user's scope and consent, the filters, and files that open as they should."""

import csv
import io
from datetime import date

from openpyxl import load_workbook

from score_app.enterprises.models import Enterprise, JobRole, Person, Sex
from score_app.extensions import db
from score_app.plans.models import ImprovementPlan, PlanAction
from score_app.training.models import Attendance, Certificate, Workshop, WorkshopDay
from tests.programme.conftest import HEADER


def read_csv(response) -> list[dict]:
    text = response.get_data(True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_staff_export_only_consenting_enterprises_of_their_countries(programme_world):
    response = programme_world["clients"]["staff"].get("/programme/exports/measurements.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = read_csv(response)
    assert {row["enterprise"] for row in rows} == {"Accra Works"}
    assert [row["indicator"] for row in rows] == ["defect_rate", "ltifr"]
    ltifr = rows[1]
    assert ltifr["input_1_name"] == "lost_time_injuries"
    assert ltifr["input_2"] == "240000.5"
    assert ltifr["phase"] == "follow_up"
    assert ltifr["status"] == "submitted"
    assert ltifr["comment"] == "One fall"


def test_admin_export_has_every_enterprise_with_or_without_consent(programme_world):
    rows = read_csv(programme_world["clients"]["admin"].get("/programme/exports/measurements.csv"))
    assert {row["enterprise"] for row in rows} == {"Accra Works", "Tema Private", "Durban Denim"}


def test_filters_narrow_the_export(programme_world):
    client = programme_world["clients"]["admin"]
    by_country = read_csv(client.get("/programme/exports/measurements.csv?country=za"))
    assert {row["enterprise"] for row in by_country} == {"Durban Denim"}
    by_period = read_csv(client.get("/programme/exports/measurements.csv?from=2025-06-01"))
    assert [row["indicator"] for row in by_period] == ["ltifr"]


def test_bad_filters_go_back_to_the_page_that_explains_them(programme_world):
    client = programme_world["clients"]["staff"]
    response = client.get("/programme/exports/measurements.csv?from=2025-13-01")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 422
    assert "Enter a date as YYYY-MM-DD" in page.get_data(True)


def test_xlsx_export_has_a_frozen_header_widths_dates_and_numbers(programme_world):
    response = programme_world["clients"]["staff"].get("/programme/exports/measurements.xlsx")
    assert response.status_code == 200
    assert "score-measurements-" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 30
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["period_start"].date() == date(2025, 1, 1)
    assert first["input_1"] == 30 and first["input_2"] == 1000
    # Each row says where its enterprise is, so a sheet can be sorted and summed by it.
    assert (first["enterprise"], first["country"], first["sector"]) == (
        "Accra Works", "GH", "garments",
    )  # fmt: skip


def test_text_that_looks_like_a_formula_is_never_run(app, programme_world):
    accra = programme_world["enterprises"]["accra"]
    with app.app_context():
        plan = ImprovementPlan(
            enterprise_id=accra.id,
            title="=HYPERLINK(1)",
            started_on=date(2025, 2, 1),
            currency="GHS",
        )
        db.session.add(plan)
        db.session.commit()
    client = programme_world["clients"]["staff"]
    assert read_csv(client.get("/programme/exports/actions.csv"))[0]["plan"] == "'=HYPERLINK(1)"
    sheet = load_workbook(io.BytesIO(client.get("/programme/exports/actions.xlsx").data)).active
    cell = sheet["D2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")


def _training(private_id, accra_id, trainer_id):
    """Two days of Module 1 for Accra and the private enterprise; one certificate."""
    workshop = Workshop(module_slug="workplace-cooperation", trainer_id=trainer_id, place="Accra")
    days = [WorkshopDay(day_date=date(2025, 3, 10)), WorkshopDay(day_date=date(2025, 3, 11))]
    workshop.days = days
    ama = Person(enterprise_id=accra_id, full_name="Ama Mensah", sex=Sex.FEMALE,
                 job_role=JobRole.MANAGER, is_eit_member=True)  # fmt: skip
    kofi = Person(enterprise_id=private_id, full_name="Kofi Tetteh", sex=Sex.MALE,
                  job_role=JobRole.WORKER)  # fmt: skip
    db.session.add_all([workshop, ama, kofi])
    db.session.flush()
    db.session.add_all(
        [Attendance(workshop_day_id=d.id, person_id=ama.id) for d in days]
        + [Attendance(workshop_day_id=days[0].id, person_id=kofi.id)]
    )
    db.session.add(
        Certificate(
            code="CERT-1", workshop=workshop, person=ama, locale="en", participant_name="Ama",
            enterprise_name="Accra Works", trainer_name="T", module_slug=workshop.module_slug,
            start_date=days[0].day_date, end_date=days[1].day_date,
        )
    )  # fmt: skip
    db.session.commit()


def test_attendance_covers_enterprises_in_view_with_days_and_certificates(
    app, programme_world, create_user
):
    enterprises = programme_world["enterprises"]
    trainer = create_user("trainer", full_name="Kwame Trainer")
    with app.app_context():
        _training(enterprises["private"].id, enterprises["accra"].id, trainer.id)
    client = programme_world["clients"]["staff"]
    rows = read_csv(client.get("/programme/exports/attendance.csv"))
    found = [(r["person"], r["days_attended"], r["workshop_days"], r["certificate"]) for r in rows]
    assert found == [("Ama Mensah", "2", "2", "CERT-1"), ("Kofi Tetteh", "1", "2", "")]
    ama = rows[0]
    assert (ama["sex"], ama["job_role"], ama["eit_member"]) == ("female", "manager", "true")
    assert (ama["trainer"], ama["first_day"], ama["last_day"]) == (
        "Kwame Trainer", "2025-03-10", "2025-03-11",
    )  # fmt: skip
    assert read_csv(client.get("/programme/exports/attendance.csv?module=quality-management")) == []
    assert read_csv(client.get("/programme/exports/attendance.csv?to=2025-03-10")) == []


def test_plans_export_lists_actions_with_money_in_the_plan_currency(app, programme_world):
    accra = programme_world["enterprises"]["accra"]
    private = programme_world["enterprises"]["private"]
    with app.app_context():
        for enterprise in (accra, private):
            plan = ImprovementPlan(
                enterprise_id=enterprise.id, title="Plan 2025", started_on=date(2025, 2, 1),
                currency="GHS",
            )  # fmt: skip
            plan.actions = [
                PlanAction(problem="Dust", action="Sweep", responsible="Ama",
                           due_date=date(2025, 6, 1), estimated_cost_minor=120050,
                           indicator="defect_rate", target_value=1.5)
            ]  # fmt: skip
            db.session.add(plan)
        db.session.commit()
    client = programme_world["clients"]["staff"]
    rows = read_csv(client.get("/programme/exports/actions.csv"))
    assert len(rows) == 1
    action = rows[0]
    assert (action["enterprise"], action["action"], action["status"]) == (
        "Accra Works", "Sweep", "planned",
    )  # fmt: skip
    assert (action["currency"], action["estimated_cost"], action["realised_savings"]) == (
        "GHS", "1200.50", "",
    )  # fmt: skip
    assert read_csv(client.get("/programme/exports/actions.csv?to=2025-05-31")) == []
    sheet = load_workbook(io.BytesIO(client.get("/programme/exports/actions.xlsx").data)).active
    assert sheet["T2"].value == 1200.5


def test_export_page_offers_each_file_as_a_button_of_the_filters_form(programme_world):
    """The downloads send the filters form, so they take what it shows, applied or not."""
    page = programme_world["clients"]["staff"].get("/programme/exports?country=GH&cohort=A")
    assert page.status_code == 200
    text = page.get_data(True)
    assert '<form method="get" class="card" role="search" id="programme-filters"' in text
    for name in ("measurements", "attendance", "actions"):
        for fmt in ("csv", "xlsx"):
            assert f'form="programme-filters" formaction="/programme/exports/{name}.{fmt}"' in text
    # Staff see only their own countries among the choices.
    assert 'value="GH"' in text and 'value="ZA"' not in text


def test_cohorts_are_chosen_from_those_of_the_enterprises_in_view(app, programme_world):
    with app.app_context():
        accra, durban = (
            db.session.get(Enterprise, programme_world["enterprises"][key].id)
            for key in ("accra", "durban")
        )
        accra.cohort, durban.cohort = "GH-2025-A", "ZA-2025-B"
        db.session.commit()
    client = programme_world["clients"]["staff"]
    text = client.get("/programme?cohort=GH-2025-A").get_data(True)
    assert '<option selected value="GH-2025-A">GH-2025-A</option>' in text
    assert "ZA-2025-B" not in text  # Durban is outside this user's countries
    # A cohort asked for in the address that no enterprise has stays shown as chosen.
    text = client.get("/programme/exports?cohort=GH-2024").get_data(True)
    assert '<option selected value="GH-2024">GH-2024</option>' in text
