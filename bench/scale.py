"""A national programme's figures in PostgreSQL: 5,000 enterprises x 10 years x 13 indicators
monthly (7.8 million measurements), a tenth of the 78 million a global programme of 50,000
enterprises would gather in ten years.

Each run builds the schema from the migrations in its own database (SCALE_PG_URL, default the
local `score_scale`, dropped at the end), loads the measurements the way a bulk load should (rows
first, then the indexes the migrations define), and times the queries the pages run on them: the
programme results across every enterprise (all, and one country), the summary of one indicator,
the data-completeness list, and one enterprise's history. It records the table and index sizes
and the plans (EXPLAIN ANALYZE) of the hot statements. The whole is run twice (SCALE_RUNS),
loading afresh each time; bench/results/scale.md gets the medians and the spread.

Run from the project root: python -m bench.scale (SCALE_ENTERPRISES for a smaller try).
"""

import os
import statistics
import time
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from sqlalchemy import event

from bench import postgres
from bench.machine import describe
from score_app import create_app
from score_app.auth.models import Role
from score_app.catalog.indicators import INDICATORS
from score_app.extensions import db
from score_app.kpis import services as kpi_services
from score_app.kpis.formulas import compute
from score_app.programme import services as programme
from score_app.programme.filters import Filters
from score_app.users import services as user_services

ENTERPRISES = int(os.environ.get("SCALE_ENTERPRISES", "5000"))
YEARS = 10
MONTHS = YEARS * 12
RUNS = int(os.environ.get("SCALE_RUNS", "2"))
QUERY_REPEATS = 7  # each query, per run, after one warm-up call
CHUNK = 500  # enterprises per INSERT: a few hundred thousand rows a statement
PG_URL = os.environ.get("SCALE_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/score_scale")
RESULTS = Path(__file__).resolve().parent / "results" / "scale.md"
COUNTRIES = ("GH", "ZA", "VN", "MA", "KH", "CN", "IN", "ID", "CO", "PE")
SECTORS = ("garments", "textiles", "leather_footwear", "automotive_parts", "food_processing")
FIRST_MONTH = "2016-01-01"
# The tables that grow with the programme, whose sizes are reported.
GROWING = ("measurements", "measurement_audit", "enterprises")


def _indicator_values() -> str:
    """Each indicator as (code, number, factor, has a denominator): value = part x factor / whole,
    or the part alone for a count, as kpis.formulas computes it."""
    rows = []
    for k, indicator in enumerate(INDICATORS):
        first, second = (spec.name for spec in indicator.inputs)
        factor = compute(indicator.code, {first: 1, second: 1})
        rows.append(f"('{indicator.code}', {k}, {factor!r}, {indicator.has_denominator!s})")
    return ", ".join(rows)


# Every enterprise x indicator x month of a chunk, computed by the server: a whole that varies by
# enterprise and month, a share that drifts; the first month is the baseline, the last one with
# it the pair the programme results count (is_latest). A tenth of the last two months' figures
# are still submitted, not verified, as a live programme has some.
INSERT_MEASUREMENTS = """
INSERT INTO measurements (enterprise_id, indicator, phase, period_start, period_end, input_1,
    input_2, value, status, comment, warnings, is_latest, created_at, updated_at)
SELECT e.id, i.code, CASE WHEN m.n = 0 THEN 'baseline' ELSE 'follow_up' END,
    (DATE '{first}' + make_interval(months => m.n))::date,
    (DATE '{first}' + make_interval(months => m.n + 1) - INTERVAL '1 day')::date,
    p.part, p.whole,
    CASE WHEN i.has_denominator THEN p.part * i.factor / p.whole ELSE p.part END,
    CASE WHEN m.n >= {months} - 2 AND e.id % 10 = 0 THEN 'submitted' ELSE 'verified' END,
    '', '[]', m.n IN (0, {months} - 1), now(), now()
FROM enterprises e
CROSS JOIN (VALUES {indicators}) AS i(code, k, factor, has_denominator)
CROSS JOIN generate_series(0, {months} - 1) AS m(n)
CROSS JOIN LATERAL (
    SELECT w.whole, round(w.whole * (0.05 + 0.5 * ((e.id * 13 + i.k * 17 + m.n) % 100) / 100.0
        + 0.2 * m.n / {months})) AS part
    FROM (SELECT 2000 + (e.id * 7919 + m.n * 31 + i.k * 131) % 198000 AS whole) AS w
) AS p
WHERE e.id BETWEEN :first_id AND :last_id
"""


def _app():
    return create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": PG_URL})


