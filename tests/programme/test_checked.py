"""A save after its check: it writes what the check found without checking the rows again, the
rows and audit trail a single entry would write, unless something the check rested on changed
meanwhile (the file, the language, a figure or the headcount of one of its enterprises, the
user's reach), in which case it checks the file again and answers as that check does."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update

from score_app.auth.models import User
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.jobs import queue
from score_app.kpis import services as kpis
from score_app.kpis.models import AuditAction, Measurement, MeasurementAudit, Phase, Status
from score_app.programme import checked as checked_file
from score_app.programme import imports
from score_app.programme.models import MeasurementImport
from tests.programme.conftest import (
    add_measurement,
    check,
    counts,
    csv_bytes,
    problems,
    row,
    save,
    warnings,
)

FEBRUARY = {"start": "2025-02-01", "end": "2025-02-28"}
EFFICIENCY = {
    "indicator": "operating_efficiency",
    "names": ("minutes_produced", "minutes_attended"),
}
LTIFR = {"indicator": "ltifr", "names": ("lost_time_injuries", "hours_worked")}
DIFFERS = "This differs from the baseline by more than half."
CHANGED_MEANWHILE = "someone changed some of these figures while the file was being saved"


def _folder(app) -> Path:
    return Path(app.config["SCORE_IMPORT_DIR"])


def _checked_file(app, token: str) -> Path:
    return _folder(app) / f"{token}.checked.jsonl"


@pytest.fixture
def counted(monkeypatch):
    """The rows each pass checks (first pass and second), by row number."""
    seen = {"read": [], "checked": []}
    note, check_row = imports.MeasurementFile._note_baseline, imports.MeasurementFile._check_row

    def noting(self, number, cells):
        seen["read"].append(number)
        note(self, number, cells)

    def checking(self, number, cells):
        seen["checked"].append(number)
        check_row(self, number, cells)

    monkeypatch.setattr(imports.MeasurementFile, "_note_baseline", noting)
    monkeypatch.setattr(imports.MeasurementFile, "_check_row", checking)
    return seen


def _checked(client, rows, counted) -> str:
    """Check a file; its token, with the count of checked rows set back to none."""
    _page, token = check(client, csv_bytes(rows))
    counted["read"].clear()
    counted["checked"].clear()
    return token


def _rows_of(table: str, where: str, **values) -> list[dict]:
    """Rows as the database stores them (JSON as its text), without what differs by nature."""
    found = db.session.execute(text(f"SELECT * FROM {table} WHERE {where} ORDER BY id"), values)
    skip = {"id", "measurement_id", "enterprise_id", "created_at", "updated_at", "at", "reason"}
    return [{k: v for k, v in r._mapping.items() if k not in skip} for r in found]


def test_a_save_after_its_check_writes_its_rows_without_checking_them_again(
    app, programme_world, counted
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id  # January: defect rate 3.0 %, submitted
    rows = [
        row(accra, **FEBRUARY, inputs=("29", "1000")),  # new
        row(accra, inputs=("20", "1000"), comment="Recounted"),  # changes January
        row(accra, **EFFICIENCY, inputs=("2000", "1000"), comment="Overtime paid as attended"),
    ]
    token = _checked(client, rows, counted)
    assert _checked_file(app, token).exists()

    page = save(client, token)
    assert "Saved: 2 new measurements, 1 changed, 0 unchanged." in page
    assert counted == {"read": [], "checked": []}, "the save wrote what the check found"
    assert warnings(page) == [
        (4, "comment", "Operating efficiency above 150 is unusual: check the inputs.", "explained")
    ]
    user_id = programme_world["users"]["staff"].id
    with app.app_context():
        figures = {
            (m.indicator, m.period_start.month): m
            for m in db.session.scalars(
                select(Measurement).where(Measurement.enterprise_id == accra)
            )
        }
        february, january = figures[("defect_rate", 2)], figures[("defect_rate", 1)]
        efficiency = figures[("operating_efficiency", 1)]
        assert (february.input_1, february.input_2, february.status) == (29, 1000, Status.DRAFT)
        assert february.value == pytest.approx(2.9)
        assert (february.phase, february.comment, february.warnings) == (Phase.BASELINE, "", [])
        assert (february.entered_by_id, february.version, february.is_latest) == (user_id, 1, False)
        assert (efficiency.value, efficiency.comment) == (200.0, "Overtime paid as attended")
        assert efficiency.warnings == [{"code": "above_max", "indicator": "operating_efficiency"}]
        assert (january.input_1, january.value, january.status, january.version) == (
            20, 2.0, Status.DRAFT, 2
        )  # fmt: skip
        assert (january.comment, january.entered_by_id) == ("Recounted", user_id)
        audits = {
            a.measurement_id: a
            for a in db.session.scalars(
                select(MeasurementAudit).where(MeasurementAudit.enterprise_id == accra)
            )
        }
        created = audits[february.id]
        assert (created.action, created.user_id, created.reason) == (
            AuditAction.CREATE, user_id, "Imported from figures.csv, row 2."
        )  # fmt: skip
        assert (created.old_inputs, created.old_value, created.old_status) == (None, None, None)
        assert created.new_inputs == {"defective_units": 29, "inspected_units": 1000}
        assert (created.new_value, created.new_status) == (february.value, "draft")
        assert created.at is not None
        assert audits[efficiency.id].new_inputs == {
            "minutes_produced": 2000, "minutes_attended": 1000
        }  # fmt: skip
        assert audits[efficiency.id].reason == "Imported from figures.csv, row 4."
        edited = audits[january.id]
        assert (edited.action, edited.user_id, edited.reason) == (
            AuditAction.EDIT, user_id, "Imported from figures.csv, row 3."
        )  # fmt: skip
        assert edited.old_inputs == {"defective_units": 30, "inspected_units": 1000}
        assert (edited.old_value, edited.old_status) == (3.0, "submitted")
        assert edited.new_inputs == {"defective_units": 20, "inspected_units": 1000}
        assert (edited.new_value, edited.new_status) == (2.0, "draft")
        assert db.session.get(Measurement, figures[("ltifr", 7)].id).is_latest is True


def test_imported_figures_and_audit_rows_are_those_of_a_single_entry_stored_alike(
    app, programme_world, create_enterprise, counted
):
    client = programme_world["clients"]["staff"]
    entered, imported = create_enterprise(), create_enterprise()
    staff = programme_world["users"]["staff"]
    with app.app_context():
        kpis.record_measurement(
            db.session.get(User, staff.id), db.session.get(Enterprise, entered.id),
            indicator="operating_efficiency", phase="baseline", period_start=date(2025, 1, 1),
            period_end=date(2025, 1, 31), inputs={"minutes_produced": "1600.5",
            "minutes_attended": "1000"}, comment="  Overtime paid as attended ",
        )  # fmt: skip
    token = _checked(
        client,
        [row(imported.id, **EFFICIENCY, inputs=("1600.5", "1000"),
             comment="Overtime paid as attended")],
        counted,
    )  # fmt: skip
    assert "Saved: 1 new" in save(client, token)
    assert counted["checked"] == []
    with app.app_context():
        stored = [
            _rows_of(table, "enterprise_id = :id", id=enterprise.id)
            for enterprise in (entered, imported)
            for table in ("measurements", "measurement_audit")
        ]
    assert stored[0] and stored[1]
    assert stored[2:] == stored[:2]


@pytest.mark.parametrize("removed", [False, True], ids=["checked-file", "no-checked-file"])
def test_a_save_writes_the_same_with_and_without_its_checked_file(
    app, programme_world, create_enterprise, counted, removed
):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id
    rows = [
        row(kumasi, **EFFICIENCY, phase="follow_up", start="2025-04-01", end="2025-04-30",
            inputs=("900", "1000"), comment="New machines"),
        row(kumasi, **EFFICIENCY, inputs=("300", "1000")),
        row(kumasi, **LTIFR, inputs=("1", "25000")),
    ]  # fmt: skip
    token = _checked(client, rows, counted)
    if removed:
        _checked_file(app, token).unlink()
    page = save(client, token)
    assert "Saved: 3 new measurements, 0 changed, 0 unchanged." in page
    assert warnings(page) == [(2, "comment", DIFFERS, "explained")]
    assert bool(counted["checked"]) is removed
    with app.app_context():
        stored = {
            (m.indicator, m.phase): (m.input_1, m.input_2, m.value, m.warnings, m.comment)
            for m in db.session.scalars(
                select(Measurement).where(Measurement.enterprise_id == kumasi)
            )
        }
        reasons = db.session.scalars(
            select(MeasurementAudit.reason)
            .where(MeasurementAudit.enterprise_id == kumasi)
            .order_by(MeasurementAudit.reason)
        ).all()
    assert stored == {
        ("operating_efficiency", Phase.FOLLOW_UP): (
            900,
            1000,
            90.0,
            [{"code": "far_from_baseline"}],
            "New machines",
        ),
        ("operating_efficiency", Phase.BASELINE): (300, 1000, 30.0, [], ""),
        ("ltifr", Phase.BASELINE): (1, 25000, 40.0, [], ""),
    }
    assert reasons == [f"Imported from figures.csv, row {n}." for n in (2, 3, 4)]


def test_a_baseline_changed_after_the_check_is_compared_again_at_the_save(
    app, programme_world, counted
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id  # January baseline: 3.0 %
    follow_up = row(accra, phase="follow_up", start="2025-04-01", end="2025-04-30",
                    inputs=("29", "1000"))  # fmt: skip
    token = _checked(client, [follow_up], counted)
    with app.app_context():  # someone corrects the January baseline to 1.0 %
        db.session.execute(
            update(Measurement)
            .where(Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate")
            .values(input_1=10, value=1.0, version=Measurement.version + 1)
        )
        db.session.commit()
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Measurement))

    page = save(client, token)
    assert counted["checked"] == [2]
    assert "Nothing was saved: a file is saved whole or not at all." in page
    assert warnings(page) == [
        (2, "comment", DIFFERS + " Write why in the comment column of the file.", "needs_comment")
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Measurement)) == before


def test_another_figure_of_an_enterprise_saved_after_the_check_makes_the_save_check_again(
    app, programme_world, counted
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, **FEBRUARY)], counted)
    with app.app_context():  # an indicator the file does not touch
        add_measurement(accra, "dhu", inputs=(40, 1000))
    assert "Saved: 1 new measurement, 0 changed, 0 unchanged." in save(client, token)
    assert counted["checked"] == [2]


@pytest.mark.parametrize("meanwhile", ["edited", "entered"])
def test_the_same_figure_saved_by_someone_else_after_the_check_stops_the_save(
    app, programme_world, counted, meanwhile
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    if meanwhile == "edited":  # the file changes January; someone edits January meanwhile
        token = _checked(client, [row(accra, inputs=("20", "1000"))], counted)
        with app.app_context():
            db.session.execute(
                update(Measurement)
                .where(Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate")
                .values(input_1=25, value=2.5, version=Measurement.version + 1)
            )
            db.session.commit()
    else:  # the file's February is new at the check; someone enters February meanwhile
        token = _checked(client, [row(accra, **FEBRUARY)], counted)
        with app.app_context():
            add_measurement(accra, period=(date(2025, 2, 1), date(2025, 2, 28)), inputs=(10, 1000))

    page = save(client, token)
    assert CHANGED_MEANWHILE in page
    assert counted["checked"] == [2]
    with app.app_context():
        values = db.session.scalars(
            select(Measurement.value).where(
                Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate"
            )
        ).all()
    assert sorted(values) == ([2.5] if meanwhile == "edited" else [1.0, 3.0])


def test_a_figure_saved_while_the_check_read_the_file_stops_the_save(
    app, programme_world, counted, monkeypatch
):
    """Saved after the preview began, before the check read it: the preview compares the file
    with that figure, but the save may not overwrite a figure saved since the preview began."""
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    init, done = imports._Enterprise.__init__, []

    def edited_first(self, enterprise):
        if not done:
            done.append(enterprise.id)
            db.session.execute(
                update(Measurement)
                .where(Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate")
                .values(input_1=25, value=2.5, version=Measurement.version + 1)
            )
            db.session.commit()
        init(self, enterprise)

    monkeypatch.setattr(imports._Enterprise, "__init__", edited_first)
    page, token = check(client, csv_bytes([row(accra, inputs=("20", "1000"))]))
    assert done == [accra] and counts(page)["Changed"] == 1
    monkeypatch.undo()
    assert CHANGED_MEANWHILE in save(client, token)
    with app.app_context():
        assert db.session.scalar(
            select(Measurement.value).where(
                Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate"
            )
        ) == 2.5  # fmt: skip


def test_a_figure_deleted_after_the_check_is_saved_new(app, programme_world, counted):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, inputs=("20", "1000"), comment="Recounted")], counted)
    user_id = programme_world["users"]["admin"].id
    with app.app_context():
        january = db.session.scalar(
            select(Measurement).where(
                Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate"
            )
        )
        kpis.delete_measurement(
            db.session.get(User, user_id), january, "Wrong month", seen_version=january.version
        )

    page = save(client, token)  # no KeyError: the save checks again and finds it new
    assert "Saved: 1 new measurement, 0 changed, 0 unchanged." in page
    assert counted["checked"] == [2]
    with app.app_context():
        january = db.session.scalar(
            select(Measurement).where(
                Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate"
            )
        )
        assert (january.input_1, january.value, january.comment) == (20, 2.0, "Recounted")
        assert [a.action for a in kpis.history(january.id)] == [AuditAction.CREATE]


def test_a_figure_deleted_while_the_save_reads_the_file_stops_it(
    app, programme_world, counted, monkeypatch
):
    """Without a checked file the save reads an enterprise's figures before it locks them: one
    deleted in between is someone else's change, not a KeyError."""
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, inputs=("20", "1000"))], counted)
    _checked_file(app, token).unlink()
    lock_figures = kpis.lock_figures

    def deleted_first(enterprise_ids):
        db.session.execute(
            delete(Measurement).where(
                Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate"
            )
        )
        lock_figures(enterprise_ids)

    monkeypatch.setattr(kpis, "lock_figures", deleted_first)
    page = save(client, token)
    assert CHANGED_MEANWHILE in page
    monkeypatch.undo()
    with app.app_context():
        assert db.session.scalar(
            select(Measurement.value).where(
                Measurement.enterprise_id == accra, Measurement.indicator == "defect_rate"
            )
        ) == 3.0, "rolled back whole"  # fmt: skip


