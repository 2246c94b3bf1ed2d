"""How long a 10,000-row measurement import takes to check and save, and how much memory it
holds.

250 enterprises x 10 indicators x 4 periods (a baseline and three follow-ups), all new, uploaded
as CSV and as XLSX by programme staff through Flask's test client on SQLite: the upload, the
streamed check page, and the streamed save (one transaction). Each run starts from the same
database without those figures. Then the same file again (every row unchanged), and the peak
memory of checking and saving 10,000 and 20,000 rows (tracemalloc), which shows what grows
with the file. Results: bench/results/imports.md. Run from the project root:
python -m bench.imports (or make bench).
"""

import csv
import io
import shutil
import statistics
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
from openpyxl import Workbook

from bench.machine import describe
from score_app import create_app
from score_app.auth.models import Role
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.programme.exports import MEASUREMENT_COLUMNS
from score_app.users import services as user_services

ENTERPRISES = 250
INDICATOR_COUNT = 10
PERIODS = 4
RUNS = 5
PASSWORD = "bench-password-1"
RESULTS = Path(__file__).resolve().parent / "results" / "imports.md"
TARGET_SECONDS = 10.0


def _inputs(indicator, period: int) -> tuple[int, int]:
    """Plausible raw inputs that improve a little each period (as bench.plan_pdf)."""
    whole = 10_000 + 500 * period
    share = 0.6 + 0.04 * period if indicator.direction == "higher" else 0.08 - 0.01 * period
    return round(whole * share), whole


