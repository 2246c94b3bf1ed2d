"""Importing measurements: preview, all-or-nothing saving, idempotent re-imports, scope and
consent, the verified lock, messages in the user's language, and the files it reads."""

import csv
import io
import os
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from score_app.auth.models import User
from score_app.extensions import db
from score_app.kpis.models import AuditAction, Measurement, MeasurementAudit, Phase, Status
from score_app.programme import imports
from score_app.programme.models import MeasurementImport
from tests.conftest import saved_meanwhile, sign_in
from tests.programme.conftest import (
    HEADER,
    add_measurement,
    check,
    counts,
    csv_bytes,
    problems,
    row,
    save,
    upload,
    warnings,
    xlsx_bytes,
)

FEBRUARY = {"start": "2025-02-01", "end": "2025-02-28"}


def measurement_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Measurement))


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MeasurementAudit))


def test_new_rows_are_previewed_then_saved_as_drafts_with_audit_rows(app, programme_world):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    before = measurement_count(app)
    page, token = check(
        client, csv_bytes([row(accra, **FEBRUARY), row(accra, inputs=("30", "1000"))])
    )
    assert counts(page) == {
        "errors": 0, "uncommented": 0, "ready": 2, "New": 1, "Changed": 0, "Unchanged": 1
    }  # fmt: skip
    assert "Save 1 row" in page
    assert measurement_count(app) == before, "the preview saves nothing"
    saved = save(client, token)
    assert "Saved: 1 new measurement, 0 changed, 1 unchanged." in saved
    with app.app_context():
        new = db.session.scalar(
            select(Measurement).where(Measurement.period_start == date(2025, 2, 1))
        )
        # Imported figures are drafts: they enter programme results once submitted.
        assert (new.status, new.value, new.input_1, new.is_latest) == (Status.DRAFT, 3.0, 30, False)
        old = db.session.scalar(
            select(Measurement).where(
                Measurement.period_start == date(2025, 1, 1), Measurement.enterprise_id == accra
            )
        )
        assert old.is_latest is True, "the submitted baseline still counts"
        audit = db.session.scalar(
            select(MeasurementAudit).where(MeasurementAudit.measurement_id == new.id)
        )
        assert audit.action == AuditAction.CREATE
        assert audit.reason == "Imported from figures.csv, row 2."
        stored = db.session.scalar(
            select(MeasurementImport).where(MeasurementImport.token == token)
        )
        assert (stored.created_count, stored.unchanged_count) == (1, 1)
    assert not (Path(app.config["SCORE_IMPORT_DIR"]) / f"{token}.csv").exists()
    assert "Saved on" in client.get(f"/programme/imports/{token}").get_data(True)


def test_export_then_import_the_same_file_changes_nothing(app, programme_world):
    client = programme_world["clients"]["staff"]
    for fmt in ("csv", "xlsx"):
        exported = client.get(f"/programme/exports/measurements.{fmt}").data
        page, _token = check(client, exported, f"export.{fmt}")
        assert counts(page) == {
            "errors": 0, "uncommented": 0, "ready": 2, "New": 0, "Changed": 0, "Unchanged": 2
        }  # fmt: skip
        assert "Nothing to save" in page


def test_re_importing_a_saved_file_creates_no_duplicates(app, programme_world):
    client = programme_world["clients"]["admin"]
    enterprises = programme_world["enterprises"]
    rows = [row(enterprises[key].id, **FEBRUARY) for key in ("accra", "kumasi", "durban")]
    _page, token = check(client, xlsx_bytes(rows), "figures.xlsx")
    folder = Path(app.config["SCORE_IMPORT_DIR"])
    assert (folder / f"{token}.rows.csv").exists(), "the save reads a numbered copy"
    save(client, token)
    assert not list(folder.glob(f"{token}*"))
    measurements, audits = measurement_count(app), audit_count(app)
    page, token = check(client, xlsx_bytes(rows), "figures.xlsx")
    assert counts(page)["Unchanged"] == 3 and counts(page)["New"] == 0
    assert (measurement_count(app), audit_count(app)) == (measurements, audits)