def test_an_upload_changed_on_disk_after_its_check_is_checked_again(app, programme_world, counted):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, **FEBRUARY, inputs=("29", "1000"))], counted)
    (_folder(app) / f"{token}.csv").write_bytes(
        csv_bytes([row(accra, **FEBRUARY, inputs=("28", "1000"))])
    )
    assert "Saved: 1 new" in save(client, token)
    assert counted["checked"] == [2]
    with app.app_context():
        assert db.session.scalar(
            select(Measurement.value).where(Measurement.period_start == date(2025, 2, 1))
        ) == pytest.approx(2.8)  # fmt: skip


def test_an_upload_made_wrong_on_disk_after_its_check_is_refused_at_the_save(
    app, programme_world, counted
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, **FEBRUARY)], counted)
    (_folder(app) / f"{token}.csv").write_bytes(
        csv_bytes([row(accra, **FEBRUARY, inputs=("50", "40"))])
    )
    page = save(client, token)
    assert problems(page) == [(2, "input_1", "Cannot be more than units inspected.")]
    assert "Nothing was saved" in page


def test_a_save_in_another_language_than_its_check_speaks_its_own(app, programme_world, counted):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    rows = [row(accra, **EFFICIENCY, **FEBRUARY, inputs=("2000", "1000"), comment="Heures sup")]
    token = _checked(client, rows, counted)
    with app.app_context():
        db.session.get(User, programme_world["users"]["staff"].id).preferred_locale = "fr"
        db.session.commit()

    page = save(client, token)
    assert counted["checked"] == [2]
    assert '<html lang="fr">' in page
    assert "Enregistré\u00a0: 1 nouvelle mesure, 0 modifiée, 0 inchangée." in page
    [(number, column, message, kind)] = warnings(page)
    assert (number, column, kind) == (2, "comment", "explained")
    assert message == (
        "Efficience opérationnelle au-dessus de 150 est inhabituel : vérifiez les données."
    )
    with app.app_context():
        saved = db.session.scalar(
            select(Measurement).where(Measurement.period_start == date(2025, 2, 1))
        )
        # Kept as what was found, whatever the language of the one who saved it.
        assert saved.warnings == [{"code": "above_max", "indicator": "operating_efficiency"}]
        assert kpis.history(saved.id)[0].reason == "Importé depuis figures.csv, ligne 2."