def _rows(enterprise_ids: list[int], periods: int):
    for enterprise_id in enterprise_ids:
        for indicator in INDICATORS[:INDICATOR_COUNT]:
            first, second = (spec.name for spec in indicator.inputs)
            for period in range(periods):
                start = date(2023, 1, 1) + timedelta(days=91 * period)
                part, whole = _inputs(indicator, period % 4)
                yield [
                    enterprise_id, f"Enterprise {enterprise_id}", indicator.code,
                    "baseline" if period == 0 else "follow_up",
                    start, start + timedelta(days=27), first, part, second, whole, "", "", "",
                ]  # fmt: skip


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.name for column in MEASUREMENT_COLUMNS])
    for row in rows:
        writer.writerow([value.isoformat() if isinstance(value, date) else value for value in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode()


def _xlsx(rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append([column.name for column in MEASUREMENT_COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _app(database: Path, folder: Path):
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SCORE_IMPORT_DIR": str(folder / "imports"),
            "WTF_CSRF_ENABLED": False,  # the test client posts without a form page
        }
    )


def _prepare(database: Path, folder: Path) -> list[int]:
    """The base database: enterprises in Ghana that share their figures, and a staff account."""
    app = _app(database, folder)
    with app.app_context():
        flask_migrate.upgrade()
        enterprises = [
            Enterprise(
                name=f"Enterprise {n}", name_folded=f"enterprise {n}", country="GH",
                sector="garments", workers_women=60, workers_men=40, data_sharing_consent=True,
            )
            for n in range(1, ENTERPRISES + 1)
        ]  # fmt: skip
        db.session.add_all(enterprises)
        db.session.commit()
        user_services.create_user(
            email="staff@example.org", full_name="Staff", role=Role.PROGRAMME_STAFF,
            password=PASSWORD, countries=["GH"],
        )  # fmt: skip
        ids = [enterprise.id for enterprise in enterprises]
        db.engine.dispose()
    return ids


def _import(client, data: bytes, name: str) -> dict[str, float]:
    """Upload, check and save one file; seconds of each step and in all."""
    times = {}
    started = time.perf_counter()
    response = client.post(
        "/programme/imports",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(True)[-2000:]
    times["upload"] = time.perf_counter() - started
    location = response.headers["Location"]
    step = time.perf_counter()
    page = client.get(location).get_data(True)
    assert ">0 rows have an error<" in page and ">0 rows need a comment<" in page, page[-3000:]
    times["check"] = time.perf_counter() - step
    step = time.perf_counter()
    page = client.post(location + "/save").get_data(True)
    times["save"] = time.perf_counter() - step
    times["total"] = time.perf_counter() - started
    assert "Saved:" in page or "Nothing to save" in page, page[-3000:]
    return times


def _session(base: Path, folder: Path, run: int):
    database = folder / f"run-{run}.db"
    shutil.copy(base, database)
    app = _app(database, folder)
    client = app.test_client()
    client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
    return app, client


def _timed_runs(base: Path, folder: Path, data: bytes, name: str) -> tuple[list, list]:
    """Fresh imports of the file, then the same file again right after each."""
    fresh, again = [], []
    for run in range(RUNS):
        app, client = _session(base, folder, run)
        fresh.append(_import(client, data, name))
        again.append(_import(client, data, name))
        with app.app_context():
            db.engine.dispose()
    return fresh, again


def _peak_memory(base: Path, folder: Path, data: bytes) -> float:
    """MB at most held while checking and saving the file (the upload itself left out)."""
    app, client = _session(base, folder, 99)
    response = client.post(
        "/programme/imports",
        data={"file": (io.BytesIO(data), "memory.csv")},
        content_type="multipart/form-data",
    )
    location = response.headers["Location"]
    tracemalloc.start()
    client.get(location).get_data()
    client.post(location + "/save").get_data()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with app.app_context():
        db.engine.dispose()
    (folder / "run-99.db").unlink()
    return peak / 1_000_000


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        base = folder / "base.db"
        ids = _prepare(base, folder)
        rows = list(_rows(ids, PERIODS))
        files = {"CSV": (_csv(rows), "figures.csv"), "XLSX": (_xlsx(rows), "figures.xlsx")}
        results = {kind: _timed_runs(base, folder, *file) for kind, file in files.items()}
        memory = {
            len(rows): _peak_memory(base, folder, files["CSV"][0]),
            len(rows) * 2: _peak_memory(base, folder, _csv(_rows(ids, PERIODS * 2))),
        }
    _report(len(rows), results, memory, {kind: len(file[0]) for kind, file in files.items()})


def _report(count: int, results: dict, memory: dict, sizes: dict) -> None:
    lines = [
        "# Measurement import (10,000 rows)\n",
        describe(),
        f"- data: {count:,} new rows ({ENTERPRISES} enterprises x {INDICATOR_COUNT} indicators "
        f"x {PERIODS} periods); CSV {sizes['CSV'] / 1e6:.2f} MB, XLSX {sizes['XLSX'] / 1e6:.2f} MB",
        "- database: SQLite; requests through Flask's test client, signed in as programme staff\n",
        f"| file, step | median of {RUNS} runs | all runs (s) |",
        "|---|---|---|",
    ]
    verdicts = []
    for kind, (fresh, again) in results.items():
        for step in ("upload", "check", "save", "total"):
            times = [run[step] for run in fresh]
            lines.append(f"| {kind} new rows: {step} | {statistics.median(times):.2f} s | "
                         f"{_runs(times)} |")  # fmt: skip
        times = [run["total"] for run in again]
        lines.append(f"| {kind} same file again (all unchanged): total | "
                     f"{statistics.median(times):.2f} s | {_runs(times)} |")  # fmt: skip
        median = statistics.median(run["total"] for run in fresh)
        verdicts.append(
            f"{kind} {median:.2f} s ({'met' if median <= TARGET_SECONDS else 'missed'})"
        )
    lines += [
        "",
        "| rows checked and saved | peak memory (tracemalloc) |",
        "|---|---|",
        *(f"| {rows:,} | {mb:.1f} MB |" for rows, mb in memory.items()),
        "",
        f"Upload, check and save of {count:,} new rows against a target of "
        f"{TARGET_SECONDS:.0f} s: {', '.join(verdicts)}. The file is read row by row, twice (a "
        "first pass collects its baselines, so each follow-up meets the baseline of its cycle "
        "wherever that row is), and never held whole (an XLSX file once: its first pass keeps a "
        "plain numbered copy for the second and for the save). "
        f"Memory grows by about {_per_row(memory):.0f} bytes a row: the import's index of the "
        "figures of the enterprises it touches, which finds a row repeated in the file and the "
        "baseline each follow-up is compared with; the rows themselves are not kept.\n",
    ]
    report = "\n".join(lines)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


def _per_row(memory: dict[int, float]) -> float:
    (fewer, low), (more, high) = sorted(memory.items())
    return (high - low) * 1_000_000 / (more - fewer)


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()
