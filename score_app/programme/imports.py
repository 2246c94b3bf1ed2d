"""Importing measurements from a CSV, XLSX or ODS file in the export's columns.

An upload is kept, named by a random token bound to its user, until it is saved: in the import
folder, or in the database with SCORE_STORAGE=database (programme.import_files), whence each
check or save copies it into a working folder of its own. Checking reads the file row by row,
twice: first for its baselines, so that each follow-up meets the baseline of its cycle wherever
that row stands in the file; then every row passes the indicator contract, the user's scope and
consent, the verified lock and the cycles, is weighed for plausibility, and is classified new,
changed or unchanged against the enterprise's figures (loaded once per enterprise). A row's
errors keep it from being saved; its warnings only until its comment explains them. A check that
finds the file savable keeps what it found beside the upload (programme.checked). Saving writes
those rows in bulk statements without checking them again when, holding the figures of the
file's enterprises, it finds them, the file, the language and the day as that check left them;
otherwise it checks the file again the same way and writes as it goes. Either way it writes in
one transaction that commits only when no row stands in the way. Both yield progress while they
work, for every few hundred rows read, empty ones too, so that a server soon notices a reader
who left and closes the pass (its transaction rolled back); the report counts the rows of each
kind and lists their problems (the first few hundred) by the row number a spreadsheet shows.

A file costs a worker a bounded time and memory: it may have SCORE_MAX_IMPORT_ROWS rows below
its header (counted at the upload where the file says or an XLSX shows how many, and where
the reading gets past them otherwise); an XLSX file is refused from its zip directory when it
would unpack to far more than such rows need, and from a count of its XML when a part is
crowded; its XML is parsed by defusedxml (no entities); and a file whose first rows are all
wrong is not read on.
"""

import csv
import math
import re
import secrets
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from werkzeug.datastructures import FileStorage

from score_app.auth.models import User
from score_app.catalog.indicators import BY_CODE, Indicator
from score_app.db_errors import is_database_lost, met_another_save
from score_app.enterprises.access import (
    figures_scope,
    may_see_figures,
    require_figures,
    scoped_enterprises,
)
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput, NotAllowed
from score_app.extensions import db, utcnow
from score_app.i18n import (
    current_locale_code,
    fold,
    format_items,
    format_number,
    name_key,
    ngettext,
)
from score_app.i18n import gettext as _
from score_app.kpis import services as kpis
from score_app.kpis.checks import warnings_text
from score_app.kpis.cycles import cycle_baseline
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement, MeasurementAudit, Phase, Status, named_inputs
from score_app.programme import checked as checked_file
from score_app.programme import import_files
from score_app.programme.exports import ENTERPRISE_FACTS, MEASUREMENT_COLUMNS
from score_app.programme.models import MeasurementImport
from score_app.programme.spreadsheets import (
    FORMATS,
    UnreadableFile,
    copy_rows,
    file_format_of,
    ods_shape,
    open_table,
    strip_formula_guard,
    unzipped_size,
    xlsx_shape,
)
from score_app.programme.written import Reading, Unclear, read_day, read_number
from score_app.request_args import MAX_DB_ID

# Read on import, with the enterprise's id or its exact name (ENTERPRISE_COLUMNS, either or
# both); `value` and `status`, and the enterprise's country, sector and cohort, are for people
# (the value is always computed).
REQUIRED_COLUMNS = (
    "indicator", "phase", "period_start", "period_end",
    "input_1_name", "input_1", "input_2_name", "input_2",
)  # fmt: skip
ENTERPRISE_COLUMNS = ("enterprise_id", "enterprise")
# The template's example rows are of this enterprise, which stands for none: a row of it left in
# a file is refused with a message that says it is an example.
EXAMPLE_ENTERPRISE = "Example Garments Ltd"
EXAMPLE_INDICATOR = "defect_rate"
# A baseline and a follow-up: (phase, first day, last day, the two raw inputs).
EXAMPLES = (
    (Phase.BASELINE, date(2025, 1, 1), date(2025, 1, 31), (42, 1200)),
    (Phase.FOLLOW_UP, date(2025, 7, 1), date(2025, 7, 31), (18, 1250)),
)
ENTERPRISE_LIST_COLUMNS = tuple(
    column for column in MEASUREMENT_COLUMNS
    if column.name in ("enterprise_id", "enterprise", "country", "sector", "cohort")
)  # fmt: skip
PHASES = frozenset(Phase)
COLUMN_ORDER = {column.name: n for n, column in enumerate(MEASUREMENT_COLUMNS)}
PROGRESS_EVERY = 500
WRITE_BATCH = 500
SAMPLE_ROWS = 10
# A file of thousands of bad rows stays a page to read: each kind of problem lists its first
# MAX_LISTED, and the sentence of what stands in the way names the first MAX_NAMED_ROWS rows;
# the counts cover every row.
MAX_LISTED = 200
MAX_NAMED_ROWS = 20
# A file whose first HOPELESS_ROWS rows all have an error is not read on: it is the wrong file,
# or in the wrong columns, and the rows listed already show what to correct.
HOPELESS_ROWS = 100
# An XLSX upload may unpack to this much a row of the row limit (a row of the template with a
# long comment), and to 1 MB whatever the limit (the workbook's own parts): a zip bomb is
# refused from its zip directory before anything is parsed.
XLSX_BYTES_PER_ROW = 2_500
MIN_XLSX_BYTES = 1_000_000
# Spreadsheets in a zip: read once, their rows kept as a numbered CSV for the passes after.
ZIPPED = ("xlsx", "ods")
# The columns that say which figure a row is; a baseline row with these right starts a cycle.
FIGURE_KEY = ("enterprise_id", "indicator", "phase", "period_start", "period_end")
KEY_COLUMNS = frozenset((*FIGURE_KEY, "enterprise"))  # the name stands for the id
MAX_COMMENT = 2000
KEEP_UNSAVED = timedelta(days=1)
# A save replaying its check verifies the enterprises of the file this many at a time.
VERIFY_BATCH = 500
_TOKEN = re.compile(r"[0-9a-f]{32}")