class _Tomorrow(date):
    @classmethod
    def today(cls):
        return date.today() + timedelta(days=1)


@pytest.mark.parametrize("changed", ["preview", "day", "row limit"])
def test_a_save_checks_the_rows_again_when_what_the_check_rested_on_changed(
    app, programme_world, counted, monkeypatch, changed
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, **FEBRUARY)], counted)
    if changed == "preview":  # another check of the upload began since (in another tab)
        with app.app_context():
            upload = db.session.scalar(
                select(MeasurementImport).where(MeasurementImport.token == token)
            )
            upload.checked_at += timedelta(seconds=1)
            db.session.commit()
    elif changed == "day":  # midnight passed: a period may now end on the day that began
        monkeypatch.setattr(imports, "date", _Tomorrow)
    else:
        app.config["SCORE_MAX_IMPORT_ROWS"] = 100
    assert "Saved: 1 new" in save(client, token)
    assert counted["checked"] == [2]


def test_consent_withdrawn_after_the_check_keeps_the_enterprise_out_of_the_save(
    app, programme_world, counted
):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, **FEBRUARY)], counted)
    with app.app_context():
        db.session.get(Enterprise, accra).data_sharing_consent = False
        db.session.commit()
    page = save(client, token)
    assert [(n, column) for n, column, _message in problems(page)] == [(2, "enterprise_id")]
    assert "has not agreed to share its figures" in problems(page)[0][2]
    assert "Nothing was saved" in page


