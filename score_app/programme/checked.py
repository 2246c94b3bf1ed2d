"""What checking an upload found, kept beside it for its save (`<token>.checked.jsonl`), so that
saving a file nobody touched since its preview writes what the preview showed instead of
checking every row again.

The check writes a line for each row it would save, as it reads them, and completes the file at
the end of a pass that found the file savable, with what its outcome rests on: a sha256 of the
upload, the locale its messages are in, the day (a period may not end in the future), when the
preview began, and, for each enterprise of the file, a digest of its headcount and of its
figures as the check read them. The file holds no more than that: the save streams it.

    line 1            the header, a JSON object (see programme.imports for its keys)
    next lines        [enterprise id, digest], one for each enterprise of the file, in id order
    then, row by row  [kind, row, enterprise id, indicator, input 1, input 2, value, warnings,
                       comment, place]: kind "new" with place [phase, period start, period end],
                       or "changed" with place [measurement id, version]
"""

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import suppress
from itertools import islice
from pathlib import Path

from sqlalchemy import Select, select

from score_app.kpis.models import Measurement

# Bumped when the lines change meaning: a file kept by an older release is not replayed.
FORMAT = 1
SUFFIX = ".checked.jsonl"
CHUNK = 64 * 1024


def checked_path(upload_file: Path) -> Path:
    return upload_file.with_suffix(SUFFIX)


def forget(upload_file: Path) -> None:
    """Remove the upload's checked file and any a check pass left half written."""
    final = checked_path(upload_file)
    for path in (final, *final.parent.glob(f"{upload_file.stem}.checked.*.part")):
        path.unlink(missing_ok=True)


def file_digest(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def figures_of(enterprise_ids: Iterable[int]) -> Select:
    """What a check reads of the figures of enterprises, in a fixed order: each figure's key,
    inputs, value, status, comment, version and last save."""
    columns = (
        Measurement.enterprise_id, Measurement.id, Measurement.indicator, Measurement.phase,
        Measurement.period_start, Measurement.period_end, Measurement.input_1, Measurement.input_2,
        Measurement.value, Measurement.status, Measurement.comment, Measurement.version,
        Measurement.updated_at,
    )  # fmt: skip
    return (
        select(*columns)
        .where(Measurement.enterprise_id.in_(sorted(set(enterprise_ids))))
        .order_by(Measurement.enterprise_id, Measurement.id)
    )


class FiguresDigest:
    """A digest of an enterprise's headcount and of its figures (rows of `figures_of`, in
    order): the check and the save compute it alike, and any change to a figure, a new one or
    a deleted one, changes it."""

    def __init__(self, workers: int):
        self._digest = hashlib.sha256(repr(workers).encode())

    def add(self, figure) -> None:
        self._digest.update(repr(tuple(figure)).encode())

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _line(value) -> str:
    return _ENCODER.encode(value) + "\n"


class CheckedWriter:
    """The checked file of one check pass: rows are written to a part file of the pass's own
    as they come; `finish` puts the header and the enterprises before them and puts the whole
    in place at once; `discard` drops it (a pass that did not end, or a file not savable). A
    file that cannot be written (a full disk) is given up, not the check: its save checks the
    rows again."""

    def __init__(self, upload_file: Path):
        self.path = checked_path(upload_file)
        stem = f"{upload_file.stem}.checked.{secrets.token_hex(4)}"
        self._rows_path = self.path.with_name(f"{stem}.rows.part")
        self._whole_path = self.path.with_name(f"{stem}.part")
        self.path.unlink(missing_ok=True)  # a new check: the last one's file no longer holds
        self._rows = self._rows_path.open("w", encoding="utf-8")
        self._failed = False

    def add(self, line: list) -> None:
        if self._failed:
            return
        try:
            self._rows.write(_line(line))
        except OSError:
            self._failed = True

    def finish(self, header: dict, enterprises: Iterable[tuple[int, str]]) -> None:
        try:
            self._rows.close()
            if self._failed:
                raise OSError("a row could not be written")
            with self._whole_path.open("w", encoding="utf-8") as whole:
                whole.write(_line(header))
                for enterprise in enterprises:
                    whole.write(_line(enterprise))
                with self._rows_path.open(encoding="utf-8") as rows:
                    shutil.copyfileobj(rows, whole, CHUNK)
            os.replace(self._whole_path, self.path)
        except OSError:
            self.discard()
            return
        self._rows_path.unlink(missing_ok=True)

    def discard(self) -> None:
        with suppress(OSError):
            self._rows.close()
        for path in (self._rows_path, self._whole_path):
            path.unlink(missing_ok=True)


class CheckedFile:
    """A checked file opened for a save: its header, then its enterprises and its rows, each
    read once, in that order."""

    def __init__(self, file, header: dict):
        self._file = file
        self.header = header

    @classmethod
    def open(cls, upload_file: Path) -> "CheckedFile | None":
        """The upload's checked file, or None when there is none of this format."""
        try:
            file = checked_path(upload_file).open(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            header = json.loads(file.readline())
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            file.close()
            return None
        return cls(file, header)

    def enterprises(self, size: int) -> Iterator[list[tuple[int, str]]]:
        """The enterprises and their digests, in id order, `size` at a time."""
        lines = (json.loads(self._file.readline()) for _n in range(self.header["enterprises"]))
        while chunk := [tuple(line) for line in islice(lines, size)]:
            yield chunk

    def rows(self) -> Iterator[list]:
        for line in self._file:
            yield json.loads(line)

    def close(self) -> None:
        self._file.close()
