"""Importing measurements from a CSV or XLSX file in the export's columns.

An upload is kept under the import folder, named by a random token bound to its user, until it
is saved. Checking reads the file row by row: every row passes the indicator contract, the
user's scope and consent, and the verified lock, and is classified new, changed or unchanged
against the enterprise's figures (loaded once per enterprise). Saving checks the same way and
writes as it goes, in one transaction that commits only when no row is bad. Both yield progress
while they work; the report lists every bad row by the row number a spreadsheet shows.
"""

import csv
import math
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from score_app.auth import policy
from score_app.auth.models import User
from score_app.enterprises.models import Enterprise
from score_app.errors import ExplainedRefusal, InvalidInput, is_conflict
from score_app.extensions import db, utcnow
from score_app.i18n import format_number
from score_app.i18n import gettext as _
from score_app.kpis import services as kpis
from score_app.kpis.definitions import BY_CODE, Indicator
from score_app.kpis.models import AuditAction, Measurement, MeasurementAudit, Phase, Status
from score_app.pages import MAX_DB_ID
from score_app.programme.exports import MEASUREMENT_COLUMNS
from score_app.programme.models import MeasurementImport
from score_app.programme.spreadsheets import (
    FORMATS,
    UnreadableFile,
    copy_rows,
    file_format_of,
    open_table,
    strip_formula_guard,
)

# Read on import; `enterprise`, `value` and `status` are for people (value is always computed).
REQUIRED_COLUMNS = (
    "enterprise_id", "indicator", "phase", "period_start", "period_end",
    "input_1_name", "input_1", "input_2_name", "input_2",
)  # fmt: skip
PHASES = frozenset(Phase)
COLUMN_ORDER = {column.name: n for n, column in enumerate(MEASUREMENT_COLUMNS)}
PROGRESS_EVERY = 500
WRITE_BATCH = 500
SAMPLE_ROWS = 10
MAX_COMMENT = 2000
KEEP_UNSAVED = timedelta(days=1)
# What kpis.services.new_draft sets on a new measurement; the rest are column defaults.
DRAFT_FIELDS = frozenset(
    {"enterprise_id", "indicator", "phase", "period_start", "period_end", "status", "input_1",
     "input_2", "value", "warnings", "comment", "entered_by_id"}
)  # fmt: skip
_TOKEN = re.compile(r"[0-9a-f]{32}")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass(frozen=True)
class Progress:
    done: int
    about: int | None  # the data rows the file seems to have, when known


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
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    sample: list[SampleRow] = field(default_factory=list)
    saved: bool = False
    saved_before: bool = False  # another request saved this upload first
    changed_meanwhile: bool = False  # someone saved one of its figures during the save

    @property
    def bad(self) -> int:
        return len({problem.row for problem in self.problems})

    @property
    def can_save(self) -> bool:
        return not self.problems and bool(self.new or self.changed)


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
    """An enterprise the file writes to: its workers and its figures by (indicator, phase,
    period), with its baselines by indicator for the plausibility checks."""

    def __init__(self, enterprise: Enterprise):
        self.id = enterprise.id
        self.workers = enterprise.workers_total
        self.figures: dict[tuple, _Figure] = {}
        self.baselines: dict[str, list[_Figure]] = {}
        query = select(
            Measurement.id, Measurement.indicator, Measurement.phase, Measurement.period_start,
            Measurement.period_end, Measurement.input_1, Measurement.input_2, Measurement.value,
            Measurement.status, Measurement.comment, Measurement.version, Measurement.updated_at,
        ).where(Measurement.enterprise_id == enterprise.id)  # fmt: skip
        for row in db.session.execute(query):
            first, second = BY_CODE[row.indicator].inputs
            self.add(
                row.indicator,
                _Figure(
                    id=row.id, phase=Phase(row.phase), period_start=row.period_start,
                    period_end=row.period_end,
                    inputs={first.name: row.input_1, second.name: row.input_2},
                    value=row.value, status=Status(row.status), comment=row.comment,
                    version=row.version, updated_at=row.updated_at,
                ),
            )  # fmt: skip

    def add(self, indicator: str, figure: _Figure) -> None:
        key = (indicator, figure.phase, figure.period_start, figure.period_end)
        self.figures[key] = figure
        if figure.phase == Phase.BASELINE:
            self.baselines.setdefault(indicator, []).append(figure)

    def baseline(self, indicator: str, itself: _Figure | None) -> _Figure | None:
        """The latest baseline by its last day, as kpis.services reads it from the database."""
        others = [f for f in self.baselines.get(indicator, ()) if f is not itself]
        return max(others, key=lambda f: f.period_end, default=None)