ERROR, NEEDS_COMMENT, EXPLAINED = "error", "needs_comment", "explained"


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str
    # An error, or a warning: one that NEEDS_COMMENT keeps the row back, one EXPLAINED by the
    # row's comment is shown for information, with that comment.
    kind: str = ERROR
    comment: str = ""


@dataclass
class Rows:
    """The rows with one kind of problem: how many, the first numbers, and the first
    MAX_LISTED of their problems."""

    count: int = 0
    found: int = 0  # their problems
    numbers: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, problems: list[Problem]) -> None:
        """One row's problems."""
        self.count += 1
        self.found += len(problems)
        if len(self.numbers) < MAX_NAMED_ROWS:
            self.numbers.append(problems[0].row)
        self.problems.extend(problems[: MAX_LISTED - len(self.problems)])

    @property
    def unlisted(self) -> int:
        return self.found - len(self.problems)

    def named(self) -> str:
        """The rows' numbers for a sentence, as the locale lists things: "2, 5 and 9", or
        "2, 5, 9 and 120 others"."""
        names = [str(number) for number in self.numbers]
        if others := self.count - len(self.numbers):
            # i18n: the last item of a list of row numbers: "Rows 2, 5, and 120 others have…"
            names.append(ngettext("%(others)s other", "%(others)s others", others,
                                  others=format_number(others)))  # fmt: skip
        return format_items(names)


@dataclass(frozen=True)
class Progress:
    done: int
    about: int | None  # the data rows the file seems to have, when known
    reading: bool = False  # the first pass, which looks for the file's baselines


@dataclass(frozen=True)
class SampleRow:
    row: int
    enterprise_id: int
    indicator: Indicator
    phase: str
    period_start: date
    period_end: date
    inputs: dict[str, float]
    value: float
    outcome: str  # new, changed or unchanged


@dataclass
class Report:
    # The ready rows, by what saving does with them.
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: Rows = field(default_factory=Rows)  # cannot be saved as they are
    uncommented: Rows = field(default_factory=Rows)  # warnings that need a comment first
    explained: Rows = field(default_factory=Rows)  # warnings their comment explains: ready
    sample: list[SampleRow] = field(default_factory=list)
    saved: bool = False
    saved_before: bool = False  # another request saved this upload first
    changed_meanwhile: bool = False  # someone saved one of its figures during the save
    unavailable: bool = False  # the database was lost during the pass: nothing is saved
    stopped: str = ""  # why the file was not read to its end (too many rows, hopeless)
    # The first value of each kind written the user's way (written.Reading.kind), for the
    # preview to say how it was read.
    readings: dict[str, Reading] = field(default_factory=dict)

    @property
    def ready(self) -> int:
        return self.new + self.changed + self.unchanged

    @property
    def blocked(self) -> bool:
        """A row stands in the way, or the file was not read whole; a file is saved whole or
        not at all."""
        return bool(self.errors.count or self.uncommented.count or self.stopped)

    @property
    def can_save(self) -> bool:
        return not self.blocked and bool(self.new or self.changed)

    @property
    def warnings(self) -> list[Problem]:
        """The listed warnings in row order, those that need a comment and those explained."""
        listed = self.uncommented.problems + self.explained.problems
        return sorted(listed, key=lambda problem: problem.row)

    @property
    def unlisted_warnings(self) -> int:
        return self.uncommented.unlisted + self.explained.unlisted


def _report_data(report: Report) -> dict:
    """A check's report as JSON data, for its checked file."""
    return {
        "counts": [report.new, report.changed, report.unchanged],
        "rows": {
            kind: [rows.count, rows.found, rows.numbers,
                   [[p.row, p.column, p.message, p.kind, p.comment] for p in rows.problems]]
            for kind, rows in (("errors", report.errors), ("uncommented", report.uncommented),
                               ("explained", report.explained))
        },
        "sample": [
            [s.row, s.enterprise_id, s.indicator.code, s.phase, s.period_start.isoformat(),
             s.period_end.isoformat(), s.inputs, s.value, s.outcome]
            for s in report.sample
        ],
    }  # fmt: skip


def report_data(report: Report) -> dict:
    """The whole report as JSON data, for a job's record: what _report_data keeps, and how the
    pass ended and how values were read."""
    return _report_data(report) | {
        "ended": [report.saved, report.saved_before, report.changed_meanwhile,
                  report.unavailable, report.stopped],
        "readings": {kind: [r.kind, r.written, r.read_as] for kind, r in report.readings.items()},
    }  # fmt: skip


def report_from(data: dict) -> Report:
    """The report kept by report_data."""
    report = _report_from(data)
    (report.saved, report.saved_before, report.changed_meanwhile, report.unavailable,
     report.stopped) = data["ended"]  # fmt: skip
    report.readings = {kind: Reading(*found) for kind, found in data["readings"].items()}
    return report


def _report_from(data: dict) -> Report:
    """The report kept by _report_data."""
    report = Report(*data["counts"])
    for kind, (count, found, numbers, problems) in data["rows"].items():
        rows = Rows(count, found, numbers, [Problem(*problem) for problem in problems])
        setattr(report, kind, rows)
    report.sample = [
        SampleRow(number, enterprise_id, BY_CODE[code], Phase(phase), date.fromisoformat(start),
                  date.fromisoformat(end), inputs, value, outcome)
        for number, enterprise_id, code, phase, start, end, inputs, value, outcome
        in data["sample"]
    ]  # fmt: skip
    return report


class _Figure:
    """What the import needs to know of one measurement, stored or staged by an earlier row."""

    __slots__ = (
        "comment", "id", "inputs", "period_end", "period_start", "phase", "row", "status",
        "updated_at", "value", "version",
    )  # fmt: skip

    def __init__(self, **values):
        self.row = None
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def period_days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    def claim(self, row: int) -> None:
        """Mark it taken by this row; a later row with its key is a repeat, so only what a
        baseline is compared by stays in memory."""
        self.row, self.inputs, self.comment = row, None, None

    @property
    def is_locked(self) -> bool:
        return self.status == Status.VERIFIED