def test_changed_inputs_update_the_measurement_like_an_edit(app, programme_world):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    page, token = check(client, csv_bytes([row(accra, inputs=("20", "1000"), comment="Recounted")]))
    assert counts(page)["Changed"] == 1
    save(client, token)
    with app.app_context():
        measurement = db.session.scalar(
            select(Measurement).where(
                Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate"
            )
        )
        assert (measurement.input_1, measurement.value, measurement.status) == (
            20,
            2.0,
            Status.DRAFT,
        )
        assert measurement.comment == "Recounted"
        edit = db.session.scalar(
            select(MeasurementAudit).where(MeasurementAudit.action == AuditAction.EDIT)
        )
        assert edit.old_inputs == {"defective_units": 30, "inspected_units": 1000}
        assert edit.old_status == "submitted" and edit.new_status == "draft"


def test_a_verified_measurement_is_not_changed_by_an_import(app, programme_world):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id
    with app.app_context():
        add_measurement(kumasi, status=Status.VERIFIED)
    page, _token = check(client, csv_bytes([row(kumasi, inputs=("29", "1000"))]))
    assert problems(page) == [
        (2, "status", "A verified measurement is locked; programme staff can reopen it.")
    ]
    # Unchanged, it is fine.
    page, _token = check(client, csv_bytes([row(kumasi)]))
    assert counts(page)["Unchanged"] == 1 and not problems(page)


BAD_ROWS = [
    row(None, **FEBRUARY),  # 2: no enterprise
    row("{accra}", indicator="speed", **FEBRUARY),  # 3: unknown indicator
    row("{accra}", phase="during", start="1st Feb 2025", end="2025-02-28"),  # 4: phase, date
    row("{accra}", names=("defective_units", "hours_worked"), **FEBRUARY),  # 5: wrong input name
    row("{accra}", inputs=("1,5", "1000"), **FEBRUARY),  # 6: no number in English
    row("{accra}", inputs=("50", "40"), **FEBRUARY),  # 7: more defective than inspected
    row("{accra}", start="2025-03-01", end="2099-03-31"),  # 8: ends in the future
    row("{accra}", indicator="operating_efficiency", names=("minutes_produced", "minutes_attended"),
        inputs=("2000", "1000"), **FEBRUARY),  # 9: implausible without a comment
    row("{durban}", **FEBRUARY),  # 10: outside the staff's countries
    row("{private}", **FEBRUARY),  # 11: no consent
    row("{accra}", **FEBRUARY),  # 12: fine
    row("{accra}", **FEBRUARY),  # 13: repeats row 12
]  # fmt: skip


def _fill(rows, enterprises):
    ids = {key: str(enterprise.id) for key, enterprise in enterprises.items()}
    return [[cell.format(**ids) if isinstance(cell, str) else cell for cell in r] for r in rows]


def test_every_bad_row_is_listed_with_row_column_and_message_and_nothing_is_saved(
    app, programme_world
):
    client = programme_world["clients"]["staff"]
    enterprises = programme_world["enterprises"]
    before = measurement_count(app)
    page, token = check(client, csv_bytes(_fill(BAD_ROWS, enterprises)))
    found = problems(page)
    assert [(number, column) for number, column, _message in found] == [
        (2, "enterprise_id"),
        (3, "indicator"),
        (4, "phase"),
        (4, "period_start"),
        (5, "input_2_name"),
        (6, "input_1"),
        (7, "input_1"),
        (8, "period_end"),
        (10, "enterprise_id"),
        (11, "enterprise_id"),
        (13, "period_start"),
    ]
    messages = dict(((n, c), m) for n, c, m in found)
    assert messages[(5, "input_2_name")] == (
        "defect_rate has the inputs defective_units and inspected_units."
    )
    assert messages[(6, "input_1")] == "Write a number, for example 1250.5."
    assert messages[(7, "input_1")] == "Cannot be more than units inspected."
    assert messages[(8, "period_end")] == "The period cannot end in the future."
    assert warnings(page) == [
        (9, "comment", "Operating efficiency above 150 is unusual: check the "
         "inputs. Write why in the comment column of the file.", "needs_comment")
    ]  # fmt: skip
    assert messages[(10, "enterprise_id")] == (
        f"There is no enterprise {enterprises['durban'].id} among those you can reach."
    )
    assert "has not agreed to share its figures" in messages[(11, "enterprise_id")]
    assert messages[(13, "period_start")] == (
        "Row 12 already has this enterprise, indicator, phase and period."
    )
    assert counts(page) == {
        "errors": 10, "uncommented": 1, "ready": 1, "New": 1, "Changed": 0, "Unchanged": 0
    }  # fmt: skip
    assert "Nothing can be saved yet: a file is saved whole or not at all." in page
    assert "Rows 2, 3, 4, 5, 6, 7, 8, 10, 11, and 13 have an error" in page
    assert "Row 9 needs a comment: say why in its <code>comment</code> column." in page
    assert "programme/imports/" + token + "/save" not in page, "no Save with bad rows"
    saved = save(client, token)  # forced: it checks again and still saves nothing
    assert "Nothing was saved" in saved
    assert measurement_count(app) == before


