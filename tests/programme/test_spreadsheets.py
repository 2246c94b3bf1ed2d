"""write_table and open_table, the CSV/XLSX layer every programme file goes through."""

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from score_app.kpis.models import Status
from score_app.programme.spreadsheets import (
    Column,
    XlsxShape,
    copy_rows,
    open_table,
    strip_formula_guard,
    write_table,
    xlsx_shape,
)

COLUMNS = (Column("day", 12), Column("amount"), Column("text", 30), Column("flag"))
ROWS = [
    (date(2025, 1, 31), 1250.5, "Công ty Dệt", True),
    (datetime(2025, 2, 1, 8, 30), Decimal("1200.50"), "-5 % rework", None),
    (None, 3.0, Status.VERIFIED, False),
]


def test_csv_has_a_bom_iso_dates_plain_numbers_and_guarded_formulas():
    data = b"".join(write_table(iter(ROWS), COLUMNS, "csv"))
    assert data.decode("utf-8") == (
        "\ufeffday,amount,text,flag\r\n"
        "2025-01-31,1250.5,Công ty Dệt,true\r\n"
        "2025-02-01 08:30:00,1200.50,'-5 % rework,\r\n"
        ",3,verified,false\r\n"
    )
    assert strip_formula_guard("'-5 % rework") == "-5 % rework"
    assert strip_formula_guard("'quoted") == "'quoted"


def test_xlsx_keeps_types_and_reads_back_row_by_row(tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_bytes(b"".join(write_table(iter(ROWS), COLUMNS, "xlsx", sheet="results")))
    sheet = load_workbook(io.BytesIO(path.read_bytes()))["results"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width == 30
    with open_table(path, "xlsx") as table:
        assert table.header == ["day", "amount", "text", "flag"]
        assert table.rows_about is None, "a streamed XLSX does not say its size up front"
        rows = list(table.rows)
    assert rows[0] == (2, (datetime(2025, 1, 31), 1250.5, "Công ty Dệt", True))
    assert rows[2][1][2] == "verified"


def test_csv_reads_semicolons_with_or_without_bom_and_counts_rows(tmp_path):
    path = tmp_path / "table.csv"
    for text in ("\ufeffDay;Amount\n2025-01-31;12.5\n", "day;amount\r\n2025-01-31;12.5\r\n"):
        path.write_bytes(text.encode("utf-8"))
        with open_table(path, "csv") as table:
            assert table.header == ["day", "amount"]
            assert list(table.rows) == [(2, ("2025-01-31", "12.5"))]
            assert table.rows_about == 1


def test_a_numbered_copy_reads_back_the_same_rows_as_text(tmp_path):
    path, copy = tmp_path / "table.xlsx", tmp_path / "table.rows.csv"
    rows = [(datetime(2025, 1, 31), 1e-05, "'=x", 12), (None, 240000.5, "", 3.0)]
    path.write_bytes(b"".join(write_table(iter(rows), COLUMNS, "xlsx")))
    with open_table(path, "xlsx") as table:
        passed = list(copy_rows(table, copy))
    assert [number for number, _values in passed] == [2, 3]
    with open_table(copy, "numbered") as table:
        assert table.header == ["day", "amount", "text", "flag"]
        assert table.rows_about == 2
        assert list(table.rows) == [
            (2, ("2025-01-31", "0.00001", "'=x", "12")),
            (3, ("", "240000.5", "", "3")),
        ]


def test_a_cell_far_to_the_right_does_not_widen_the_rows_read(tmp_path):
    # openpyxl pads a row to its last cell: one value in column XFD would make every row that
    # follows 16,384 values wide, in memory and in the numbered copy.
    workbook = Workbook()
    workbook.active.append(["day", "amount"])
    for number in range(2, 5):
        workbook.active.cell(row=number, column=1, value=f"2025-01-0{number}")
        workbook.active.cell(row=number, column=16_384, value="far")
    path, copy = tmp_path / "wide.xlsx", tmp_path / "wide.rows.csv"
    workbook.save(path)
    with open_table(path, "xlsx") as table:
        assert table.header == ["day", "amount"]
        rows = list(copy_rows(table, copy))
    assert rows[0] == (2, ("2025-01-02", None))
    assert copy.stat().st_size < 200


def test_the_rows_of_an_xlsx_are_counted_without_keeping_them_and_only_up_to_a_limit(tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_bytes(b"".join(write_table(iter(ROWS * 10), COLUMNS, "xlsx")))
    assert xlsx_shape(path, most_rows=100) == XlsxShape(rows=31), "the header and 30 rows"
    assert xlsx_shape(path, most_rows=10) == XlsxShape(rows=11), "counting stops past the limit"
