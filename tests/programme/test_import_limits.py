"""Measurement files that would tie up a worker: too many rows, an XLSX that unpacks to far more
than it weighs, XML with a DOCTYPE, entities or cut short, a file whose rows are all wrong, and
a reader who leaves the page while the file is checked or saved. Each is refused or stopped
with a message naming the limit, in bounded time, never a 500, and nothing is saved."""

import io
import time
import zipfile
from datetime import date, timedelta
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from score_app.extensions import db
from score_app.jobs import queue
from score_app.kpis.models import Measurement
from score_app.programme import imports
from score_app.programme.models import MeasurementImport
from tests.programme.conftest import (
    HEADER,
    check,
    counts,
    csv_bytes,
    problems,
    row,
    save,
    upload,
    xlsx_bytes,
)

SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _measurements(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Measurement))


def _cells(values) -> bytes:
    return b"".join(
        b'<c t="inlineStr"><is><t>%s</t></is></c>' % escape(str(value)).encode() for value in values
    )


def sheet_xml(rows=(), *, prolog=b"", after=b"", sized=False) -> bytes:
    """A first sheet with inline text cells: the header, the rows, then `after` inside the
    sheet's data; `prolog` goes before the root element. A `sized` sheet declares its size in a
    <dimension>, as Excel writes it (openpyxl's own exports do not)."""
    body = b"".join(b"<row>%s</row>" % _cells(values) for values in [HEADER, *rows])
    size = b'<dimension ref="A1:M%d"/>' % (len(rows) + 1) if sized else b""
    return prolog + SHEET_START + size + b"<sheetData>" + body + after + b"</sheetData></worksheet>"