def test_a_headcount_changed_after_the_check_is_weighed_again_at_the_save(
    app, programme_world, counted
):
    client = programme_world["clients"]["staff"]
    kumasi = programme_world["enterprises"]["kumasi"].id  # 100 workers
    # 25,000 hours in January: 246 hours per worker a month, then 491 for 50 workers.
    token = _checked(client, [row(kumasi, **LTIFR, inputs=("1", "25000"))], counted)
    with app.app_context():
        db.session.execute(
            update(Enterprise)
            .where(Enterprise.id == kumasi)
            .values(workers_men=0, workers_women=50)
        )
        db.session.commit()
    page = save(client, token)
    assert counted["checked"] == [2]
    assert [(n, kind) for n, _column, _message, kind in warnings(page)] == [(2, "needs_comment")]
    assert "more than 300 hours per worker a month" in warnings(page)[0][2]
    assert "Nothing was saved" in page


def test_the_checked_file_goes_with_its_upload(app, programme_world, counted):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, **FEBRUARY)], counted)
    assert sorted(path.name for path in _folder(app).iterdir()) == [
        f"{token}.checked.jsonl", f"{token}.csv"
    ], "no part file left behind"  # fmt: skip
    save(client, token)
    assert not list(_folder(app).glob(f"{token}*"))

    token = _checked(client, [row(accra, start="2025-03-01", end="2025-03-31")], counted)
    assert _checked_file(app, token).exists()
    with app.app_context():
        db.session.execute(
            update(MeasurementImport)
            .where(MeasurementImport.token == token)
            .values(uploaded_at=date(2020, 1, 1))
        )
        db.session.commit()
    check(client, csv_bytes([]))  # a new upload discards those left for a day
    assert not list(_folder(app).glob(f"{token}*"))


