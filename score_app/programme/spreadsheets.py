"""CSV and XLSX files as tables: write rows as they come (`write_table`), read them one at a
time (`read_table`), so no file is ever held whole in memory. OpenDocument spreadsheets (ODS, as
LibreOffice saves them) are read too, through calamine, which holds the sheet's cells while it
reads them: `ods_shape` counts them first, so an upload holds no more than its row limit allows.

CSV is UTF-8 with a BOM (so Excel shows Vietnamese names), comma-separated, dates ISO, numbers
with a dot; read back with or without BOM, with commas or semicolons. XLSX has a frozen header
row, set column widths, real dates and numbers. Headers are English codes in both, so a file
round-trips across languages.
"""

import csv
import io
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from python_calamine import CalamineError, CalamineWorkbook

FORMATS = ("csv", "xlsx", "ods")
MEDIA_TYPES = {
    "csv": "text/csv",  # Flask adds the charset (UTF-8)
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
CHUNK = 64 * 1024
# Text starting with one of these is run as a formula by spreadsheet programs; written with a
# leading apostrophe in CSV (and read back without it), stored as plain text in XLSX.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str  # the header: an English code, the same in every language
    width: int = 14  # in characters, for XLSX


class UnreadableFile(Exception):
    """The upload is not a CSV, XLSX or ODS file this app can read; the message says why."""


# What openpyxl and the libraries below it raise on a damaged or hostile XLSX file: XML that is
# cut short or has an undefined entity (ParseError), entities that defusedxml forbids (a
# ValueError), damaged compressed data (zlib.error, or BadZipFile on its checksum), a missing
# part (KeyError), cells of the wrong kind (ValueError, TypeError, OverflowError for dates), a
# part encrypted (RuntimeError) or compressed by a method zipfile does not know.
_XLSX_ERRORS = (
    ParseError, ValueError, KeyError, IndexError, TypeError, OverflowError, EOFError, OSError,
    RuntimeError, NotImplementedError, zlib.error, zipfile.BadZipFile, InvalidFileException,
)  # fmt: skip


@dataclass(frozen=True)
class Sheet:
    """A table of an XLSX workbook: its tab's title, its columns and its rows."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]


def write_table(
    rows: Iterable[Sequence], columns: Sequence[Column], file_format: str, sheet: str = "data"
) -> Iterator[bytes]:
    """The rows as a CSV or XLSX file, in chunks; values keep their type (date, number, text)."""
    if file_format == "csv":
        return _write_csv(rows, columns)
    return write_workbook([Sheet(sheet, columns, rows)])


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _write_csv(rows: Iterable[Sequence], columns: Sequence[Column]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([column.name for column in columns])
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_value(sheet, value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would store it as a formula
        return cell
    return value


def write_workbook(sheets: Sequence[Sheet]) -> Iterator[bytes]:
    """The sheets as one XLSX file, in chunks, each with a frozen header row."""
    workbook = Workbook(write_only=True)
    for table in sheets:
        sheet = workbook.create_sheet(table.title)
        sheet.freeze_panes = "A2"
        for number, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = column.width
        sheet.append([column.name for column in table.columns])
        for row in table.rows:
            sheet.append([_xlsx_value(sheet, value) for value in row])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


@dataclass
class Table:
    """An open file's header and a lazy iterator of (row number as a spreadsheet shows it,
    values); `rows_about` estimates the data rows, for progress."""

    header: list[str]
    rows: Iterator[tuple[int, tuple]]
    rows_about: int | None


def file_format_of(path: Path) -> str:
    """'ods' for a zip file that says it is an OpenDocument spreadsheet (its first member,
    `mimetype`), 'xlsx' for any other zip file (as every XLSX is), else 'csv'."""
    if not zipfile.is_zipfile(path):
        return "csv"
    try:
        with zipfile.ZipFile(path) as archive:
            said = archive.read("mimetype") if "mimetype" in archive.namelist() else b""
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, zlib.error):
        return "xlsx"
    return "ods" if said.strip() == MEDIA_TYPES["ods"].encode() else "xlsx"


@contextmanager
def open_table(path: Path, file_format: str) -> Iterator[Table]:
    """The file as a Table, closed when the block ends; UnreadableFile when it cannot be read.
    Rows are decoded as they are read, so UnicodeDecodeError and csv.Error can come later.
    `numbered` is a copy made by `copy_rows`."""
    reader = {
        "xlsx": _read_xlsx, "ods": _read_ods, "csv": _read_csv, "numbered": _read_numbered,
    }[file_format]  # fmt: skip
    yield from reader(path)


def _plain(value) -> str:
    """A cell as text that reads back to the same value (no exponents, dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    return str(value)


def copy_rows(table: Table, path: Path) -> Iterator[tuple[int, tuple]]:
    """The table's rows, passed on while they are written with their numbers to a CSV at
    `path`; the copy appears only once every row is read. Reading an XLSX file costs several
    times reading this copy, so a second pass over the same upload reads the copy."""
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["row", *table.header])
        for number, values in table.rows:
            writer.writerow([number, *(_plain(value) for value in values)])
            yield number, values
    partial.replace(path)