def xlsx_with_sheet(sheet: bytes) -> bytes:
    """A real XLSX file whose first sheet is `sheet`, deflated as Excel does."""
    template = zipfile.ZipFile(io.BytesIO(xlsx_bytes([])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in template.infolist():
            data = sheet if info.filename == SHEET else template.read(info)
            archive.writestr(info.filename, data)
    return buffer.getvalue()


def _refusal(response) -> str:
    assert response.status_code == 422
    return response.get_data(True)


def test_a_csv_of_100000_one_column_rows_is_refused_on_the_form_at_once(app, programme_world):
    data = csv_bytes([["x"]] * 100_000)
    assert len(data) < 400_000, "a small file"
    started = time.perf_counter()
    page = _refusal(upload(programme_world["clients"]["staff"], data))
    assert time.perf_counter() - started < 5
    assert (
        "This file has 100,000 rows below its header; at most 20,000 are accepted: split it "
        "into smaller files." in page
    )
    assert not any(Path(app.config["SCORE_IMPORT_DIR"]).iterdir())


def test_the_row_limit_is_a_setting_and_a_file_at_the_limit_is_read_whole(app, programme_world):
    app.config["SCORE_MAX_IMPORT_ROWS"] = 5
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    rows = [row(accra, start=f"2024-0{m}-01", end=f"2024-0{m}-28") for m in range(1, 7)]
    page = _refusal(upload(client, csv_bytes(rows)))
    assert "This file has 6 rows below its header; at most 5 are accepted" in page
    page, _token = check(client, csv_bytes(rows[:5]))
    assert counts(page)["ready"] == 5 and "at most" not in page


def test_rows_beyond_the_limit_that_the_upload_could_not_count_stop_the_check(app, programme_world):
    # Lines ended by a carriage return alone (old Mac files): the upload counts no line, the
    # reader finds every row.
    app.config["SCORE_MAX_IMPORT_ROWS"] = 50
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    data = csv_bytes([row(accra, start=f"2024-02-{d:02d}", end="2024-02-28") for d in range(1, 8)])
    data = data.replace(b"\r\n", b"\r") + b"\r".join(b"x" for _ in range(60))
    page, token = check(client, data)
    assert "This file has more than 50 rows below its header" in page
    assert "checking stopped at row 52" in page
    assert "Nothing can be saved yet" in page and f"/programme/imports/{token}/save" not in page


def test_a_legitimate_file_of_10000_rows_is_checked_whole(app, programme_world):
    enterprises = programme_world["enterprises"]
    rows = [
        row(enterprises[key].id, start=day.isoformat(), end=day.isoformat())
        for key in ("accra", "kumasi")
        for day in _days(5_000)
    ]
    page, _token = check(programme_world["clients"]["staff"], csv_bytes(rows))
    assert counts(page) == {
        "errors": 0, "uncommented": 0, "ready": 10_000, "New": 10_000, "Changed": 0,
        "Unchanged": 0,
    }  # fmt: skip


def _days(number: int) -> list[date]:
    """`number` days in a row from 2010, each the period of a daily baseline."""
    return [date(2010, 1, 1) + timedelta(days=n) for n in range(number)]


def test_a_zip_bombed_xlsx_is_refused_from_its_declared_size_before_it_is_parsed(
    app, programme_world
):
    # 5 million empty rows: 60 MB of XML in a file of some 60 KB.
    data = xlsx_with_sheet(sheet_xml(after=b'<row r="2"/>' * 5_000_000))
    assert len(data) < 200_000
    started = time.perf_counter()
    page = _refusal(upload(programme_world["clients"]["staff"], data, "figures.xlsx"))
    assert time.perf_counter() - started < 5
    assert "This XLSX file unpacks to 60.0 MB; the largest accepted is 50 MB." in page
    assert not any(Path(app.config["SCORE_IMPORT_DIR"]).iterdir())


def test_an_xlsx_of_two_million_empty_rows_is_refused_on_the_form_at_once(app, programme_world):
    # 12 MB of XML, under the unpacked limit, without the <dimension> that says a sheet's size:
    # openpyxl would parse it whole just to open it (seconds, an element kept for every row).
    data = xlsx_with_sheet(sheet_xml(after=b"<row/>" * 2_000_000))
    started = time.perf_counter()
    page = _refusal(upload(programme_world["clients"]["staff"], data, "figures.xlsx"))
    assert time.perf_counter() - started < 5
    assert (
        "This file has more than 20,000 rows below its header (empty rows count too): split it "
        "into smaller files." in page
    )
    assert not any(Path(app.config["SCORE_IMPORT_DIR"]).iterdir())


@pytest.mark.parametrize(
    "crowd, max_rows",
    [
        (b"<row>%s</row>" % (b"<c/>" * 30_000), 20_000),
        # 999 rows under a limit of 1,000, each of 150 elements: 1.5 times what is allowed.
        (b"<row>%s</row>" % (b"<c><is><t>1</t></is></c>" * 50) * 999, 1_000),
    ],
    ids=["a-row-of-30000-cells", "150-elements-a-row"],
)
def test_an_xlsx_crowded_with_cells_is_refused_on_the_form(app, programme_world, crowd, max_rows):
    # openpyxl would hold a row's cells whole, and spend time on every element.
    app.config["SCORE_MAX_IMPORT_ROWS"] = max_rows
    data = xlsx_with_sheet(sheet_xml(after=crowd))
    page = _refusal(upload(programme_world["clients"]["staff"], data, "f.xlsx"))
    assert "This XLSX file holds far more than rows of figures" in page


def test_an_xlsx_whose_rows_jump_to_row_20_million_stops_at_the_row_limit(app, programme_world):
    accra = programme_world["enterprises"]["accra"].id
    far = b'<row r="20000000">%s</row>' % _cells(row(accra))
    data = xlsx_with_sheet(sheet_xml(after=far))
    started = time.perf_counter()
    page, _token = check(programme_world["clients"]["staff"], data, "figures.xlsx")
    assert time.perf_counter() - started < 30
    assert "checking stopped at row 20,002" in page


ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]>"
)


@pytest.mark.parametrize(
    "prolog, reference",
    [
        (ENTITY_BOMB, b"&lol9;"),
        (b'<!DOCTYPE worksheet [<!ENTITY name "enterprise_id">]>', b"&name;"),
        (b'<!DOCTYPE worksheet [<!ENTITY file SYSTEM "file:///etc/passwd">]>', b"&file;"),
    ],
    ids=["billion-laughs", "small-entity", "external-entity"],
)
def test_an_xlsx_declaring_entities_is_refused_as_unreadable(programme_world, prolog, reference):
    # Even a harmless entity is refused: the sheet is parsed by defusedxml, which forbids them.
    sheet = sheet_xml(prolog=prolog).replace(b">enterprise_id<", b">%s<" % reference, 1)
    response = upload(programme_world["clients"]["staff"], xlsx_with_sheet(sheet), "f.xlsx")
    assert "This file cannot be read: save it again as CSV UTF-8 or XLSX." in _refusal(response)