def test_a_bad_row_found_while_saving_rolls_back_every_row_before_it(app, programme_world):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    good = [row(accra, start=f"2024-{m:02d}-01", end=f"2024-{m:02d}-28") for m in range(1, 13)]
    _page, token = check(client, csv_bytes(good))
    with app.app_context():  # someone verifies a figure the file changes, after the preview
        add_measurement(accra, period=(date(2024, 12, 1), date(2024, 12, 28)), inputs=(1, 10),
                        status=Status.VERIFIED)  # fmt: skip
    before = measurement_count(app)
    saved = save(client, token)
    assert problems(saved) == [
        (13, "status", "A verified measurement is locked; programme staff can reopen it.")
    ]
    assert measurement_count(app) == before


def test_messages_are_in_the_user_language(programme_world):
    client = programme_world["clients"]["staff_fr"]
    accra = programme_world["enterprises"]["accra"].id
    page, _token = check(client, csv_bytes([row(accra, inputs=("50", "40"), **FEBRUARY)]))
    assert problems(page)[0][:2] == (2, "input_1")
    assert "Ne peut pas" in problems(page)[0][2]
    assert '<html lang="fr">' in page


def test_semicolons_no_bom_and_xlsx_dates_are_read(app, programme_world):
    client = programme_world["clients"]["admin"]
    durban = programme_world["enterprises"]["durban"].id
    page, _token = check(client, csv_bytes([row(durban, **FEBRUARY)], delimiter=";", bom=False))
    assert counts(page)["New"] == 1 and not problems(page)
    cells = row(durban, **FEBRUARY)
    columns = {name: n for n, name in enumerate(HEADER)}
    cells[columns["period_start"]] = date(2025, 2, 1)
    cells[columns["period_end"]] = date(2025, 2, 28)
    cells[columns["input_1"]], cells[columns["input_2"]] = 30, 1000.0
    page, _token = check(client, xlsx_bytes([cells]), "figures.xlsx")
    assert counts(page)["New"] == 1 and not problems(page)


def test_wrong_unreadable_or_incomplete_files_are_refused_on_the_form(programme_world):
    client = programme_world["clients"]["staff"]
    cases = [
        (b"%PDF-1.4", "figures.pdf", "Upload a CSV, XLSX or ODS file"),
        (b"not a zip", "figures.xlsx", "content is not XLSX"),
        (b"PK\x03\x04broken", "figures.xlsx", "content is not XLSX"),
        (xlsx_bytes([]), "figures.csv", "content is not CSV"),
        ("enterprise_id;indicator\n".encode("utf-16"), "figures.csv", "not UTF-8"),
        (csv_bytes([], header=HEADER[:5]), "figures.csv", "input_1_name, input_1"),
    ]
    for data, name, message in cases:
        response = upload(client, data, name)
        assert response.status_code == 422, name
        assert message in response.get_data(True), name
    assert "Choose a CSV, XLSX or ODS file." in client.post("/programme/imports").get_data(True)


def test_a_file_over_the_size_limit_is_refused(app, programme_world):
    app.config["SCORE_MAX_IMPORT_MB"] = 1
    big = csv_bytes([row(1, comment="x" * 1000)] * 1100)
    response = upload(programme_world["clients"]["staff"], big)
    assert response.status_code == 422
    assert "larger than 1 MB" in response.get_data(True)
    assert not any(Path(app.config["SCORE_IMPORT_DIR"]).iterdir())