def _empty() -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))


def _secondary_indexes(connection) -> list[tuple[str, str]]:
    """The measurements' indexes other than the primary key, as the migrations made them."""
    return connection.execute(
        sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'measurements'"
            " AND indexname <> 'pk_measurements'"
        )
    ).all()


def _array(words: tuple[str, ...]) -> str:
    """A text array literal of our own constants."""
    return "ARRAY[" + ", ".join(f"'{word}'" for word in words) + "]"


def _load() -> dict[str, float]:
    """The schema, the enterprises, then the measurements; the indexes built after the rows.
    Returns seconds by step."""
    seconds = {}
    started = time.perf_counter()
    flask_migrate.upgrade()
    seconds["schema"] = time.perf_counter() - started
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO enterprises (id, name, name_folded, country, region, sector, product,"
                " workers_women, workers_men, cohort, data_sharing_consent, created_at,"
                " updated_at, version)"
                " SELECT n, 'Enterprise ' || n, 'enterprise ' || n,"
                f" ({_array(COUNTRIES)})[1 + n % {len(COUNTRIES)}], '',"
                f" ({_array(SECTORS)})[1 + (n * 7) % {len(SECTORS)}], '', 20 + n % 180,"
                " 20 + (n * 3) % 180, 'C' || (n % 40), n % 10 <> 0, now(), now(), 1"
                " FROM generate_series(1, :count) AS n"
            ),
            {"count": ENTERPRISES},
        )
        connection.execute(sa.text("SELECT setval('enterprises_id_seq', :n)"), {"n": ENTERPRISES})
        indexes = _secondary_indexes(connection)
        for name, _definition in indexes:
            connection.execute(
                sa.text(f'ALTER TABLE measurements DROP CONSTRAINT IF EXISTS "{name}"')
            )
            connection.execute(sa.text(f'DROP INDEX IF EXISTS "{name}"'))
    insert = sa.text(
        INSERT_MEASUREMENTS.format(first=FIRST_MONTH, months=MONTHS, indicators=_indicator_values())
    )
    started = time.perf_counter()
    for first_id in range(1, ENTERPRISES + 1, CHUNK):
        with db.engine.begin() as connection:
            connection.execute(insert, {"first_id": first_id, "last_id": first_id + CHUNK - 1})
    seconds["rows"] = time.perf_counter() - started
    started = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(sa.text("SET maintenance_work_mem = '256MB'"))
        for name, definition in indexes:
            if name.startswith("uq_"):
                columns = definition[definition.index("(") :]
                connection.execute(
                    sa.text(f'ALTER TABLE measurements ADD CONSTRAINT "{name}" UNIQUE {columns}')
                )
            else:
                connection.execute(sa.text(definition))
    seconds["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    seconds["vacuum analyze"] = time.perf_counter() - started
    return seconds


def _sizes() -> list[tuple[str, int, int, int]]:
    """(table, rows, table bytes, index bytes) for the tables that grow."""
    with db.engine.connect() as connection:
        return [
            (
                table,
                connection.scalar(sa.text(f"SELECT count(*) FROM {table}")),
                connection.scalar(sa.text("SELECT pg_table_size(:t)"), {"t": table}),
                connection.scalar(sa.text("SELECT pg_indexes_size(:t)"), {"t": table}),
            )
            for table in GROWING
        ]


def _index_sizes() -> list[tuple[str, int]]:
    with db.engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes"
                " WHERE relname = 'measurements' ORDER BY 2 DESC"
            )
        ).all()


def _staff():
    """Programme staff of every country: the widest view of the results."""
    return user_services.create_user(
        email="staff@example.org", full_name="Staff", role=Role.PROGRAMME_STAFF,
        password="bench-password-1", countries=list(COUNTRIES),
    )  # fmt: skip


def _queries(staff, enterprise_id: int) -> dict:
    return {
        "programme results, every enterprise": lambda: programme.figures(staff, Filters()),
        "programme results, one country": lambda: programme.figures(staff, Filters(country="GH")),
        "summary of one indicator": lambda: programme.summary(
            staff, Filters(), "operating_efficiency"
        ),
        "data completeness": lambda: programme.completeness(staff, Filters()),
        "one enterprise's history (all indicators)": lambda: kpi_services.measurements_of(
            enterprise_id
        ),
    }


def _time(query) -> list[float]:
    query()  # warm-up: the plan cached, the pages in memory
    times = []
    for _ in range(QUERY_REPEATS):
        started = time.perf_counter()
        query()
        times.append(time.perf_counter() - started)
        db.session.rollback()
    return times