def test_a_check_that_finds_the_file_not_savable_keeps_nothing(app, programme_world, counted):
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    page, token = check(client, csv_bytes([row(accra, **FEBRUARY, inputs=("50", "40"))]))
    assert counts(page)["errors"] == 1
    assert not _checked_file(app, token).exists()
    assert [path.name for path in _folder(app).iterdir()] == [f"{token}.csv"]


class _WorkerLost(Exception):
    """The worker running the check stops in the middle of it."""


def _stop(_job_id, _done, _about):
    raise _WorkerLost


def test_a_check_begun_again_and_stopped_makes_the_save_check_the_rows(
    app, programme_world, counted, monkeypatch
):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    token = _checked(client, [row(accra, **FEBRUARY)], counted)
    with monkeypatch.context() as stopping:  # the check job stops once the rows are being read
        stopping.setattr(queue, "set_progress", _stop)
        client.get(f"/programme/imports/{token}")
    assert counted["read"] == [2] and not counted["checked"]
    assert not list(_folder(app).glob(f"{token}.checked*")), "the old one no longer holds"
    assert "Saved: 1 new" in save(client, token)
    assert counted["checked"] == [2]
    assert not list(_folder(app).glob(f"{token}*"))


def test_a_checked_file_that_cannot_be_written_leaves_the_check_whole(
    app, programme_world, counted, monkeypatch
):
    def full_disk(_line):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checked_file, "_line", full_disk)
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    page, token = check(client, csv_bytes([row(accra, **FEBRUARY)]))
    assert counts(page)["New"] == 1 and "Save 1 row" in page
    assert [path.name for path in _folder(app).iterdir()] == [f"{token}.csv"]
    counted["checked"].clear()
    assert "Saved: 1 new" in save(client, token)
    assert counted["checked"] == [2]