def _padded(enterprise_id) -> list[list]:
    """720 ready rows, some 400 KB of XML: the header is read long before what follows."""
    return [row(enterprise_id, start=day.isoformat(), end=day.isoformat()) for day in _days(720)]


def _damaged(sheet: bytes, damage: str) -> bytes:
    if damage == "undefined-entity":
        return sheet.replace(b"&amp;nope;", b"&nope;")
    return sheet[: len(sheet) * 3 // 4]  # cut short


@pytest.mark.parametrize("damage", ["undefined-entity", "cut-short"])
def test_an_unsized_xlsx_unreadable_past_its_first_rows_is_refused_on_the_form(
    programme_world, damage
):
    # openpyxl parses a sheet without a <dimension> whole when it opens it, so the upload finds
    # the damage.
    accra = programme_world["enterprises"]["accra"].id
    sheet = sheet_xml(_padded(accra), after=b"<row>%s</row>" % _cells(["&nope;"]))
    response = upload(
        programme_world["clients"]["staff"], xlsx_with_sheet(_damaged(sheet, damage)), "f.xlsx"
    )
    assert "This file cannot be read: save it again as CSV UTF-8 or XLSX." in _refusal(response)


@pytest.mark.parametrize("damage", ["undefined-entity", "cut-short"])
def test_a_sized_xlsx_unreadable_past_its_first_rows_says_from_which_row_and_saves_nothing(
    app, programme_world, damage
):
    accra = programme_world["enterprises"]["accra"].id
    sheet = sheet_xml(_padded(accra), after=b"<row>%s</row>" % _cells(["&nope;"]), sized=True)
    data = xlsx_with_sheet(_damaged(sheet, damage))
    before = _measurements(app)
    page, token = check(programme_world["clients"]["staff"], data, "f.xlsx")
    found = problems(page)
    assert found[-1][2] == (
        "The file cannot be read from this row on: save it again as CSV UTF-8 or XLSX."
    )
    assert found[-1][0] > 2
    assert f"/programme/imports/{token}/save" not in page
    assert _measurements(app) == before


def test_an_xlsx_with_damaged_compressed_data_is_refused_not_a_500(app, programme_world):
    accra = programme_world["enterprises"]["accra"].id
    data = bytearray(xlsx_with_sheet(sheet_xml(_padded(accra))))
    start = bytes(data).index(b"xl/worksheets/sheet1.xml") + 200
    data[start : start + 400] = bytes(400)
    response = upload(programme_world["clients"]["staff"], bytes(data), "f.xlsx")
    if response.status_code == 303:
        page = programme_world["clients"]["staff"].get(response.headers["Location"])
        assert page.status_code == 200
        assert "cannot be read" in page.get_data(True)
    else:
        assert "cannot be read" in _refusal(response)


def _flagged(data: bytes, name: bytes, flags: int = 0, method: int | None = None) -> bytes:
    """The zip with its part `name` marked encrypted (flags 1) or compressed by `method`, in its
    local header and in the zip directory, as another program could write it."""
    data = bytearray(data)
    for signature, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        while at != -1:
            if data[at + name_at :].startswith(name):
                data[at + flags_at] |= flags
                if method is not None:
                    data[at + flags_at + 2 : at + flags_at + 4] = method.to_bytes(2, "little")
            at = data.find(signature, at + 4)
    return bytes(data)


@pytest.mark.parametrize("flags, method", [(1, None), (0, 99)], ids=["encrypted", "aes-method"])
def test_an_xlsx_with_an_encrypted_or_unknown_part_is_refused_not_a_500(
    programme_world, flags, method
):
    data = _flagged(xlsx_bytes([]), SHEET.encode(), flags, method)
    response = upload(programme_world["clients"]["staff"], data, "f.xlsx")
    assert "This file cannot be read: save it again as CSV UTF-8 or XLSX." in _refusal(response)


def test_a_file_whose_first_100_rows_all_have_an_error_stops_there(app, programme_world):
    page, token = check(programme_world["clients"]["staff"], csv_bytes([["x"]] * 15_000))
    assert "The first 100 rows all have an error, so checking stopped there" in page
    assert counts(page)["errors"] == 100
    assert len(problems(page)) == 200, "the first 200 problems are listed"
    assert len(page) < 200_000
    assert f"/programme/imports/{token}/save" not in page


def test_thousands_of_bad_rows_after_a_good_one_list_200_problems_in_a_small_page(
    app, programme_world
):
    accra = programme_world["enterprises"]["accra"].id
    bad = [row(accra, inputs=("50", "40"), start=f"2024-{m:02d}-01", end=f"2024-{m:02d}-28")
           for m in range(1, 13)] * 1500  # fmt: skip
    page, _token = check(programme_world["clients"]["staff"], csv_bytes([row(accra), *bad]))
    assert counts(page)["errors"] == 18_000
    assert len(problems(page)) == 200 and len(page) < 200_000


def test_progress_counts_empty_rows_so_the_job_page_keeps_moving(app, programme_world, monkeypatch):
    # The job's page shows how far the reading got: a long stretch of empty rows moves it too.
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 10)
    reported = []
    monkeypatch.setattr(queue, "set_progress", lambda _job, *step: reported.append(step))
    accra = programme_world["enterprises"]["accra"].id
    data = csv_bytes([row(accra, start="2024-02-01", end="2024-02-28")]) + b"\r\n" * 30
    check(programme_world["clients"]["staff"], data)
    assert (10, 31) in reported and (30, 31) in reported