def _read_numbered(path: Path) -> Iterator[Table]:
    with path.open(encoding="utf-8", newline="") as file:
        lines = sum(1 for _line in file) - 1
        file.seek(0)
        records = csv.reader(file)
        header = next(records)[1:]
        yield Table(header, ((int(r[0]), tuple(r[1:])) for r in records), lines)


def _read_csv(path: Path) -> Iterator[Table]:
    with path.open("rb") as raw:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(CHUNK), b""))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        first = text.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        header = next(csv.reader([first], delimiter=delimiter), [])
        records = csv.reader(text, delimiter=delimiter)
        yield Table(
            [name.strip().lower() for name in header],
            ((number, tuple(record)) for number, record in enumerate(records, start=2)),
            max(lines - 1, 0),
        )


def unzipped_size(path: Path) -> int:
    """The bytes an XLSX file's parts unpack to, as its zip directory declares them: known
    before anything is unpacked, and binding, since a part that unpacks to more fails its
    check (zipfile stops at the declared size)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFile("xlsx") from error


# A row of the template is some 40 XML elements (a cell, its text, its run); anything with many
# more is not a table of figures, and would cost openpyxl time and memory for each element.
XLSX_ELEMENTS_PER_ROW = 100


@dataclass
class XlsxShape:
    """What an XLSX file's parts hold, counted before openpyxl reads them: the rows of its
    largest sheet, header included (counted up to the most allowed, plus one), and whether a
    part is crowded: an element with more children than the rows allowed (a row of tens of
    thousands of cells), or more elements than XLSX_ELEMENTS_PER_ROW a row."""

    rows: int = 0
    crowded: bool = False


class _ShapeCounter:
    """Counts what expat meets in one part, and stops the parse as soon as it is too much."""

    def __init__(self, most_rows: int):
        self.most_rows = most_rows
        # A workbook's own parts (its styles, its theme) need some room whatever the limit.
        self.most_children = max(most_rows, 1_000)
        self.most_elements = self.most_children * XLSX_ELEMENTS_PER_ROW
        self.rows = self.elements = 0
        self.children = [0]  # of each open element, the root's parent first

    def start(self, name: str, _attributes) -> None:
        self.elements += 1
        self.children[-1] += 1
        self.children.append(0)
        if name == "row" or name.endswith(":row"):
            self.rows += 1
            if self.rows > self.most_rows:
                raise _StopCounting
        if self.elements > self.most_elements or self.children[-2] > self.most_children:
            raise _Crowded

    def end(self, _name: str) -> None:
        self.children.pop()


class _StopCounting(Exception):
    pass


class _Crowded(_StopCounting):
    pass


def _refuse_entities(*_declaration) -> None:
    # Entities could expand to anything while they are counted; an XLSX file has no use for
    # them, and openpyxl, through defusedxml, refuses the file when it reads it.
    raise _StopCounting


def _count_part(part, most_rows: int) -> XlsxShape:
    """The shape of one part of the zip, by expat alone: nothing is built or kept. A part that
    is not XML, or goes wrong, counts what came before (openpyxl says what is wrong with it)."""
    counter = _ShapeCounter(most_rows)
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    parser.StartElementHandler = counter.start
    parser.EndElementHandler = counter.end
    parser.EntityDeclHandler = _refuse_entities
    crowded = False
    try:
        while chunk := part.read(CHUNK):
            parser.Parse(chunk, False)
    except _Crowded:
        crowded = True
    except (_StopCounting, expat.ExpatError, *_XLSX_ERRORS):
        pass
    return XlsxShape(counter.rows, crowded)


def xlsx_shape(path: Path, most_rows: int) -> XlsxShape:
    """What the parts of an XLSX file hold, in constant memory, stopping at the first part
    past a limit. openpyxl parses a whole sheet when opening it if the sheet does not declare
    its size (its own exports do not), keeping an element for each row it passes, and a row or
    other element with millions of children whole: counting first keeps such files from it.
    Every part is counted, whichever the workbook names as its sheets."""
    shape = XlsxShape()
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as part:
                    found = _count_part(part, most_rows)
                shape = XlsxShape(max(shape.rows, found.rows), found.crowded)
                if shape.crowded or shape.rows > most_rows:
                    break
    except _XLSX_ERRORS as error:
        raise UnreadableFile("xlsx") from error
    return shape


def _read_xlsx(path: Path) -> Iterator[Table]:
    # openpyxl parses the sheets with defusedxml once it is installed (a dependency): a file
    # that declares entities is refused rather than expanded.
    workbook = None
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        total = sheet.max_row
        # A wrong <dimension> in the file would cut rows off: read to the real end.
        sheet.reset_dimensions()
        rows = _readable(sheet.iter_rows(values_only=True))
        header = [str(name).strip().lower() if name is not None else "" for name in next(rows, ())]
    except _XLSX_ERRORS as error:
        if workbook is not None:
            workbook.close()
        raise UnreadableFile("xlsx") from error
    # openpyxl pads every row to its last cell: one cell far to the right would widen all the
    # rows that follow it, so only the header's named columns are kept.
    width = max((n + 1 for n, name in enumerate(header) if name), default=0)
    try:
        yield Table(
            header[:width],
            ((number, values[:width]) for number, values in enumerate(rows, start=2)),
            max(total - 1, 0) if total else None,
        )
    finally:
        workbook.close()


def _readable(rows: Iterator[tuple]) -> Iterator[tuple]:
    """The rows of an XLSX sheet, and UnreadableFile where its XML or zip data goes wrong (cut
    short, an undefined or forbidden entity, damaged compressed data)."""
    try:
        yield from rows
    except _XLSX_ERRORS as error:
        raise UnreadableFile("xlsx") from error


# What an ODS sheet may hold in its used range (from its first cell to its last non-empty row
# and column), a row of the limit: calamine keeps every cell of that range.
ODS_CELLS_PER_ROW = 64
_ODS = "urn:oasis:names:tc:opendocument:xmlns:"
_ROW, _CELLS = f"{_ODS}table:1.0 table-row", (
    f"{_ODS}table:1.0 table-cell", f"{_ODS}table:1.0 covered-table-cell",
)  # fmt: skip
_ROWS_REPEATED = f"{_ODS}table:1.0 number-rows-repeated"
_COLUMNS_REPEATED = f"{_ODS}table:1.0 number-columns-repeated"
_VALUE_TYPE = f"{_ODS}office:1.0 value-type"


class _OdsCounter:
    """The used range of an ODS sheet's rows and cells, repetitions counted as calamine expands
    them, from the XML alone; stops as soon as the range passes what the limit allows."""

    def __init__(self, most_rows: int):
        self.most_rows = most_rows
        self.most_cells = most_rows * ODS_CELLS_PER_ROW
        self.rows = 0  # up to the last row with a value
        self.columns = 0  # up to the last column with a value, in any row
        self._row = self._row_repeat = self._column = 0
        self._row_used = False

    def start(self, name: str, attributes: dict) -> None:
        if name == _ROW:
            self._row_repeat = _repeat(attributes.get(_ROWS_REPEATED))
            self._column, self._row_used = 0, False
        elif name in _CELLS:
            self._column += _repeat(attributes.get(_COLUMNS_REPEATED))
            if attributes.get(_VALUE_TYPE):
                self.columns = max(self.columns, self._column)
                self._row_used = True

    def end(self, name: str) -> None:
        if name != _ROW:
            return
        self._row += self._row_repeat
        if self._row_used:
            self.rows = self._row
        if self.rows > self.most_rows:
            raise _StopCounting
        if self.rows * self.columns > self.most_cells:
            raise _Crowded


def _repeat(value: str | None) -> int:
    """A number-*-repeated attribute: how many rows or cells its element stands for."""
    return int(value) if value and value.isdigit() else 1


def ods_shape(path: Path, most_rows: int) -> XlsxShape:
    """The rows of an ODS file's sheets up to the last with a value (counted up to the most
    allowed, plus one), and whether its used range holds more cells than ODS_CELLS_PER_ROW a
    row of the limit: in constant memory, before calamine reads it."""
    counter = _OdsCounter(most_rows)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = counter.start
    parser.EndElementHandler = counter.end
    parser.EntityDeclHandler = _refuse_entities
    crowded = False
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as part:
            while chunk := part.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Crowded:
        crowded = True
    except _StopCounting:
        pass
    except (expat.ExpatError, *_XLSX_ERRORS) as error:
        raise UnreadableFile("ods") from error
    return XlsxShape(counter.rows, crowded)


def _read_ods(path: Path) -> Iterator[Table]:
    """The first sheet of an ODS file; `ods_shape` has bounded what calamine will hold."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = [str(name).strip().lower() for name in next(rows, ())]
    except (CalamineError, *_XLSX_ERRORS) as error:
        raise UnreadableFile("ods") from error
    width = max((n + 1 for n, name in enumerate(header) if name), default=0)
    try:
        yield Table(
            header[:width],
            ((number, tuple(values[:width])) for number, values in enumerate(rows, start=2)),
            max(sheet.height - 1, 0),
        )
    finally:
        workbook.close()


def strip_formula_guard(text: str) -> str:
    """Text as typed before `write_table` guarded it against being run as a formula."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
        return text[1:]
    return text