def upload_path(folder: Path, upload: MeasurementImport) -> Path:
    return folder / upload.stored_name


def _copy_path(upload_file: Path) -> Path:
    """Where the numbered copy of an XLSX upload is kept, for the pass that saves it."""
    return upload_file.with_suffix(".rows.csv")


def _forget(upload_file: Path) -> None:
    copy = _copy_path(upload_file)
    for path in (upload_file, copy, copy.with_suffix(".part")):
        path.unlink(missing_ok=True)


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
    """Forget uploads never saved after a day, and their files."""
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


def _file_problem(path: Path, file_format: str, extension: str) -> str | None:
    if file_format != extension:
        return _("This file's content is not %(kind)s: save it again as CSV UTF-8 or XLSX.",
                 kind=extension.upper())  # fmt: skip
    try:
        with open_table(path, file_format) as table:
            missing = [name for name in REQUIRED_COLUMNS if name not in table.header]
    except UnreadableFile:
        return _("This file cannot be read: save it again as CSV UTF-8 or XLSX.")
    except UnicodeDecodeError:
        return _("This CSV file is not UTF-8 text: save it again as CSV UTF-8.")
    if missing:
        return _(
            "The first row must name the columns; %(columns)s are missing. Start from the "
            "template.",
            columns=", ".join(missing),
        )
    return None


def store_upload(
    user: User, upload: FileStorage | None, folder: Path, max_bytes: int
) -> MeasurementImport:
    """Keep an uploaded CSV or XLSX file for its preview, or raise InvalidInput on `file`."""
    filename = (upload.filename or "").strip() if upload else ""
    if not filename:
        raise InvalidInput({"file": _("Choose a CSV or XLSX file.")})
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise InvalidInput({"file": _("Upload a CSV or XLSX file (.csv or .xlsx).")})
    discard_stale_uploads(folder, utcnow())
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    path = folder / f"{token}.{extension}"
    size = _store(upload, path, max_bytes)
    problem = (
        _("This file is larger than %(limit)s MB.", limit=format_number(max_bytes / 1_000_000))
        if size > max_bytes
        else _file_problem(path, file_format_of(path), extension)
    )
    if problem:
        path.unlink(missing_ok=True)
        db.session.commit()
        raise InvalidInput({"file": problem})
    stored = MeasurementImport(
        token=token, user_id=user.id, filename=filename[:200], file_format=extension
    )
    db.session.add(stored)
    db.session.commit()
    return stored


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


def _number(value) -> float | str | None:
    """A raw input as a number, "" when blank (for the contract's own message), None if bad."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    text = _text(value)
    if not text:
        return ""
    return float(text) if _PLAIN_NUMBER.fullmatch(text) else None


def _day(value) -> date | str | None:
    """A date cell or ISO text as a date; "" when blank, None when unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return ""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class _ChangedMeanwhile(Exception):
    """A figure of the file was saved by someone else after the preview or during this pass."""


