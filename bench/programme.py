"""Programme results at programme scale: 5,000 enterprises x 36 monthly periods x 10 indicators
(1.8 million measurements), on SQLite and on PostgreSQL.

Each run loads the dashboard page and calls the summary endpoint as programme staff of two
countries. The baseline, measured in the same run, is the bare SQL that computes the same
numbers: every statement the request sent to the database, recorded once and then replayed
straight through the driver, with no ORM, template or HTTP around it. Requests and replays take
turns, so a busy machine slows both alike.
Results: bench/results/programme.md. Run from the project root: python -m bench.programme
(or make bench). PostgreSQL is used at BENCH_PG_URL (default: the local `test_bench` database,
created if missing). With BENCH_REUSE=1 the generated data is kept between runs (SQLite in
BENCH_SQLITE_PATH, default programme.db in the system's temporary folder) and loaded only when a
database does not hold it yet, so the timings can be repeated in seconds while working on the code.
"""

import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from sqlalchemy import event

from bench import postgres
from bench.machine import describe
from score_app import create_app
from score_app.auth import services as auth_services
from score_app.auth.models import Role, User
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.formulas import compute
from score_app.programme import results_cache
from score_app.users import services as user_services

ENTERPRISES = 5_000
PERIODS = 36
INDICATOR_COUNT = 10
# A request is 15 to 120 ms here, so many runs are cheap; with nine, the ratio of two medians
# moved by some 0.04 from one run of the benchmark to the next.
RUNS = 31
PASSWORD = "bench-password-1"
COUNTRIES = ("GH", "ZA", "VN", "MA", "KH")
SECTORS = ("garments", "textiles", "leather_footwear", "automotive_parts", "food_processing")
RESULTS = Path(__file__).resolve().parent / "results" / "programme.md"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench")
TARGET_MS = 300
TARGET_RATIO = 1.2
REUSE = os.environ.get("BENCH_REUSE") == "1"
KEPT_SQLITE = Path(
    os.environ.get("BENCH_SQLITE_PATH", Path(tempfile.gettempdir()) / "programme.db")
)
SUMMARY = "/api/v1/programme/summary?indicator=operating_efficiency"


def _months():
    for n in range(PERIODS):
        start = date(2023 + n // 12, n % 12 + 1, 1)
        yield n, start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _measurement_rows():
    """Every enterprise, indicator and month: the baseline first, then monthly follow-ups that
    drift, so the aggregates have real spread. The latest of each phase is marked."""
    rng = random.Random(7)
    months = list(_months())
    ident = 0
    for enterprise_id in range(1, ENTERPRISES + 1):
        for indicator in INDICATORS[:INDICATOR_COUNT]:
            first, second = (spec.name for spec in indicator.inputs)
            whole = rng.randint(2_000, 200_000)
            share = rng.uniform(0.02, 0.8)
            for n, start, end in months:
                ident += 1
                share = min(max(share + rng.uniform(-0.03, 0.03), 0.0), 1.0)
                part = round(whole * share)
                value = compute(indicator.code, {first: part, second: whole})
                yield (
                    ident, enterprise_id, indicator.code, "baseline" if n == 0 else "follow_up",
                    start, end, part, whole, value, "verified", "", "[]",
                    n in (0, PERIODS - 1),
                )  # fmt: skip


COLUMNS = (
    "id, enterprise_id, indicator, phase, period_start, period_end, input_1, input_2, value, "
    "status, comment, warnings, is_latest, created_at, updated_at"
)


def _load(app) -> None:
    """The schema from the migrations, then the programme through the driver's bulk paths."""
    with app.app_context():
        flask_migrate.upgrade()
        rng = random.Random(3)
        enterprises = [
            {
                "id": n, "name": f"Enterprise {n:05d}", "name_folded": f"enterprise {n:05d}",
                "country": COUNTRIES[n % len(COUNTRIES)], "region": "",
                "sector": rng.choice(SECTORS), "product": "",
                "workers_women": rng.randint(20, 200), "workers_men": rng.randint(20, 200),
                "cohort": f"C{n % 20:02d}", "data_sharing_consent": rng.random() < 0.9,
            }
            for n in range(1, ENTERPRISES + 1)
        ]  # fmt: skip
        db.session.execute(sa.insert(Enterprise), enterprises)
        db.session.commit()
        user_services.create_user(
            email="staff@example.org", full_name="Staff", role=Role.PROGRAMME_STAFF,
            password=PASSWORD, countries=["GH", "ZA"],
        )  # fmt: skip
        connection = db.engine.raw_connection()
        try:
            _bulk_insert(connection, db.engine.dialect.name)
        finally:
            connection.close()
        # Planner statistics (and PostgreSQL's visibility map), as a live database keeps them.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE" if _is_postgres() else "ANALYZE"))


def _empty(app) -> None:
    """No tables left, so the migrations start from nothing."""
    with app.app_context(), db.engine.begin() as connection:
        if _is_postgres():
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            tables = sa.MetaData()
            tables.reflect(connection)
            tables.drop_all(connection)


def _is_loaded(app) -> bool:
    """Whether the database already holds the whole generated programme."""
    with app.app_context():
        if not sa.inspect(db.engine).has_table("measurements"):
            return False
        count = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("measurements")))
        return count == ENTERPRISES * PERIODS * INDICATOR_COUNT


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _bulk_insert(connection, dialect: str) -> None:
    now = "2026-01-01 00:00:00"
    cursor = connection.cursor()
    if dialect == "postgresql":
        with cursor.copy(f"COPY measurements ({COLUMNS}) FROM STDIN") as copy:
            for row in _measurement_rows():
                copy.write_row((*row, now, now))
    else:
        batch = []
        sql = f"INSERT INTO measurements ({COLUMNS}) VALUES ({', '.join('?' * 15)})"
        for row in _measurement_rows():
            batch.append((*row, now, now))
            if len(batch) == 50_000:
                cursor.executemany(sql, batch)
                batch.clear()
        cursor.executemany(sql, batch)
    connection.commit()