def _explain(query) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the query sends."""
    recorded = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        recorded.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        query()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    db.session.rollback()
    plans = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in recorded:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        raw.rollback()
    finally:
        raw.close()
    return plans


def _run(app, number: int) -> dict:
    print(f"run {number}: loading {ENTERPRISES * len(INDICATORS) * MONTHS:,} measurements")
    with app.app_context():
        _empty()
        started = time.perf_counter()
        load = _load()
        load["total"] = time.perf_counter() - started
        print(f"run {number}: loaded in {load['total']:.0f} s; timing the queries")
        queries = _queries(_staff(), ENTERPRISES // 2)
        timed = {name: _time(query) for name, query in queries.items()}
        result = {"load": load, "times": timed, "sizes": _sizes(), "indexes": _index_sizes()}
        if number == 1:
            result["plans"] = {
                name: _explain(queries[name])
                for name in (
                    "programme results, every enterprise",
                    "one enterprise's history (all indicators)",
                )
            }
        db.session.remove()
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB"


def _report(runs: list[dict], server_version: str, machine: str) -> str:
    count = ENTERPRISES * len(INDICATORS) * MONTHS
    lines = [
        "# A national programme in PostgreSQL\n",
        f"{ENTERPRISES:,} enterprises x {YEARS} years x {len(INDICATORS)} indicators monthly = "
        f"**{count:,} measurements**, in PostgreSQL {server_version}; written by "
        "`python -m bench.scale`. The figures a global programme would gather (50,000 "
        "enterprises, 78 million measurements) are ten times these: docs/deployment.md reads "
        f"them. {len(runs)} runs, each loading afresh; each query timed {QUERY_REPEATS} times "
        "per run after one warm-up call, in the app's own code (SQLAlchemy, no HTTP).\n",
        machine,
        "## Loading\n",
        "| step | " + " | ".join(f"run {n}" for n in range(1, len(runs) + 1)) + " | median |",
        "|---|" + "---|" * (len(runs) + 1),
    ]
    for step in ("schema", "rows", "indexes", "vacuum analyze", "total"):
        values = [run["load"][step] for run in runs]
        lines.append(
            f"| {step} | "
            + " | ".join(f"{v:,.0f} s" for v in values)
            + f" | {statistics.median(values):,.0f} s |"
        )
    lines += [
        "",
        "Rows first, then the indexes the migrations define (dropped before the load and built "
        "again after it), then VACUUM ANALYZE: the way to bulk-load or restore a large table.\n",
        "## Sizes (last run)\n",
        "| table | rows | table | indexes |",
        "|---|---|---|---|",
    ]
    for table, rows, table_bytes, index_bytes in runs[-1]["sizes"]:
        lines.append(f"| {table} | {rows:,} | {_mb(table_bytes)} | {_mb(index_bytes)} |")
    lines += ["", "| index of measurements | size |", "|---|---|"]
    lines += [f"| {name} | {_mb(size)} |" for name, size in runs[-1]["indexes"]]
    lines += [
        "",
        "## Queries (milliseconds)\n",
        "| query | "
        + " | ".join(f"run {n} median" for n in range(1, len(runs) + 1))
        + " | median of all | fastest to slowest |",
        "|---|" + "---|" * (len(runs) + 2),
    ]
    for name in runs[0]["times"]:
        per_run = [statistics.median(run["times"][name]) for run in runs]
        every = [t for run in runs for t in run["times"][name]]
        lines.append(
            f"| {name} | "
            + " | ".join(_ms(v) for v in per_run)
            + f" | {_ms(statistics.median(every))} | {_ms(min(every))} to {_ms(max(every))} |"
        )
    lines += ["", "## Plans of the hot statements (run 1)\n"]
    for name, plans in runs[0]["plans"].items():
        for n, plan in enumerate(plans, start=1):
            lines += [f"### {name}, statement {n}\n", "```", plan, "```", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    machine = describe()
    server_version = postgres.create_if_missing(PG_URL)
    app = _app()
    try:
        runs = [_run(app, number) for number in range(1, RUNS + 1)]
    finally:
        with app.app_context():
            db.engine.dispose()
        _drop(PG_URL)
    RESULTS.write_text(_report(runs, server_version, machine))
    print(f"Written to {RESULTS}")


def _drop(url: str) -> None:
    """The benchmark's database is dropped: 2 GB nobody needs afterwards."""
    target = sa.make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        name = server.dialect.identifier_preparer.quote(target.database)
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


if __name__ == "__main__":
    main()