def test_an_upload_belongs_to_the_user_who_sent_it(app, programme_world, create_user):
    accra = programme_world["enterprises"]["accra"].id
    _page, token = check(programme_world["clients"]["staff"], csv_bytes([row(accra, **FEBRUARY)]))
    colleague = sign_in(app.test_client(), create_user("programme_staff", countries=["GH"]))
    assert colleague.get(f"/programme/imports/{token}").status_code == 404
    assert colleague.post(f"/programme/imports/{token}/save").status_code == 404
    assert colleague.get("/programme/imports/not-a-token").status_code == 404


def test_uploads_left_unsaved_for_a_day_are_discarded(app, programme_world):
    client = programme_world["clients"]["staff"]
    page, token = check(client, csv_bytes([]))
    assert "The file has no rows to import." in page
    with app.app_context():
        stored = db.session.scalar(
            select(MeasurementImport).where(MeasurementImport.token == token)
        )
        stored.uploaded_at = date(2020, 1, 1)
        db.session.commit()
    check(client, csv_bytes([]))
    assert client.get(f"/programme/imports/{token}").status_code == 404
    assert not (Path(app.config["SCORE_IMPORT_DIR"]) / f"{token}.csv").exists()


def test_templates_have_the_header_and_example_rows_and_the_xlsx_lists_the_enterprises(
    programme_world,
):
    client = programme_world["clients"]["staff"]
    rows = list(csv.DictReader(io.StringIO(client.get("/programme/imports/template.csv").text)))
    assert [(r["enterprise"], r["phase"], r["period_start"]) for r in rows] == [
        ("Example Garments Ltd", "baseline", "2025-01-01"),
        ("Example Garments Ltd", "follow_up", "2025-07-01"),
    ]
    assert list(rows[0]) == ["\ufeff" + HEADER[0], *HEADER[1:]]
    assert (rows[0]["input_1_name"], rows[0]["input_1"], rows[0]["value"]) == (
        "defective_units", "42", "3.5",
    )  # fmt: skip
    response = client.get("/programme/imports/template.xlsx")
    assert "measurements-template" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["measurements", "enterprises"]
    sheet = workbook["measurements"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 3
    # The enterprises this staff member may import into: Ghana's, with consent.
    listed = [row[:3] for row in workbook["enterprises"].iter_rows(min_row=2, values_only=True)]
    enterprises = programme_world["enterprises"]
    assert listed == [
        (enterprises["accra"].id, "Accra Works", "GH"),
        (enterprises["kumasi"].id, "Kumasi Kente", "GH"),
    ]
    listed = client.get("/programme/imports/enterprises.csv").text.splitlines()
    assert [line.split(",")[1] for line in listed[1:]] == ["Accra Works", "Kumasi Kente"]


def test_the_template_s_example_rows_are_refused_until_replaced(programme_world):
    client = programme_world["clients"]["staff"]
    template = client.get("/programme/imports/template.csv").data
    page, _token = check(client, template)
    assert problems(page) == [
        (2, "enterprise", "This is an example row of the template: delete it."),
        (3, "enterprise", "This is an example row of the template: delete it."),
    ]


def test_import_page_explains_the_columns(programme_world):
    page = programme_world["clients"]["staff"].get("/programme/imports").get_data(True)
    assert "or as your language writes them" in page
    assert 'accept=".csv,.xlsx,.ods,text/csv,application/vnd.openxmlformats' in page
    assert "<code>minutes_attended</code>" in page
    assert "Up to 10 MB and 20,000 rows" in page


def test_a_baseline_in_the_file_is_the_one_its_follow_ups_are_compared_with(app, programme_world):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id
    efficiency = {
        "indicator": "operating_efficiency",
        "names": ("minutes_produced", "minutes_attended"),
    }
    rows = [
        row(kumasi, **efficiency, inputs=("300", "1000")),
        row(kumasi, **efficiency, phase="follow_up", start="2025-07-01", end="2025-07-31",
            inputs=("900", "1000")),
    ]  # fmt: skip
    page, _token = check(client, csv_bytes(rows))
    assert not problems(page)
    assert [(n, column, kind) for n, column, _message, kind in warnings(page)] == [
        (3, "comment", "needs_comment")
    ]
    assert "differs from the baseline by more than half" in warnings(page)[0][2]
    rows[1][-1] = "New machines"
    page, token = check(client, csv_bytes(rows))
    assert counts(page)["New"] == 2 and not problems(page)
    assert [kind for *_found, kind in warnings(page)] == ["explained"]
    save(client, token)
    with app.app_context():
        follow_up = db.session.scalar(
            select(Measurement).where(
                Measurement.phase == Phase.FOLLOW_UP, Measurement.enterprise_id == kumasi
            )
        )
        assert follow_up.warnings


def test_a_second_save_of_the_same_upload_finds_it_saved(app, programme_world):
    """A double click: the second request's view saw the file unsaved, the first then saved."""
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    _page, token = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    with app.test_request_context():
        stored = db.session.scalar(
            select(MeasurementImport).where(MeasurementImport.token == token)
        )
        user = db.session.get(User, stored.user_id)
        first = imports.MeasurementFile(
            user, stored, Path(app.config["SCORE_IMPORT_DIR"]), save=True, max_rows=100
        )
        second = imports.MeasurementFile(
            user, stored, Path(app.config["SCORE_IMPORT_DIR"]), save=True, max_rows=100
        )
        list(first.run())
        list(second.run())
        assert first.report.saved and first.report.new == 1
        assert second.report.saved_before and not second.report.saved
    assert measurement_count(app) == 5


@pytest.mark.committing
@pytest.mark.skipif(
    not os.environ.get("SCORE_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="on SQLite the save's first write locks the database, so no other save can come "
    "between its reading a figure and changing it; the PostgreSQL run covers this",
)
def test_a_figure_saved_by_someone_else_during_the_save_stops_it_whole(app, programme_world):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    _page, token = check(client, csv_bytes([row(accra, inputs=("20", "1000")),
                                            row(accra, **FEBRUARY)]))  # fmt: skip
    with app.app_context():
        stored_id = db.session.scalar(
            select(Measurement.id).where(Measurement.enterprise_id == accra)
        )
    before = (measurement_count(app), audit_count(app))
    theirs = (
        update(Measurement)
        .where(Measurement.id == stored_id)
        .values(input_1=25, value=2.5, version=Measurement.version + 1)
    )
    with saved_meanwhile(theirs, when=lambda session: any(
        isinstance(obj, Measurement) for obj in session.dirty
    )):  # fmt: skip
        page = save(client, token)
    assert "someone changed some of these figures while the file was being saved" in page
    assert (measurement_count(app), audit_count(app)) == before  # nothing, not even the new row
    with app.app_context():
        assert db.session.get(Measurement, stored_id).value == 2.5  # their save stands
        assert (
            db.session.scalar(
                select(MeasurementImport.saved_at).where(MeasurementImport.token == token)
            )
            is None
        )  # the file can be checked and saved again


CHANGED_MEANWHILE = "someone changed some of these figures while the file was being saved"


@pytest.mark.parametrize("meanwhile", ["edited", "entered"])
def test_figures_saved_after_the_preview_are_not_overwritten(app, programme_world, meanwhile):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    if meanwhile == "edited":  # the file changes a stored figure; someone edits it meanwhile
        rows = [row(accra, inputs=("20", "1000"))]
    else:  # the file's February row is new at the preview; someone enters February meanwhile
        rows = [row(accra, **FEBRUARY)]
    _page, token = check(client, csv_bytes(rows))
    with app.app_context():
        if meanwhile == "edited":
            db.session.execute(
                update(Measurement)
                .where(Measurement.enterprise_id == accra)
                .values(input_1=25, value=2.5, version=Measurement.version + 1)
            )
            db.session.commit()
        else:
            add_measurement(accra, period=(date(2025, 2, 1), date(2025, 2, 28)), inputs=(10, 1000))
    before = (measurement_count(app), audit_count(app))

    refused = save(client, token)
    assert CHANGED_MEANWHILE in refused and "Check the file again" in refused
    assert (measurement_count(app), audit_count(app)) == before  # their figure stands alone

    page = client.get(f"/programme/imports/{token}", follow_redirects=True).get_data(True)
    assert counts(page)["Changed"] == 1  # the new preview compares the file with their figure
    assert "Saved:" in save(client, token)


# Cycles, and each row's own errors and warnings (the six-row file that came back as "6 rows
# have problems" and could not be saved).

ABSENTEEISM = {
    "indicator": "absenteeism_rate",
    "names": ("absent_person_days", "scheduled_person_days"),
}
OSH = {"indicator": "osh_incidents", "names": ("accidents", "near_misses")}
NEEDS_A_COMMENT = " Write why in the comment column of the file."
DIFFERS = "This differs from the baseline by more than half."


def month(enterprise_id, number, first, second="1000", phase="follow_up", **fields) -> list:
    """A row over one month of 2025."""
    ends = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}
    return row(enterprise_id, phase=phase, start=f"2025-{number:02d}-01",
               end=f"2025-{number:02d}-{ends.get(number, 31)}", inputs=(first, second),
               **fields)  # fmt: skip


def kinds(page: str) -> list[tuple[int, str, str]]:
    return [(number, column, kind) for number, column, _message, kind in warnings(page)]


def test_one_bad_date_among_monthly_rates_is_one_row_with_an_error_and_five_ready(
    app, programme_world
):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id
    rows = [
        month(kumasi, 2, "40", phase="baseline", **ABSENTEEISM),  # 28 days
        month(kumasi, 3, "42", **ABSENTEEISM),  # 31 days against 28: a rate, nothing to say
        month(kumasi, 4, "38", **ABSENTEEISM),
        month(kumasi, 5, "35", **ABSENTEEISM),
        month(kumasi, 6, "33", **ABSENTEEISM),
        row(
            kumasi,
            **ABSENTEEISM,
            phase="follow_up",
            start="2025-07-01",
            end="2025-07-32",
            inputs=("30", "1000"),
        ),
    ]
    before = measurement_count(app)
    page, token = check(client, csv_bytes(rows))
    assert problems(page) == [
        (7, "period_end", "Enter a date as YYYY-MM-DD, for example 2025-01-31.")
    ]
    assert warnings(page) == []
    assert counts(page) == {
        "errors": 1, "uncommented": 0, "ready": 5, "New": 5, "Changed": 0, "Unchanged": 0
    }  # fmt: skip
    assert "1 row has an error" in page and "5 rows are ready" in page
    assert "Row 7 has an error: correct it in your file." in page
    assert f"/programme/imports/{token}/save" not in page
    assert "Nothing was saved" in save(client, token)
    assert measurement_count(app) == before


def test_a_warning_without_a_comment_holds_the_file_back_until_the_comment_column_explains_it(
    app, programme_world
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id  # defect rate 3.0 % in January
    rows = [month(accra, 2, "29"), month(accra, 3, "10"), month(accra, 4, "31")]
    before = measurement_count(app)
    page, token = check(client, csv_bytes(rows))
    assert problems(page) == []
    assert warnings(page) == [(3, "comment", DIFFERS + NEEDS_A_COMMENT, "needs_comment")]
    assert counts(page) == {
        "errors": 0, "uncommented": 1, "ready": 2, "New": 2, "Changed": 0, "Unchanged": 0
    }  # fmt: skip
    assert "Row 3 needs a comment: say why in its <code>comment</code> column." in page
    assert f"/programme/imports/{token}/save" not in page, "the file is saved whole or not at all"
    assert "Nothing was saved" in save(client, token)
    assert measurement_count(app) == before

    rows[1][-1] = "A new inspection table"
    page, token = check(client, csv_bytes(rows))
    assert warnings(page) == [(3, "comment", DIFFERS, "explained")]  # still shown, for information
    assert counts(page)["errors"] == counts(page)["uncommented"] == 0
    assert counts(page)["ready"] == 3 and "Save 3 rows" in page
    assert "Saved: 3 new measurements, 0 changed, 0 unchanged." in save(client, token)
    assert measurement_count(app) == before + 3


def test_a_follow_up_before_the_indicators_first_stored_baseline_is_an_error_on_its_first_day(
    programme_world,
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id  # baseline: January 2025
    december = row(accra, phase="follow_up", start="2024-12-01", end="2024-12-31")
    page, _token = check(client, csv_bytes([december, month(accra, 2, "29")]))
    assert problems(page) == [
        (2, "period_start",
         "A follow-up must start after the indicator's first baseline, which ends on Jan 31, 2025.")
    ]  # fmt: skip
    assert counts(page)["ready"] == 1


def test_a_baseline_row_below_its_follow_ups_in_the_file_starts_their_cycle(app, programme_world):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id  # no figures yet
    rows = [month(kumasi, 4, "31"), month(kumasi, 1, "30", phase="baseline")]
    page, _token = check(client, csv_bytes(rows))
    assert (problems(page), warnings(page)) == ([], [])
    assert counts(page)["ready"] == 2

    # The follow-up is compared with that baseline, wherever its row is.
    rows[0] = month(kumasi, 4, "90")
    page, _token = check(client, csv_bytes(rows))
    assert kinds(page) == [(2, "comment", "needs_comment")]

    # A baseline row with a wrong figure still starts the cycle: one mistake, one message.
    rows = [month(kumasi, 4, "31"), month(kumasi, 1, "30", "abc", phase="baseline")]
    page, _token = check(client, csv_bytes(rows))
    assert [(number, column) for number, column, _message in problems(page)] == [(3, "input_2")]
    assert warnings(page) == []

    rows = [month(kumasi, 4, "31"), month(kumasi, 1, "30", phase="baseline")]
    page, token = check(client, csv_bytes(rows))
    assert "Saved: 2 new" in save(client, token)


def test_a_follow_up_is_compared_with_the_baseline_of_its_cycle_not_a_later_one(
    app, programme_world
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id  # January baseline: 3.0 %
    with app.app_context():  # a second module's baseline: 1.0 %
        add_measurement(accra, period=(date(2025, 11, 1), date(2025, 11, 30)), inputs=(10, 1000))
    rows = [month(accra, 4, "29"), month(accra, 12, "29")]  # 2.9 % in April and in December
    page, _token = check(client, csv_bytes(rows))
    # April belongs to January's cycle (2.9 against 3.0); December to November's (2.9 against 1.0).
    assert kinds(page) == [(3, "comment", "needs_comment")]
    assert counts(page)["ready"] == 1


def test_a_count_over_a_quarter_against_a_monthly_baseline_is_warned_and_a_rate_is_not(
    programme_world,
):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id
    quarter = {"phase": "follow_up", "start": "2025-04-01", "end": "2025-06-30"}
    rows = [
        month(kumasi, 1, "2", "5", phase="baseline", **OSH),
        row(kumasi, **OSH, **quarter, inputs=("6", "15")),  # 2 a month, as in January
        month(kumasi, 1, "40", phase="baseline", **ABSENTEEISM),
        row(kumasi, **ABSENTEEISM, **quarter, inputs=("120", "3000")),
    ]
    page, _token = check(client, csv_bytes(rows))
    assert warnings(page) == [
        (3, "comment",
         "Periods of very different lengths are hard to compare, even per 30 days: 91 days here, "
         "31 days at baseline." + NEEDS_A_COMMENT, "needs_comment")
    ]  # fmt: skip
    assert counts(page)["ready"] == 3


def test_the_page_lists_a_limited_number_of_problems_and_counts_every_row(
    programme_world, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_LISTED", 3)
    monkeypatch.setattr(imports, "MAX_NAMED_ROWS", 2)
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    bad = [month(accra, number, "50", "40") for number in range(2, 7)]  # rows 2 to 6
    page, _token = check(client, csv_bytes(bad))
    assert [number for number, _column, _message in problems(page)] == [2, 3, 4]
    assert counts(page)["errors"] == 5
    assert "2 more errors are not listed here." in page
    assert "Rows 2, 3, and 3 others have an error" in page


def test_half_days_of_absence_are_imported_and_quarter_days_refused(app, programme_world):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id
    rows = [
        month(kumasi, 2, "12.5", "500.5", phase="baseline", **ABSENTEEISM),
        month(kumasi, 3, "12.25", "500", **ABSENTEEISM),
    ]
    page, _token = check(client, csv_bytes(rows))
    assert problems(page) == [(3, "input_1", "Enter whole or half days, like 12 or 12.5.")]
    page, token = check(client, csv_bytes(rows[:1]))
    assert problems(page) == []
    assert "Saved:" in save(client, token)
    with app.app_context():
        stored = db.session.scalars(select(Measurement).filter_by(enterprise_id=kumasi)).one()
        assert (stored.input_1, stored.input_2) == (12.5, 500.5)
