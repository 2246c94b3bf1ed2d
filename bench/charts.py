"""What the charts cost on an enterprise's results page: 24 months x 10 indicators.

Each run requests /enterprises/<id>/indicators as an admin through Flask's test client, twice
in turn: the page as it is (ten trend charts), and as a baseline the same page with the charts
left out (the chart function answers nothing, so the template draws no figure). The runs
alternate, so both meet the same machine load. Results: bench/results/charts.md.
Run from the project root: python -m bench.charts (or make bench).
"""

import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import flask_migrate

from bench.machine import describe
from score_app import create_app
from score_app.auth.models import Role
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement, Phase, Status
from score_app.users import services as user_services

INDICATOR_COUNT = 10
MONTHS = 24
RUNS = 15
PASSWORD = "bench-password-1"
RESULTS = Path(__file__).resolve().parent / "results" / "charts.md"
TARGET_RATIO = 1.5


def _month(index: int) -> tuple[date, date]:
    start = date(2024 + index // 12, index % 12 + 1, 1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def _inputs(indicator, index: int) -> dict[str, float]:
    """Figures that drift towards better with a small monthly wobble, as real ones do."""
    first, second = (spec.name for spec in indicator.inputs)
    whole = 10_000 + 37 * index
    wobble = ((index * 7) % 5 - 2) * 0.004
    if indicator.direction == "higher":
        share = 0.52 + 0.001 * index + wobble
    else:
        share = 0.08 - 0.001 * index + wobble / 4
    return {first: round(whole * share), second: whole}


def _prepare(app) -> int:
    with app.app_context():
        flask_migrate.upgrade()
        admin = user_services.create_user(
            email="admin@example.org", full_name="Admin", role=Role.ADMIN, password=PASSWORD
        )
        enterprise = Enterprise(
            name="Bench Textiles", name_folded="bench textiles", country="GH",
            sector="garments", workers_women=140, workers_men=60, data_sharing_consent=True,
        )  # fmt: skip
        db.session.add(enterprise)
        db.session.commit()
        for indicator in INDICATORS[:INDICATOR_COUNT]:
            for index in range(MONTHS):
                start, end = _month(index)
                inputs = _inputs(indicator, index)
                first, second = inputs.values()
                db.session.add(
                    Measurement(
                        enterprise_id=enterprise.id, indicator=indicator.code,
                        phase=Phase.BASELINE if index == 0 else Phase.FOLLOW_UP,
                        period_start=start, period_end=end, input_1=first, input_2=second,
                        value=compute(indicator.code, inputs), status=Status.VERIFIED,
                        entered_by_id=admin.id,
                    )
                )  # fmt: skip
        db.session.commit()
        return enterprise.id


def _timed_get(client, url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return seconds, len(response.data), response.get_data(as_text=True).count('<svg class="chart"')


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                "WTF_CSRF_ENABLED": False,  # the test client signs in without a form page
            }
        )
        enterprise_id = _prepare(app)
        client = app.test_client()
        client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
        url = f"/enterprises/{enterprise_id}/indicators"
        without_charts = mock.patch("score_app.kpis.views.trend_chart", lambda row: None)
        for _warm_up in range(3):
            client.get(url)
            with without_charts:
                client.get(url)
        drawn, bare = [], []
        for _run in range(RUNS):
            drawn.append(_timed_get(client, url))
            with without_charts:
                bare.append(_timed_get(client, url))
    _report(drawn, bare)


def _report(drawn: list, bare: list) -> None:
    with_times, bare_times = [t for t, *_ in drawn], [t for t, *_ in bare]
    median, baseline = statistics.median(with_times), statistics.median(bare_times)
    ratio = median / baseline
    (_, size, charts), (_, bare_size, bare_charts) = drawn[0], bare[0]
    assert charts == INDICATOR_COUNT and bare_charts == 0, (charts, bare_charts)
    report = (
        "# Charts on an enterprise's results page\n\n"
        f"{describe()}"
        f"- data: one enterprise, {INDICATOR_COUNT} indicators x {MONTHS} monthly figures, "
        "all verified\n"
        "- database: SQLite; requests through Flask's test client, signed in as an admin; the "
        "two pages alternate, run by run\n\n"
        f"| page | median of {RUNS} runs | spread (min-max) | size | all runs (ms) |\n"
        "|---|---|---|---|---|\n"
        f"| with its {charts} charts | {median * 1000:.1f} ms | {_spread(with_times)} | "
        f"{size / 1024:.1f} KB | {_runs(with_times)} |\n"
        f"| baseline: the same page, charts left out | {baseline * 1000:.1f} ms | "
        f"{_spread(bare_times)} | {bare_size / 1024:.1f} KB | {_runs(bare_times)} |\n\n"
        f"The page with its charts takes {ratio:.2f}x the page without them, against a limit of "
        f"{TARGET_RATIO:.1f}x ({'met' if ratio <= TARGET_RATIO else 'missed'}). The charts add "
        f"{(size - bare_size) / 1024:.1f} KB uncompressed, "
        f"{(size - bare_size) / charts / 1024:.1f} KB each.\n"
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


def _spread(times: list[float]) -> str:
    return f"{min(times) * 1000:.1f}-{max(times) * 1000:.1f} ms"


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t * 1000:.1f}" for t in times)


if __name__ == "__main__":
    main()