class _Enterprise:
    """An enterprise the file writes to: its workers, its figures by (indicator, phase,
    period), and its baselines by indicator and period for the cycle and plausibility checks,
    where the file's baseline rows stand for the stored baselines of their periods; and the
    digest of what was read, which the checked file keeps for the save."""

    def __init__(self, enterprise: Enterprise):
        self.id = enterprise.id
        self.workers = enterprise.workers_total
        self.figures: dict[tuple, _Figure] = {}
        self.baselines: dict[str, dict[tuple[date, date], _Figure]] = {}
        self._noted: set[tuple[str, date, date]] = set()
        digest = checked_file.FiguresDigest(self.workers)
        for row in db.session.execute(checked_file.figures_of([enterprise.id])):
            digest.add(row)
            figure = _Figure(
                id=row.id, phase=Phase(row.phase), period_start=row.period_start,
                period_end=row.period_end,
                inputs=named_inputs(row.indicator, row.input_1, row.input_2),
                value=row.value, status=Status(row.status), comment=row.comment,
                version=row.version, updated_at=row.updated_at,
            )  # fmt: skip
            self.add(row.indicator, figure)
            if figure.phase == Phase.BASELINE:
                self._keep_baseline(row.indicator, figure)
        self.digest = digest.hexdigest()

    def add(self, indicator: str, figure: _Figure) -> None:
        self.figures[(indicator, figure.phase, figure.period_start, figure.period_end)] = figure

    def _keep_baseline(self, indicator: str, figure: _Figure) -> None:
        self.baselines.setdefault(indicator, {})[figure.period_start, figure.period_end] = figure

    def note_baseline(self, indicator: str, start: date, end: date, value: float | None) -> None:
        """A baseline row of the file, which stands for any stored baseline of its period; its
        value is None while its inputs are wrong. A later row of the same period repeats it
        (an error of its own) and changes nothing."""
        if (indicator, start, end) not in self._noted:
            self._noted.add((indicator, start, end))
            self._keep_baseline(
                indicator,
                _Figure(id=None, phase=Phase.BASELINE, period_start=start, period_end=end,
                        value=value),
            )  # fmt: skip

    def cycle_baselines(self, indicator: str) -> list[_Figure]:
        """The indicator's baselines, stored or in the file, whatever their order in it."""
        return list(self.baselines.get(indicator, {}).values())


def upload_path(folder: Path, upload: MeasurementImport) -> Path:
    return folder / upload.stored_name


def _copy_path(upload_file: Path) -> Path:
    """Where the numbered copy of an XLSX upload is kept, for the pass that saves it."""
    return upload_file.with_suffix(".rows.csv")


def _forget(upload_file: Path) -> None:
    copy = _copy_path(upload_file)
    for path in (upload_file, copy, copy.with_suffix(".part")):
        path.unlink(missing_ok=True)
    checked_file.forget(upload_file)