class _WorkerLost(Exception):
    """The worker running a job stops in the middle of it."""


def _stop_during_the_check(monkeypatch, checked: list) -> None:
    """The job stops at the first progress it reports once rows are being worked on."""

    def report(_job_id, _done, _about):
        if checked:
            raise _WorkerLost

    monkeypatch.setattr(queue, "set_progress", report)


def _count_work(monkeypatch, checked: list, replayed: bool) -> None:
    """Note each row as the pass works on it: checked, or written from the checked file."""
    if replayed:
        write = imports.MeasurementFile._write

        def counted(self):
            checked.extend(number for *_row, number in self._new + self._changed)
            write(self)

        monkeypatch.setattr(imports.MeasurementFile, "_write", counted)
        return
    check_row = imports.MeasurementFile._check_row
    monkeypatch.setattr(
        imports.MeasurementFile,
        "_check_row",
        lambda self, number, cells: checked.append(number) or check_row(self, number, cells),
    )


@pytest.mark.parametrize(
    "saving, replayed",
    [(False, False), (True, True), (True, False)],
    ids=["check", "save", "save-checking-again"],
)
def test_a_job_stopped_midway_saves_nothing_and_holds_nothing(
    app, programme_world, monkeypatch, saving, replayed
):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(imports, "WRITE_BATCH", 5)  # rows reach the database before it stops
    client = programme_world["clients"]["staff"]
    accra = programme_world["enterprises"]["accra"].id
    rows = [row(accra, start=day.isoformat(), end=day.isoformat()) for day in _days(300)]
    _page, token = check(client, csv_bytes(rows))
    if saving and not replayed:  # without what the check found, the save checks every row
        (Path(app.config["SCORE_IMPORT_DIR"]) / f"{token}.checked.jsonl").unlink()
    checked = []
    _count_work(monkeypatch, checked, replayed)
    before = _measurements(app)
    url = f"/programme/imports/{token}"
    with monkeypatch.context() as stopping:
        _stop_during_the_check(stopping, checked)
        response = client.post(url + "/save") if saving else client.get(url)
        page = client.get(response.location).get_data(True)
    assert "Something went wrong while doing this. Nothing was saved" in page
    left_at = len(checked)
    assert 0 < left_at < 50, "the rows were worked on when the job stopped"
    assert _measurements(app) == before
    with app.app_context():
        stored = db.session.scalar(
            select(MeasurementImport).where(MeasurementImport.token == token)
        )
        assert stored.saved_at is None
    # Nothing holds the upload or the database: the next save goes through whole.
    assert f"Saved: {len(rows)} new" in save(client, token)
    assert len(checked) == left_at + len(rows), "the stopped job did not go on"