class MeasurementFile:
    """One pass over an uploaded file: `run()` yields Progress and leaves `report` complete.
    With `save`, the rows are written as they are checked and committed at the end if none is
    bad; otherwise everything is rolled back."""

    def __init__(self, user: User, upload: MeasurementImport, folder: Path, *, save: bool):
        # A streamed page runs this after its view has returned, in a session of its own.
        self._ids = (user.id, upload.id)
        self.folder = folder
        self.save = save
        self.report = Report()
        self._enterprises: dict[int, _Enterprise | str] = {}
        self._new: list[tuple[Measurement, int]] = []
        self._changed: list[tuple[int, int, kpis.Checked, str, int]] = []
        self._groups: set[kpis.Group] = set()

    def run(self) -> Iterator[Progress]:
        user_id, upload_id = self._ids
        self.user = db.session.get(User, user_id)
        self.upload = db.session.get(MeasurementImport, upload_id)
        self.path = upload_path(self.folder, self.upload)
        if self.save and not self._claim():
            self.report.saved_before = True
            return
        if not self.save:
            self.upload.checked_at = utcnow()
            db.session.commit()
        try:
            yield from self._read()
            if self.save:
                self._finish()
        except _ChangedMeanwhile:
            db.session.rollback()
            self.report.changed_meanwhile = True
        except (StaleDataError, IntegrityError) as error:
            # Someone else saved a figure of the file after this pass read it (or made it).
            db.session.rollback()
            if isinstance(error, IntegrityError) and not is_conflict(error):
                raise
            self.report.changed_meanwhile = True
        except BaseException:
            # Whatever stopped the pass (even the reader leaving the page), nothing is saved.
            db.session.rollback()
            raise

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
        done = last = 1
        path, file_format = self._source()
        try:
            with open_table(path, file_format) as table:
                positions = {name: n for n, name in enumerate(table.header) if name}
                if missing := [name for name in REQUIRED_COLUMNS if name not in positions]:
                    self._problem(1, missing[0], _("This column is missing."))
                    return
                done = 0
                rows = table.rows
                if file_format == "xlsx":
                    rows = copy_rows(table, _copy_path(self.path))
                for last, values in rows:
                    cells = {name: values[n] if n < len(values) else None
                             for name, n in positions.items()}  # fmt: skip
                    if all(_text(value) == "" for value in cells.values()):
                        continue
                    self._check_row(last, cells)
                    done += 1
                    if self.save and len(self._new) + len(self._changed) >= WRITE_BATCH:
                        self._write()
                    if done % PROGRESS_EVERY == 0:
                        yield Progress(done, table.rows_about)
        except UnreadableFile:
            self._problem(1, "", _("This file cannot be read: save it again as CSV UTF-8 or XLSX."))
        except (UnicodeDecodeError, csv.Error):
            self._problem(last + 1, "", _("The file cannot be read from this row on: save it "
                                          "again as CSV UTF-8 or XLSX."))  # fmt: skip

    def _problem(self, row: int, column: str, message: str) -> None:
        self.report.problems.append(Problem(row, column, message))

    def _enterprise(self, enterprise_id: int) -> _Enterprise | str:
        """The enterprise with its figures, or why this user cannot import into it."""
        if enterprise_id not in self._enterprises:
            enterprise = db.session.scalar(
                policy.scoped_enterprises(self.user).where(Enterprise.id == enterprise_id)
            )
            if enterprise is None:
                found = _("There is no enterprise %(id)s among those you can reach.",
                          id=enterprise_id)  # fmt: skip
            else:
                try:
                    policy.require_figures(self.user, enterprise)
                    found = _Enterprise(enterprise)
                except ExplainedRefusal as refusal:
                    found = refusal.description
            self._enterprises[enterprise_id] = found
        return self._enterprises[enterprise_id]

    def _inputs(self, definition: Indicator | None, cells: dict, problems: dict) -> dict:
        """The raw inputs by name, from the two name and value column pairs."""
        inputs, expected = {}, [spec.name for spec in definition.inputs] if definition else []
        for k in (1, 2):
            name = _text(cells[f"input_{k}_name"])
            number = _number(cells[f"input_{k}"])
            if definition and (name not in expected or name in inputs):
                problems[f"input_{k}_name"] = _(
                    "%(indicator)s has the inputs %(first)s and %(second)s.",
                    indicator=definition.code, first=expected[0], second=expected[1],
                )  # fmt: skip
            elif number is None:
                problems[f"input_{k}"] = _(
                    "Write a plain number with a dot for decimals, for example 1250.5."
                )
            else:
                inputs[name] = number
        return inputs

    def _check_row(self, number: int, cells: dict) -> None:
        problems: dict[str, str] = {}
        enterprise_id = _whole(cells["enterprise_id"])
        if enterprise_id is None:
            problems["enterprise_id"] = _(
                "Write the enterprise's number (its id), as in the export."
            )
        else:
            enterprise = self._enterprise(enterprise_id)
            if isinstance(enterprise, str):
                problems["enterprise_id"] = enterprise
        indicator, phase = _text(cells["indicator"]), _text(cells["phase"])
        if phase not in PHASES:
            problems["phase"] = _("Write baseline or follow_up.")
        days = {name: _day(cells[name]) for name in ("period_start", "period_end")}
        for name, day in days.items():
            if day is None:
                problems[name] = _("Enter a date as YYYY-MM-DD, for example 2025-01-31.")
        comment = _text(cells.get("comment"))
        if len(comment) > MAX_COMMENT:
            problems["comment"] = _("Keep this under %(limit)s characters.",
                                    limit=format_number(MAX_COMMENT))  # fmt: skip
        inputs = self._inputs(BY_CODE.get(indicator), cells, problems)
        start, end = (day or None for day in days.values())
        try:
            definition, values = kpis.check_fields(
                indicator=indicator, phase=phase, period_start=start, period_end=end,
                inputs=inputs,
            )  # fmt: skip
        except InvalidInput as error:
            for key, message in error.errors.items():
                if column := self._column(key, cells):
                    problems.setdefault(column, message)
        if problems:
            self._report_row(number, problems)
            return
        self._classify(number, enterprise, definition, values, phase, start, end, comment)

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
        for column in sorted(problems, key=lambda c: COLUMN_ORDER.get(c, 99)):
            self._problem(number, column, problems[column])

    def _classify(self, number, enterprise, definition, values, phase, start, end, comment):
        """Unchanged, changed or new; locked, repeated or implausible without comment is bad."""
        figure = enterprise.figures.get((definition.code, phase, start, end))
        if figure is not None and figure.row is not None:
            self._report_row(number, {"period_start": _(
                "Row %(row)s already has this enterprise, indicator, phase and period.",
                row=figure.row,
            )})  # fmt: skip
            return
        if figure is not None and figure.inputs == values and figure.comment == comment:
            self.report.unchanged += 1
            self._sample(number, enterprise, definition, figure, "unchanged")
            figure.claim(number)
            return
        try:
            if figure is not None:
                kpis.check_editable(figure)
            checked = kpis.check_plausibility(
                definition, values, phase=phase, period_start=start, period_end=end,
                comment=comment, workers=enterprise.workers,
                baseline=enterprise.baseline(definition.code, figure),
            )  # fmt: skip
        except InvalidInput as error:
            self._report_row(number, error.errors)
            return
        self._stage(number, enterprise, checked, phase, start, end, comment, figure)

    def _stage(self, number, enterprise, checked, phase, start, end, comment, figure) -> None:
        if self.save and figure is not None and figure.id is not None:
            self._check_previewed(figure)
        outcome = "new" if figure is None else "changed"
        if figure is None:
            figure = _Figure(id=None, phase=Phase(phase), period_start=start, period_end=end)
            enterprise.add(checked.indicator.code, figure)
            self.report.new += 1
        else:
            self.report.changed += 1
        figure.inputs, figure.value, figure.comment = checked.inputs, checked.value, comment
        figure.status = Status.DRAFT
        self._sample(number, enterprise, checked.indicator, figure, outcome)
        figure.claim(number)
        if not self.save or self.report.problems:
            return
        self._groups.add((enterprise.id, checked.indicator.code))
        if figure.id is None:
            draft = kpis.new_draft(self.user, enterprise.id, checked, phase, start, end, comment)
            self._new.append((draft, number))
        else:
            self._changed.append((figure.id, figure.version, checked, comment, number))

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
        before the preview began (a new row then, made since, counts as changed too)."""
        checked_at = self.upload.checked_at
        if checked_at is None or figure.updated_at > checked_at:
            raise _ChangedMeanwhile

    def _reason(self, number: int) -> str:
        return _("Imported from %(file)s, row %(row)s.", file=self.upload.filename, row=number)

    def _insert_drafts(self) -> None:
        """The new drafts and their audit rows in two bulk statements: thousands of rows in a
        fraction of the time the unit of work would take one by one."""
        drafts = [draft for draft, _number in self._new]
        rows = [{k: v for k, v in inspect(d).dict.items() if k in DRAFT_FIELDS} for d in drafts]
        inserted = db.session.scalars(
            insert(Measurement).returning(Measurement.id, sort_by_parameter_order=True), rows
        )
        for draft, measurement_id in zip(drafts, inserted, strict=True):
            draft.id = measurement_id
        reason = self._reason
        audits = [
            kpis.audit_values(draft, AuditAction.CREATE, self.user, reason=reason(number))
            for draft, number in self._new
        ]
        db.session.execute(insert(MeasurementAudit), audits)

    def _write(self) -> None:
        """Send the staged rows to the database, within the import's one transaction."""
        if self.report.problems:
            self._new, self._changed = [], []
            return
        if self._new:
            self._insert_drafts()
        if self._changed:
            ids = [figure_id for figure_id, *_rest in self._changed]
            stored = {
                m.id: m
                for m in db.session.scalars(select(Measurement).where(Measurement.id.in_(ids)))
            }
            for figure_id, version, checked, comment, number in self._changed:
                if stored[figure_id].version != version:  # saved since this pass read it
                    raise _ChangedMeanwhile
                kpis.revise_measurement(
                    self.user, stored[figure_id], checked, comment, reason=self._reason(number)
                )
        self._new, self._changed = [], []

    def _finish(self) -> None:
        """Commit everything when no row is bad and the pass read the whole file."""
        self._write()
        if self.report.problems:
            db.session.rollback()
            return
        kpis.refresh_latest(self._groups)
        self.upload.saved_at = utcnow()
        self.upload.created_count = self.report.new
        self.upload.changed_count = self.report.changed
        self.upload.unchanged_count = self.report.unchanged
        db.session.commit()
        self.report.saved = True
        _forget(self.path)
