"""write_table and open_table, the CSV/XLSX layer every programme file goes through."""

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from score_app.kpis.models import Status
from score_app.programme.spreadsheets import (
    Column,
    copy_rows,
    open_table,
    strip_formula_guard,
    write_table,
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
