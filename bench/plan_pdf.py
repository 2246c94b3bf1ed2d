"""How long the printed improvement plan takes for a well-filled enterprise.

The enterprise has 12 indicators x 4 periods (a baseline and three follow-ups), 30 actions and
a 10-person EIT. Each run downloads /enterprises/<id>/plan.pdf as a signed-in owner. In the same
run, the two halves are timed apart: the app's own work (queries, template, charts) that builds
the HTML, and WeasyPrint turning that same HTML into the PDF. Results: bench/results/plan_pdf.md.
Run from the project root: python -m bench.plan_pdf (or make bench).
"""

import io
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
from pypdf import PdfReader
from sqlalchemy import select

from bench.machine import describe
from score_app import create_app
from score_app.auth.models import Role, User
from score_app.catalog.indicators import INDICATORS
from score_app.documents import services as documents
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement, Phase, Status
from score_app.pdf import render_pdf
from score_app.plans import services as plan_services
from score_app.users import services as user_services

INDICATOR_COUNT = 12
PERIODS = 4
ACTIONS = 30
RUNS = 7
PASSWORD = "bench-password-1"
RESULTS = Path(__file__).resolve().parent / "results" / "plan_pdf.md"
TARGET_SECONDS = 1.0
TARGET_APP_SHARE = 0.30


def _inputs(indicator, period: int) -> dict[str, float]:
    """Plausible raw inputs that improve a little each period."""
    first, second = (spec.name for spec in indicator.inputs)
    whole = 10_000 + 500 * period
    part = whole * (
        0.6 + 0.04 * period if indicator.direction == "higher" else 0.08 - 0.01 * period
    )
    return {first: round(part), second: whole}


def _prepare(app) -> tuple[int, int]:
    with app.app_context():
        flask_migrate.upgrade()
        enterprise = Enterprise(
            name="Bench Garments Ltd", name_folded="bench garments ltd", country="GH",
            sector="garments", workers_women=140, workers_men=60, data_sharing_consent=True,
        )  # fmt: skip
        db.session.add(enterprise)
        db.session.commit()
        owner = user_services.create_user(
            email="owner@example.org", full_name="Owner", role=Role.ENTERPRISE_OWNER,
            password=PASSWORD, enterprise_ids=[enterprise.id],
        )  # fmt: skip
        people = [
            enterprise_services.add_person(
                enterprise, f"Worker {n + 1:02d}", "female" if n % 3 else "male",
                "manager" if n % 5 == 0 else "worker",
            ).id
            for n in range(30)
        ]  # fmt: skip
        enterprise_services.set_eit_members(
            owner, enterprise, set(people[:10]),
            seen_versions={p.id: p.version for p in enterprise.people},
        )  # fmt: skip
        for indicator in INDICATORS[:INDICATOR_COUNT]:
            for period in range(PERIODS):
                start = date(2025, 1 + 3 * period, 1)
                inputs = _inputs(indicator, period)
                first, second = inputs.values()
                db.session.add(
                    Measurement(
                        enterprise_id=enterprise.id, indicator=indicator.code,
                        phase=Phase.BASELINE if period == 0 else Phase.FOLLOW_UP,
                        period_start=start, period_end=start + timedelta(days=27),
                        input_1=first, input_2=second, value=compute(indicator.code, inputs),
                        status=Status.VERIFIED, entered_by_id=owner.id,
                    )
                )  # fmt: skip
        db.session.commit()
        plan = plan_services.start_plan(
            owner, enterprise, title="Plan 2025", started_on=date(2025, 1, 6), carry_over=False,
            seen_current=None,
        )  # fmt: skip
        statuses = ("planned", "in_progress", "done")
        for n in range(ACTIONS):
            indicator = INDICATORS[n % INDICATOR_COUNT]
            plan_services.add_action(
                owner, plan,
                {
                    "problem": f"Problem {n + 1}: rework piles up at station {n % 7 + 1}",
                    "root_cause": "No standard for the operation; new operators guess",
                    "action": f"Write the standard for station {n % 7 + 1} and train the team",
                    "responsible": f"Worker {n % 10 + 1:02d}",
                    "start_date": date(2025, 2, 1), "due_date": date(2025, 3, 1 + n % 28),
                    "status": statuses[n % 3], "module_slug": "quality-management",
                    "indicator": indicator.code, "target_value": "50",
                    "estimated_cost": str(100 + n), "realised_savings": str(50 * n),
                },
            )  # fmt: skip
        return enterprise.id, plan.id


def _time(step) -> tuple[float, object]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                "WTF_CSRF_ENABLED": False,  # the test client signs in without a form page
            }
        )
        enterprise_id, plan_id = _prepare(app)
        client = app.test_client()
        client.post("/login", data={"email": "owner@example.org", "password": PASSWORD})
        url = f"/enterprises/{enterprise_id}/plan.pdf"
        client.get(url)  # warm up: templates compiled, fonts loaded
        totals, app_times, weasy_times, pages = [], [], [], 0
        for _run in range(RUNS):
            seconds, response = _time(lambda: client.get(url))
            assert response.status_code == 200, response.status_code
            totals.append(seconds)
            pages = len(PdfReader(io.BytesIO(response.data)).pages)
            with app.test_request_context():
                owner = db.session.scalar(select(User).where(User.email == "owner@example.org"))
                db.session.expire_all()  # queries count, as in a request
                seconds, html = _time(
                    lambda u=owner: (
                        documents.plan(
                            u, enterprise_id, locale="en", today=date.today(), plan_id=plan_id
                        ).html
                    )
                )
                app_times.append(seconds)
                seconds, _pdf = _time(lambda h=html: render_pdf(h))
                weasy_times.append(seconds)
                db.session.remove()
    total, own, weasy = (statistics.median(t) for t in (totals, app_times, weasy_times))
    share = own / weasy
    report = (
        "# Printed improvement plan (PDF)\n\n"
        f"{describe()}"
        f"- data: {INDICATOR_COUNT} indicators x {PERIODS} periods, {ACTIONS} actions, "
        f"a 10-person EIT; the PDF has {pages} pages\n"
        "- database: SQLite; requests through Flask's test client, signed in as the owner\n\n"
        f"| measure | median of {RUNS} runs | all runs (s) |\n|---|---|---|\n"
        f"| GET plan.pdf, whole request | {total:.3f} s | {_runs(totals)} |\n"
        f"| app's own work: queries, template, charts -> HTML | {own:.3f} s | "
        f"{_runs(app_times)} |\n"
        f"| baseline: WeasyPrint, the same HTML -> PDF | {weasy:.3f} s | {_runs(weasy_times)} |\n\n"
        f"The whole request takes {total:.2f} s against a target of {TARGET_SECONDS:.1f} s "
        f"({'met' if total <= TARGET_SECONDS else 'missed'}). The app's own work is "
        f"{share * 100:.0f} % of WeasyPrint's time against a limit of "
        f"{TARGET_APP_SHARE * 100:.0f} % ({'met' if share <= TARGET_APP_SHARE else 'missed'}).\n"
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in times)


if __name__ == "__main__":
    main()