def _recorded_statements(app, client, url: str) -> list:
    """The SQL one request sends, with its parameters, in order."""
    recorded = []

    def record(conn, cursor, statement, parameters, context, executemany):
        recorded.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return recorded


def _replay(app, statements) -> float:
    """Run the recorded SQL straight through the driver and fetch every row."""
    with app.app_context():
        connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        seconds = time.perf_counter() - started
        connection.rollback()
    finally:
        connection.close()
    return seconds


def _timed_request(client, url: str) -> float:
    """The request as the first one after a change of figures meets it: counting, not served
    from the results kept (programme/results_cache.py)."""
    with client.application.app_context():
        results_cache.forget_all()
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    assert response.status_code == 200
    return seconds


def _timed_runs(app, client, url: str, statements) -> tuple[list[float], list[float]]:
    """The request and its bare SQL, in turns, so both meet the same load on the machine."""
    times, bare = [], []
    for _run in range(RUNS):
        times.append(_timed_request(client, url))
        bare.append(_replay(app, statements))
    return times, bare


def _ratio_in_turns(times: list[float], bare: list[float]) -> float:
    """The median of each request over the replay that followed it: both met the machine in
    the same state, where the two medians may each fall in a different spell of its load."""
    return statistics.median(t / b for t, b in zip(times, bare, strict=True))


def _middle_half(seconds: list[float]) -> str:
    """The first and third quartiles, in milliseconds: how much the runs spread."""
    first, _median, third = statistics.quantiles(seconds, n=4)
    return f"{first * 1000:.1f} to {third * 1000:.1f}"


def _measure(url_for_database: str, label: str) -> list[str]:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url_for_database,
            "WTF_CSRF_ENABLED": False,
        }
    )
    measurements = f"{ENTERPRISES * PERIODS * INDICATOR_COUNT:,} measurements"
    if REUSE and _is_loaded(app):
        loading = f"The {measurements} were kept from an earlier run.\n"
    else:
        started = time.perf_counter()
        _empty(app)
        _load(app)
        loading = f"Loading {measurements} took {time.perf_counter() - started:.0f} s.\n"
    client = app.test_client()
    client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
    with app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.email == "staff@example.org"))
        token = auth_services.create_token(staff, "bench")[1]
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    rows = [f"\n## {label}\n", loading,
            f"| measure | median of {RUNS} runs | bare SQL, median | ratio | ratio in turns | "
            "middle half of the runs (ms) | middle half, bare SQL (ms) |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, test_client, url in (
        ("dashboard page", client, "/programme"),
        ("dashboard page, one country", client, "/programme?country=GH"),
        ("summary endpoint", api, SUMMARY),
    ):
        test_client.get(url)  # warm up
        statements = _recorded_statements(app, test_client, url)
        times, bare_times = _timed_runs(app, test_client, url, statements)
        bare = statistics.median(bare_times)
        median = statistics.median(times)
        in_turns = _ratio_in_turns(times, bare_times)
        rows.append(
            f"| {name} ({len(statements)} statements) | {median * 1000:.1f} ms | "
            f"{bare * 1000:.1f} ms | {median / bare:.2f}x | {in_turns:.2f}x | "
            f"{_middle_half(times)} | {_middle_half(bare_times)} |"
        )
    with app.app_context():
        db.engine.dispose()
    return rows


def _postgres_ready(url: str) -> bool:
    """Whether a PostgreSQL server answers at `url`, with its database created there if missing."""
    try:
        postgres.create_if_missing(url)
    except sa.exc.OperationalError:
        return False
    return True


def main() -> None:
    lines = [
        "# Programme results at programme scale\n",
        describe(),
        f"- data: {ENTERPRISES:,} enterprises x {PERIODS} monthly periods x {INDICATOR_COUNT} "
        f"indicators ({ENTERPRISES * PERIODS * INDICATOR_COUNT:,} measurements); 90 % share "
        "their figures; requests as programme staff of 2 of the 5 countries, through Flask's "
        "test client",
        f"- targets: median {TARGET_MS} ms or less on SQLite, and at most {TARGET_RATIO}x the "
        "bare SQL of the same request",
    ]
    if REUSE:
        lines += _measure(f"sqlite:///{KEPT_SQLITE}", "SQLite")
    else:
        with tempfile.TemporaryDirectory() as folder:
            lines += _measure(f"sqlite:///{folder}/programme.db", "SQLite")
    if _postgres_ready(PG_URL):
        lines += _measure(PG_URL, "PostgreSQL")
    else:
        lines.append(f"\nPostgreSQL was not reachable at {PG_URL}: not measured.")
    report = "\n".join(lines) + "\n"
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
