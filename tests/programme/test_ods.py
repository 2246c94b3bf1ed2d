"""Measurement files saved by LibreOffice as ODS: read like XLSX (numbers, dates and text
cells), their trailing empty rows ignored, and refused before they are read when their cells,
counted from the XML, would make more than the row limit allows."""

import io
import zipfile
from datetime import date
from xml.sax.saxutils import escape

from score_app.programme.spreadsheets import MEDIA_TYPES
from tests.programme.conftest import HEADER, check, counts, problems, row, save, upload

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
# As LibreOffice ends a sheet: the rest of its rows, empty, in one repeated row.
LIBREOFFICE_END = (
    '<table:table-row table:number-rows-repeated="1048570">'
    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
)


def cell(value) -> str:
    if value in ("", None):
        return "<table:table-cell/>"
    if isinstance(value, date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value:%d/%m/%Y}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        "</table:table-cell>"
    )


def table_row(cells) -> str:
    return "<table:table-row>" + "".join(map(cell, cells)) + "</table:table-row>"


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="{}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_bytes(rows, header=HEADER, end=LIBREOFFICE_END, mimetype=MEDIA_TYPES["ods"]) -> bytes:
    """An ODS file whose first sheet holds the header and rows (rows may be raw row XML)."""
    body = "".join(
        r
        if isinstance(r, str)
        else "<table:table-row>" + "".join(map(cell, r)) + "</table:table-row>"
        for r in [header, *rows]
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES}>'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        f"{body}{end}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first, and stored
        archive.writestr("META-INF/manifest.xml", MANIFEST.format(mimetype))
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def typed_row(enterprise_id, start, end, inputs) -> list:
    """A row with number and date cells, as a spreadsheet keeps them."""
    cells = row(enterprise_id, start="", end="", inputs=("", ""))
    columns = {name: n for n, name in enumerate(HEADER)}
    cells[columns["enterprise_id"]] = enterprise_id
    cells[columns["period_start"]], cells[columns["period_end"]] = start, end
    cells[columns["input_1"]], cells[columns["input_2"]] = inputs
    return cells


def test_an_ods_file_is_checked_and_saved_like_an_xlsx_file(app, programme_world):
    accra = programme_world["enterprises"]["accra"].id
    client = programme_world["clients"]["staff"]
    data = ods_bytes(
        [
            typed_row(accra, date(2025, 10, 1), date(2025, 10, 31), (12, 2596)),
            row(accra, start="2025-11-01", end="2025-11-30", inputs=("3", "1250")),
        ]
    )
    page, token = check(client, data, "figures.ods")
    assert problems(page) == []
    assert counts(page)["ready"] == 2
    assert "Saved: 2 new measurements, 0 changed, 0 unchanged." in save(client, token)


def test_an_ods_error_names_its_row_as_the_spreadsheet_does(app, programme_world):
    accra = programme_world["enterprises"]["accra"].id
    client = programme_world["clients"]["staff"]
    data = ods_bytes(
        [
            typed_row(accra, date(2025, 10, 1), date(2025, 10, 31), (12, 2596)),
            "<table:table-row><table:table-cell/></table:table-row>",  # an empty row 3
            typed_row(accra, date(2025, 11, 1), date(2025, 11, 30), (50, 40)),
        ]
    )
    page, _token = check(client, data, "figures.ods")
    assert problems(page) == [(4, "input_1", "Cannot be more than units inspected.")]


def test_ods_files_that_would_unfold_into_millions_of_cells_are_refused_unread(programme_world):
    client = programme_world["clients"]["staff"]
    wide = (
        '<table:table-row><table:table-cell table:number-columns-repeated="1000000" '
        'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
        "</table:table-row>"
    )
    response = upload(client, ods_bytes([wide, wide]), "figures.ods")
    assert response.status_code == 422
    assert "This ODS file holds far more than rows of figures" in response.get_data(True)
    tall = (
        '<table:table-row table:number-rows-repeated="50000">'
        '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>'
        "</table:table-cell></table:table-row>"
    )
    response = upload(client, ods_bytes([tall]), "figures.ods")
    assert response.status_code == 422
    assert "more than 20,000 rows below its header" in response.get_data(True)


def test_files_whose_content_is_not_what_their_name_says_are_refused(programme_world):
    client = programme_world["clients"]["staff"]
    cases = [
        (ods_bytes([]), "figures.xlsx", "content is not XLSX"),
        (ods_bytes([], mimetype="application/zip"), "figures.ods", "content is not ODS"),
        (b"enterprise_id,indicator\n", "figures.ods", "content is not ODS"),
    ]
    for data, name, message in cases:
        response = upload(client, data, name)
        assert response.status_code == 422, name
        assert message in response.get_data(True), name


def test_a_damaged_ods_file_is_refused_as_unreadable(programme_world):
    client = programme_world["clients"]["staff"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), MEDIA_TYPES["ods"])
        archive.writestr("content.xml", "<office:document-content><table:table-row>")
    response = upload(client, buffer.getvalue(), "figures.ods")
    assert response.status_code == 422
    assert "This file cannot be read" in response.get_data(True)