def import_of(user: User, token: str) -> MeasurementImport | None:
    """The user's own upload with this token; anyone else's is not found."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    return db.session.scalar(
        select(MeasurementImport).where(
            MeasurementImport.token == token, MeasurementImport.user_id == user.id
        )
    )


def discard_stale_uploads(folder: Path, now: datetime) -> None:
    """Forget uploads never saved after a day, and their files (in `folder`, or in the
    database; not committed: the caller's next commit carries it)."""
    stale = list(
        db.session.scalars(
            select(MeasurementImport).where(
                MeasurementImport.saved_at.is_(None),
                MeasurementImport.uploaded_at < now - KEEP_UNSAVED,
            )
        )
    )
    for upload in stale:
        _forget(upload_path(folder, upload))
    import_files.forget(stale)
    import_files.sweep(now - KEEP_UNSAVED)
    db.session.execute(
        delete(MeasurementImport).where(MeasurementImport.id.in_([u.id for u in stale]))
    )


def _store(upload: FileStorage, path: Path, max_bytes: int) -> int:
    """Copy the upload to `path` in chunks; its size, or more than max_bytes when it is larger."""
    size = 0
    with path.open("wb") as file:
        while chunk := upload.stream.read(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                break
            file.write(chunk)
    return size


def _unreadable() -> str:
    return _("This file cannot be read: save it again as CSV UTF-8 or XLSX.")


def _too_many_rows(rows: int, max_rows: int) -> str:
    return ngettext(
        "This file has %(rows)s row below its header; at most %(limit)s are accepted: split it "
        "into smaller files.",
        "This file has %(rows)s rows below its header; at most %(limit)s are accepted: split it "
        "into smaller files.",
        rows, rows=format_number(rows), limit=format_number(max_rows),
    )  # fmt: skip


def _zipped_problem(path: Path, file_format: str, max_rows: int) -> str | None:
    """Why an XLSX or ODS upload is refused before it is opened: what it would unpack to, from
    its zip directory, then the rows of its sheets, counted without keeping them."""
    kind = file_format.upper()
    size, limit = unzipped_size(path), max(max_rows * XLSX_BYTES_PER_ROW, MIN_XLSX_BYTES)
    if size > limit:
        return _(
            "This %(kind)s file unpacks to %(size)s MB; the largest accepted is %(limit)s MB. "
            "Save it again without its empty rows, or as CSV UTF-8.",
            kind=kind, size=format_number(size / 1_000_000, 1),
            limit=format_number(limit / 1_000_000, 0 if limit % 1_000_000 == 0 else 1),
        )  # fmt: skip
    count = xlsx_shape if file_format == "xlsx" else ods_shape
    shape = count(path, most_rows=max_rows + 1)  # the header is a row of the sheet
    if shape.crowded:
        return _(
            "This %(kind)s file holds far more than rows of figures (a row of thousands of "
            "cells, or thousands of other parts): copy its rows into the template, or save it "
            "as CSV UTF-8.",
            kind=kind,
        )
    if shape.rows > max_rows + 1:
        return ngettext(
            "This file has more than %(limit)s row below its header (empty rows count too): "
            "split it into smaller files.",
            "This file has more than %(limit)s rows below its header (empty rows count too): "
            "split it into smaller files.",
            max_rows, limit=format_number(max_rows),
        )  # fmt: skip
    return None


def _file_problem(path: Path, file_format: str, extension: str, max_rows: int) -> str | None:
    """Why the upload cannot be checked, from what is known before its rows are checked: its
    kind, for an XLSX the size it unpacks to and its rows, its header, and the rows it says it
    has."""
    if file_format != extension:
        return _("This file's content is not %(kind)s: save it again as CSV UTF-8 or XLSX.",
                 kind=extension.upper())  # fmt: skip
    try:
        if file_format in ZIPPED and (refused := _zipped_problem(path, file_format, max_rows)):
            return refused
        with open_table(path, file_format) as table:
            missing = _missing_columns(table.header)
            rows = table.rows_about
    except UnreadableFile:
        return _unreadable()
    except UnicodeDecodeError:
        return _("This CSV file is not UTF-8 text: save it again as CSV UTF-8.")
    if missing:
        return _(
            "The first row must name the columns; %(columns)s are missing. Start from the "
            "template.",
            columns=", ".join(missing),
        )
    if rows and rows > max_rows:
        return _too_many_rows(rows, max_rows)
    return None


def store_upload(
    user: User, upload: FileStorage | None, folder: Path, max_bytes: int, max_rows: int
) -> MeasurementImport:
    """Keep an uploaded CSV, XLSX or ODS file for its preview, or raise InvalidInput on `file`."""
    filename = (upload.filename or "").strip() if upload else ""
    if not filename:
        raise InvalidInput({"file": _("Choose a CSV, XLSX or ODS file.")})
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise InvalidInput({"file": _("Upload a CSV, XLSX or ODS file (.csv, .xlsx or .ods).")})
    discard_stale_uploads(folder, utcnow())
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    path = folder / f"{token}.{extension}"
    size = _store(upload, path, max_bytes)
    problem = (
        _("This file is larger than %(limit)s MB.", limit=format_number(max_bytes / 1_000_000))
        if size > max_bytes
        else _file_problem(path, file_format_of(path), extension, max_rows)
    )
    if problem:
        path.unlink(missing_ok=True)
        db.session.commit()
        raise InvalidInput({"file": problem})
    stored = MeasurementImport(
        token=token, user_id=user.id, filename=filename[:200], file_format=extension
    )
    db.session.add(stored)
    import_files.keep_upload(path)
    db.session.commit()
    return stored


def template_rows() -> list[tuple]:
    """The template's example rows, in MEASUREMENT_COLUMNS, with their value computed."""
    definition = BY_CODE[EXAMPLE_INDICATOR]
    first, second = (spec.name for spec in definition.inputs)
    rows = []
    for phase, start, end, (one, other) in EXAMPLES:
        values = {
            "enterprise": EXAMPLE_ENTERPRISE, "indicator": definition.code, "phase": phase.value,
            "period_start": start, "period_end": end, "input_1_name": first, "input_1": one,
            "input_2_name": second, "input_2": other,
            "value": round(compute(definition.code, {first: one, second: other}), 2),
            "comment": _("An example: delete this row."),
        }  # fmt: skip
        rows.append(tuple(values.get(column.name, "") for column in MEASUREMENT_COLUMNS))
    return rows


def enterprise_list(user: User) -> list[tuple]:
    """The enterprises whose figures the user may import, in ENTERPRISE_LIST_COLUMNS, by name."""
    return db.session.execute(
        scoped_enterprises(user)
        .where(figures_scope(user))
        .with_only_columns(Enterprise.id, *ENTERPRISE_FACTS)
        .order_by(Enterprise.name_folded, Enterprise.id)
    ).all()  # fmt: skip


def _missing_columns(header) -> list[str]:
    """The columns a file needs that its header lacks: the enterprise's id counts as missing
    only when its name is missing too."""
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if not any(name in header for name in ENTERPRISE_COLUMNS):
        missing.insert(0, ENTERPRISE_COLUMNS[0])
    return missing


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return strip_formula_guard(str(value).strip())


def _whole(value) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DB_ID:
        return value
    return None


def _unreadable_from_here() -> str:
    return _("The file cannot be read from this row on: save it again as CSV UTF-8 or XLSX.")


class _ChangedMeanwhile(Exception):
    """A figure of the file was saved by someone else after the preview or during this pass."""


class _Unreadable(Exception):
    """The file cannot be read on from a row: (row, column, message)."""


class _Stopped(Exception):
    """The file is not read on: (why,), for the whole page rather than one row."""


@dataclass(frozen=True)
class _Row:
    """A file row as read: its fields, and what is wrong with them by column."""

    enterprise: "_Enterprise | None"
    indicator: str
    phase: str
    start: date | None
    end: date | None
    comment: str
    definition: Indicator | None  # with `values`, when the contract's fields are right
    values: dict[str, float] | None
    problems: dict[str, str]


class MeasurementFile:
    """A check or a save of an uploaded file: `run()` yields Progress and leaves `report`
    complete. With `save`, the rows are written as they are checked and committed at the end if
    no row stands in the way (an error, or a warning without a comment); otherwise everything is
    rolled back. A check that finds the file savable keeps what it found beside the upload
    (programme.checked); a save for which all of that still holds writes it without checking
    the rows again, and any other save checks them all."""

    def __init__(
        self,
        user: User,
        upload: MeasurementImport,
        folder: Path,
        *,
        save: bool,
        max_rows: int,
        before_commit=None,
    ):
        # A streamed page runs this after its view has returned, in a session of its own.
        self._ids = (user.id, upload.id)
        self.folder = folder
        self.save = save
        self.max_rows = max_rows
        # Called with the report just before a save commits, to record in the same transaction
        # that this save is done (its job), so that a retry never writes the rows again.
        self.before_commit = before_commit
        self._checked = 0  # rows with something in them, by the pass that checks them
        self.report = Report()
        self.locale = current_locale_code()  # numbers and dates written the user's way
        self._enterprises: dict[int, _Enterprise | str] = {}
        self._named: dict[str, int | str] = {}  # an enterprise's id by its folded name, or why not
        self._new: list[tuple[dict, int]] = []  # (draft_values, row number)
        self._changed: list[tuple[int, int, kpis.Checked, str, int]] = []
        self._groups: set[kpis.Group] = set()
        self._locked: set[int] = set()  # enterprises whose figures this save holds
        self._keeping: checked_file.CheckedWriter | None = None  # a check's checked file
        self._last_row = 1  # the last row read
        # A figure the file changes was saved after the preview began (_check_previewed):
        # whatever this check shows, its save will refuse it, so it keeps no checked file.
        self._saved_since_preview = False

    def run(self) -> Iterator[Progress]:
        try:
            yield from self._run()
        except BaseException as error:
            if self._keeping is not None:
                self._keeping.discard()
            # Whatever stopped the pass (even the reader leaving the page), nothing is saved.
            db.session.rollback()
            self.report.saved = False
            if isinstance(error, _ChangedMeanwhile) or met_another_save(error):
                self.report.changed_meanwhile = True  # someone saved a figure of the file
            elif is_database_lost(error):
                # The page began long ago, as a 200: it says what the 503 page would.
                self.report.unavailable = True
            else:
                raise

    def _run(self) -> Iterator[Progress]:
        user_id, upload_id = self._ids
        self.user = db.session.get(User, user_id)
        self.upload = db.session.get(MeasurementImport, upload_id)
        self.path = upload_path(self.folder, self.upload)
        if self.save and not self._claim():
            self.report.saved_before = True
            return
        if self.save:
            checked = self._still_checked()
            if checked is None:
                yield from self._read()
            else:
                with closing(checked):
                    yield from self._replay(checked)
            self._finish()
            return
        self.upload.checked_at = utcnow()
        db.session.commit()
        self._keeping = checked_file.CheckedWriter(self.path)
        basis = self._basis() | {"sha256": checked_file.file_digest(self.path)}
        yield from self._read()
        self._keep_checked(basis)

    def _basis(self) -> dict:
        """What a check's outcome rests on besides the figures and the file itself: its
        checked file holds for a save only while all of it is the same."""
        return {
            "format": checked_file.FORMAT,
            "user": self.user.id,
            "locale": current_locale_code(),
            "day": date.today().isoformat(),
            "checked_at": self.upload.checked_at.isoformat(),
            "max_rows": self.max_rows,
        }

    def _keep_checked(self, basis: dict) -> None:
        """At the end of a check: keep what it found for the save, with what it rests on, when
        the file can be saved as it stands (a file that cannot is checked again by any save,
        which refuses it)."""
        enterprises = sorted(self._enterprises.items())
        if (
            self.report.blocked
            or self._saved_since_preview
            or any(isinstance(found, str) for _id, found in enterprises)
        ):
            self._keeping.discard()
            return
        header = basis | {
            "about": self._last_row - 1,
            "enterprises": len(enterprises),
            "report": _report_data(self.report),
        }
        self._keeping.finish(header, ((id_, found.digest) for id_, found in enterprises))

    def _still_checked(self) -> checked_file.CheckedFile | None:
        """The upload's checked file, if what it rests on still holds now that this save holds
        the figures of its enterprises (taken in id order, as kpis.lock_figures wants): the
        same upload, locale, day and preview, and each enterprise still within the user's
        reach with the same headcount and figures. None (check every row) otherwise."""
        checked = checked_file.CheckedFile.open(self.path)
        if checked is None:
            return None
        header = checked.header
        holds = all(header.get(key) == value for key, value in self._basis().items())
        try:
            holds = holds and header.get("sha256") == checked_file.file_digest(self.path)
        except FileNotFoundError:
            holds = False  # the check that follows says what a missing upload does
        for enterprises in checked.enterprises(VERIFY_BATCH) if holds else ():
            ids = [enterprise_id for enterprise_id, _digest in enterprises]
            kpis.lock_figures(ids)
            self._locked.update(ids)
            if self._figures_digests(ids) != dict(enterprises):
                holds = False
                break
        if not holds:
            checked.close()
            return None
        return checked

    def _figures_digests(self, ids: list[int]) -> dict[int, str | None]:
        """The digest of each enterprise's figures as stored now (None for an enterprise the
        user may no longer import into)."""
        found = db.session.scalars(scoped_enterprises(self.user).where(Enterprise.id.in_(ids)))
        digests = {
            enterprise.id: checked_file.FiguresDigest(enterprise.workers_total)
            for enterprise in found
            if may_see_figures(self.user, enterprise)
        }
        for figure in db.session.execute(checked_file.figures_of(digests)):
            digests[figure.enterprise_id].add(figure)
        return {id_: digests[id_].hexdigest() if id_ in digests else None for id_ in ids}

    def _replay(self, checked: checked_file.CheckedFile) -> Iterator[Progress]:
        """The save of a file whose check still holds: the check's report, and the rows it
        would write, written in batches as the checked file gives them."""
        self.report = _report_from(checked.header["report"])
        about = checked.header["about"]
        for kind, number, enterprise_id, code, *entered, place in checked.rows():
            first, second, value, warnings, comment = entered
            figure = kpis.Checked(BY_CODE[code], named_inputs(code, first, second), value,
                                  warnings)  # fmt: skip
            if kind == "new":
                phase, start, end = place
                draft = kpis.draft_values(
                    self.user, enterprise_id, figure, phase, date.fromisoformat(start),
                    date.fromisoformat(end), comment,
                )  # fmt: skip
                self._new.append((draft, number))
            else:
                figure_id, version = place
                self._changed.append((figure_id, version, figure, comment, number))
            self._groups.add((enterprise_id, code))
            if len(self._new) + len(self._changed) >= WRITE_BATCH:
                self._write()
                yield Progress(number - 1, about)
        yield Progress(about, about)

    def _claim(self) -> bool:
        """Lock the upload for this transaction if it is still unsaved: a second Save of the
        same file (a double click) waits for the first, then finds it saved."""
        claimed = db.session.execute(
            update(MeasurementImport)
            .where(MeasurementImport.id == self.upload.id, MeasurementImport.saved_at.is_(None))
            .values(saved_at=None)
            .execution_options(synchronize_session=False)
        )
        return claimed.rowcount == 1

    def _source(self) -> tuple[Path, str]:
        copy = _copy_path(self.path)
        return (copy, "numbered") if copy.exists() else (self.path, self.upload.file_format)

    def _read(self) -> Iterator[Progress]:
        """Two passes: the file's baselines first, so that each follow-up meets the baseline of
        its cycle wherever that baseline's row stands in the file; then every row, in order.
        A file with too many rows stops the first pass, a hopeless one the second."""
        try:
            # Where the file cannot be read on, the second pass says so, after the rows before.
            with suppress(_Unreadable):
                yield from self._pass(self._note_baseline, reading=True)
            try:
                yield from self._pass(self._check_row)
            except _Unreadable as unreadable:
                self._error(*unreadable.args)
        except _Stopped as stopped:
            self.report.stopped = stopped.args[0]

    def _pass(self, handle, *, reading: bool = False) -> Iterator[Progress]:
        """Each row with something in it to `handle`. Progress counts every row read, empty
        ones too, so that the page keeps moving and a server notices soon when its reader has
        left (it then closes this generator, and the transaction is rolled back)."""
        for number, cells, about in self._table_rows():
            self._last_row = number
            if cells is not None:
                handle(number, cells)
            if self.save and len(self._new) + len(self._changed) >= WRITE_BATCH:
                self._write()
            if (number - 1) % PROGRESS_EVERY == 0:
                yield Progress(number - 1, about, reading)

    def _table_rows(self) -> Iterator[tuple[int, dict | None, int | None]]:
        """(row number, cells by column or None for an empty row, data rows about) of each row
        below the header; _Unreadable where the file cannot be read on, _Stopped past the row
        limit. The first pass over an XLSX upload keeps a numbered copy, which the passes after
        it read."""
        last = 1
        path, file_format = self._source()
        try:
            with open_table(path, file_format) as table:
                positions = {name: n for n, name in enumerate(table.header) if name}
                if missing := _missing_columns(positions):
                    raise _Unreadable(1, missing[0], _("This column is missing."))
                rows = table.rows
                if file_format in ZIPPED:
                    rows = copy_rows(table, _copy_path(self.path))
                for last, values in rows:
                    if last > self.max_rows + 1:
                        raise _Stopped(self._past_the_limit(last))
                    cells = {name: values[n] if n < len(values) else None
                             for name, n in positions.items()}  # fmt: skip
                    filled = any(_text(value) for value in cells.values())
                    yield last, cells if filled else None, table.rows_about
        except UnreadableFile as error:
            if last == 1:
                raise _Unreadable(1, "", _unreadable()) from error
            raise _Unreadable(last + 1, "", _unreadable_from_here()) from error
        except (UnicodeDecodeError, csv.Error) as error:
            raise _Unreadable(last + 1, "", _unreadable_from_here()) from error

    def _past_the_limit(self, number: int) -> str:
        return ngettext(
            "This file has more than %(limit)s row below its header (empty rows count too): "
            "checking stopped at row %(row)s. Split it into smaller files.",
            "This file has more than %(limit)s rows below its header (empty rows count too): "
            "checking stopped at row %(row)s. Split it into smaller files.",
            self.max_rows, limit=format_number(self.max_rows), row=format_number(number),
        )  # fmt: skip

    def _error(self, row: int, column: str, message: str) -> None:
        self.report.errors.add([Problem(row, column, message)])

    def _enterprise(self, enterprise_id: int) -> _Enterprise | str:
        """The enterprise with its figures, or why this user cannot import into it."""
        if enterprise_id not in self._enterprises:
            enterprise = db.session.scalar(
                scoped_enterprises(self.user).where(Enterprise.id == enterprise_id)
            )
            if enterprise is None:
                found = _("There is no enterprise %(id)s among those you can reach.",
                          id=enterprise_id)  # fmt: skip
            else:
                try:
                    require_figures(self.user, enterprise)
                    found = _Enterprise(enterprise)
                except NotAllowed as refusal:
                    found = refusal.reason
            self._enterprises[enterprise_id] = found
        return self._enterprises[enterprise_id]

    def _named_enterprise(self, name: str) -> int | str:
        """The id of the one enterprise the user reaches with this exact name (letter case and
        accents aside), or why there is none."""
        key = name_key(name)
        if key == fold(EXAMPLE_ENTERPRISE):
            return _("This is an example row of the template: delete it.")
        if key not in self._named:
            ids = db.session.scalars(
                scoped_enterprises(self.user)
                .where(Enterprise.name_folded == key)
                .with_only_columns(Enterprise.id)
                .limit(2)
            ).all()
            if not ids:
                found = _("There is no enterprise called %(name)s among those you can reach.",
                          name=name)  # fmt: skip
            elif len(ids) > 1:
                found = _("Several enterprises you can reach are called %(name)s: write the id "
                          "of the one you mean in enterprise_id.", name=name)  # fmt: skip
            else:
                found = ids[0]
            self._named[key] = found
        return self._named[key]

    def _note(self, reading: Reading | None) -> None:
        """Keep the first value of each kind written the user's way, for the preview."""
        if reading is not None:
            self.report.readings.setdefault(reading.kind, reading)

    def _number(self, value) -> float | str | None:
        """A raw input as a number, "" when blank (for the contract's own message), None if
        bad; Unclear when it reads two ways."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value) if math.isfinite(value) else None
        text = _text(value)
        if not text:
            return ""
        found = read_number(text, self.locale)
        if found is None:
            return None
        number, reading = found
        self._note(reading)
        return number

    def _day(self, value, other) -> date | str | None:
        """A date cell or a date as text (ISO, or written the user's way, read with the help of
        the row's `other` date); "" when blank, None when unreadable."""
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = _text(value)
        if not text:
            return ""
        found = read_day(text, _text(other), self.locale)
        if found is None:
            return None
        day, reading = found
        self._note(reading)
        return day

    def _inputs(self, definition: Indicator | None, cells: dict, problems: dict) -> dict:
        """The raw inputs by name, from the two name and value column pairs."""
        inputs, expected = {}, [spec.name for spec in definition.inputs] if definition else []
        for k in (1, 2):
            name = _text(cells[f"input_{k}_name"])
            try:
                number = self._number(cells[f"input_{k}"])
            except Unclear as unclear:
                problems[f"input_{k}"] = str(unclear)
                continue
            if definition and (name not in expected or name in inputs):
                problems[f"input_{k}_name"] = _(
                    "%(indicator)s has the inputs %(first)s and %(second)s.",
                    indicator=definition.code, first=expected[0], second=expected[1],
                )  # fmt: skip
            elif number is None:
                problems[f"input_{k}"] = _("Write a number, for example 1250.5.")
            else:
                inputs[name] = number
        return inputs

    def _read_row(self, cells: dict) -> _Row:
        problems: dict[str, str] = {}
        enterprise, column, enterprise_id = None, "enterprise_id", cells.get("enterprise_id")
        name = _text(cells.get("enterprise"))
        if not _text(enterprise_id) and name:
            column, enterprise_id = "enterprise", self._named_enterprise(name)
            if isinstance(enterprise_id, str):
                problems[column], enterprise_id = enterprise_id, None
        elif (enterprise_id := _whole(enterprise_id)) is None:
            problems[column] = _(
                "Write the enterprise's id, as in the export, or its exact name in the "
                "enterprise column."
            )
        if enterprise_id is not None:
            enterprise = self._enterprise(enterprise_id)
            if isinstance(enterprise, str):
                problems[column], enterprise = enterprise, None
        indicator, phase = _text(cells["indicator"]), _text(cells["phase"])
        if phase not in PHASES:
            problems["phase"] = _("Write baseline or follow_up.")
        start_cell, end_cell = cells["period_start"], cells["period_end"]
        days = {
            "period_start": self._day(start_cell, end_cell),
            "period_end": self._day(end_cell, start_cell),
        }
        for name, day in days.items():
            if day is None:
                problems[name] = _("Enter a date as YYYY-MM-DD, for example 2025-01-31.")
        comment = _text(cells.get("comment"))
        if len(comment) > MAX_COMMENT:
            problems["comment"] = _("Keep this under %(limit)s characters.",
                                    limit=format_number(MAX_COMMENT))  # fmt: skip
        inputs = self._inputs(BY_CODE.get(indicator), cells, problems)
        start, end = (day or None for day in days.values())
        definition = values = None
        try:
            definition, values = kpis.check_fields(
                indicator=indicator, phase=phase, period_start=start, period_end=end,
                inputs=inputs,
            )  # fmt: skip
        except InvalidInput as error:
            for key, message in error.errors.items():
                if column := self._column(key, cells):
                    problems.setdefault(column, message)
        return _Row(enterprise, indicator, phase, start, end, comment, definition, values,
                    problems)  # fmt: skip

    def _note_baseline(self, _number: int, cells: dict) -> None:
        """The first pass: a baseline row whose enterprise, indicator and period are right
        starts a cycle, even while its inputs are wrong (its follow-ups get no second error
        for it); its value, once its inputs are right, is what they are compared with."""
        if _text(cells["phase"]) != Phase.BASELINE:
            return
        row = self._read_row(cells)
        if not KEY_COLUMNS & row.problems.keys():
            value = None if row.values is None else compute(row.indicator, row.values)
            row.enterprise.note_baseline(row.indicator, row.start, row.end, value)

    def _check_row(self, number: int, cells: dict) -> None:
        row = self._read_row(cells)
        if row.problems:
            self._report_row(number, row.problems)
        else:
            self._classify(number, row)
        self._checked += 1
        if self._checked == HOPELESS_ROWS and self.report.errors.count == HOPELESS_ROWS:
            raise _Stopped(
                ngettext(
                    "The first %(count)s row has an error, so checking stopped there: correct "
                    "it, or start from the template.",
                    "The first %(count)s rows all have an error, so checking stopped there: "
                    "correct them, or start from the template.",
                    HOPELESS_ROWS,
                    count=format_number(HOPELESS_ROWS),
                )
            )

    @staticmethod
    def _column(key: str, cells: dict) -> str | None:
        """The file's column for a field of check_fields ('inputs.hours_worked' -> 'input_2'),
        None for an input no column names (its name column has the problem already)."""
        if key.startswith("inputs."):
            name = key.removeprefix("inputs.")
            return next(
                (f"input_{k}" for k in (1, 2) if _text(cells[f"input_{k}_name"]) == name), None
            )
        return key

    def _report_row(self, number: int, problems: dict[str, str]) -> None:
        """A row's errors, in the file's column order."""
        columns = sorted(problems, key=lambda c: COLUMN_ORDER.get(c, 99))
        self.report.errors.add([Problem(number, column, problems[column]) for column in columns])

    def _classify(self, number: int, row: _Row) -> None:
        """Unchanged, changed or new; locked, repeated or before the indicator's first baseline
        is an error; a warning keeps the row back until its comment explains it."""
        enterprise, code = row.enterprise, row.definition.code
        figure = enterprise.figures.get((code, row.phase, row.start, row.end))
        if figure is not None and figure.row is not None:
            self._report_row(number, {"period_start": _(
                "Row %(row)s already has this enterprise, indicator, phase and period.",
                row=figure.row,
            )})  # fmt: skip
            return
        if figure is not None and figure.inputs == row.values and figure.comment == row.comment:
            self.report.unchanged += 1
            self._sample(number, enterprise, row.definition, figure, "unchanged")
            figure.claim(number)
            return
        baselines = enterprise.cycle_baselines(code)
        if errors := _hard_errors(row, figure, baselines):
            self._report_row(number, errors)
            return
        checked = kpis.weigh_plausibility(
            row.definition, row.values, phase=row.phase, period_start=row.start,
            period_end=row.end, workers=enterprise.workers,
            baseline=cycle_baseline(baselines, row.start),
        )  # fmt: skip
        if checked.warnings and not self._warn(number, checked.warnings, row.comment):
            return
        self._stage(number, checked, row, figure)

    def _warn(self, number: int, warnings: list[dict], comment: str) -> bool:
        """List a row's warnings on its comment column; whether the comment explains them (the
        row is ready) or the row needs one."""
        why = warnings_text(warnings)
        if comment:
            self.report.explained.add([Problem(number, "comment", why, EXPLAINED, comment)])
            return True
        # i18n: %(column)s is the name of the file's column, "comment", the same in every language.
        message = _("%(warnings)s Write why in the %(column)s column of the file.",
                    warnings=why, column="comment")  # fmt: skip
        self.report.uncommented.add([Problem(number, "comment", message, NEEDS_COMMENT)])
        return False

    def _stage(self, number: int, checked: kpis.Checked, row: _Row, figure: _Figure | None) -> None:
        enterprise = row.enterprise
        if figure is not None and figure.id is not None:
            self._check_previewed(figure)
        outcome = "new" if figure is None else "changed"
        if figure is None:
            figure = _Figure(id=None, phase=Phase(row.phase), period_start=row.start,
                             period_end=row.end)  # fmt: skip
            enterprise.add(checked.indicator.code, figure)
            self.report.new += 1
        else:
            self.report.changed += 1
        figure.inputs, figure.value, figure.comment = checked.inputs, checked.value, row.comment
        figure.status = Status.DRAFT
        self._sample(number, enterprise, checked.indicator, figure, outcome)
        figure.claim(number)
        if not self.save:
            self._keep_row(number, checked, row, figure)
            return
        if self.report.blocked:
            return
        self._groups.add((enterprise.id, checked.indicator.code))
        if figure.id is None:
            draft = kpis.draft_values(
                self.user, enterprise.id, checked, row.phase, row.start, row.end, row.comment
            )
            self._new.append((draft, number))
        else:
            self._changed.append((figure.id, figure.version, checked, row.comment, number))

    def _keep_row(self, number: int, checked: kpis.Checked, row: _Row, figure: _Figure) -> None:
        """A row the check would have the save write, in the checked file (until the file is
        found not savable)."""
        if self.report.blocked:
            return
        first, second = (checked.inputs[spec.name] for spec in checked.indicator.inputs)
        if figure.id is None:
            place = [row.phase, row.start.isoformat(), row.end.isoformat()]
        else:
            place = [figure.id, figure.version]
        self._keeping.add(
            ["new" if figure.id is None else "changed", number, row.enterprise.id,
             checked.indicator.code, first, second, checked.value, checked.warnings,
             row.comment, place]
        )  # fmt: skip

    def _sample(self, number, enterprise, definition, figure, outcome) -> None:
        if len(self.report.sample) < SAMPLE_ROWS:
            self.report.sample.append(
                SampleRow(
                    number,
                    enterprise.id,
                    definition,
                    figure.phase,
                    figure.period_start,
                    figure.period_end,
                    figure.inputs,
                    figure.value,
                    outcome,
                )
            )

    def _check_previewed(self, figure: _Figure) -> None:
        """A stored figure the file would change must be as the preview showed it: saved
        before the preview began (a new row then, made since, counts as changed too). A check
        notes that its save would be refused."""
        checked_at = self.upload.checked_at
        if checked_at is None or figure.updated_at > checked_at:
            if not self.save:
                self._saved_since_preview = True
                return
            raise _ChangedMeanwhile

    def _reason(self, number: int) -> str:
        return _("Imported from %(file)s, row %(row)s.", file=self.upload.filename, row=number)

    def _insert_drafts(self) -> None:
        """The new drafts and their audit rows in two bulk statements of the tables' own (no
        ORM objects): thousands of rows in a fraction of the time the unit of work would take
        one by one. The rows are those a single entry writes (kpis.draft_values and
        kpis.draft_audit_values). The new ids come back in any order, each with its figure's
        key, which is unique: asking them in the rows' order would make SQLite insert them one
        by one."""
        measurements = Measurement.__table__
        key = [measurements.c[column] for column in FIGURE_KEY]
        inserted = db.session.execute(
            insert(measurements).returning(measurements.c.id, *key),
            [draft for draft, _number in self._new],
        )
        ids = {tuple(found[1:]): found.id for found in inserted}
        reason = self._reason
        audits = [
            kpis.draft_audit_values(
                draft, ids[tuple(draft[column] for column in FIGURE_KEY)], self.user,
                reason(number),
            )
            for draft, number in self._new
        ]  # fmt: skip
        db.session.execute(insert(MeasurementAudit.__table__), audits)

    def _write(self) -> None:
        """Send the staged rows to the database, within the import's one transaction."""
        if self.report.blocked:
            self._new, self._changed = [], []
            return
        self._lock_figures()
        if self._new:
            self._insert_drafts()
        if self._changed:
            ids = [figure_id for figure_id, *_rest in self._changed]
            stored = {
                m.id: m
                for m in db.session.scalars(select(Measurement).where(Measurement.id.in_(ids)))
            }
            for figure_id, version, checked, comment, number in self._changed:
                measurement = stored.get(figure_id)
                # Saved, or deleted, since this pass read it.
                if measurement is None or measurement.version != version:
                    raise _ChangedMeanwhile
                kpis.revise_measurement(
                    self.user, measurement, checked, comment, reason=self._reason(number)
                )
        self._new, self._changed = [], []

    def _lock_figures(self) -> None:
        """Lock the figures of the enterprises met since the last batch before writing any of
        them, as every writer of figures does (kpis.lock_figures)."""
        met = {enterprise_id for enterprise_id, _code in self._groups} - self._locked
        if met:
            kpis.lock_figures(met)
            self._locked |= met

    def _finish(self) -> None:
        """Commit everything when no row stands in the way and the pass read the whole file."""
        self._write()
        if self.report.blocked:
            db.session.rollback()
            return
        kpis.refresh_latest(self._groups)
        self.upload.saved_at = utcnow()
        self.upload.created_count = self.report.new
        self.upload.changed_count = self.report.changed
        self.upload.unchanged_count = self.report.unchanged
        self.report.saved = True
        import_files.forget([self.upload])
        if self.before_commit is not None:
            self.before_commit(self.report)
        db.session.commit()
        _forget(self.path)


def _hard_errors(row: _Row, figure: _Figure | None, baselines: list[_Figure]) -> dict[str, str]:
    """What keeps a row that passed the contract from changing its figure: a verified figure,
    or a follow-up before the indicator's first baseline (as kpis.services checks a form)."""
    errors = kpis.check_cycle(baselines, phase=row.phase, period_start=row.start)
    if figure is not None:
        try:
            kpis.check_editable(figure)
        except InvalidInput as error:
            errors.update(error.errors)
    return errors
