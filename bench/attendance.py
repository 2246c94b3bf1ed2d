"""How long 40 one-tap attendance marks take in a real browser at tablet size.

Each run taps 40 people present on the attendance page, waiting after every tap until the
saved count comes back. The baseline, measured in the same run, is the same 40 taps with
JavaScript off: the boxes change but nothing is sent. Results: bench/results/attendance.md.
Run from the project root: python -m bench.attendance (or make bench).
"""

import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import flask_migrate
from playwright.sync_api import sync_playwright
from sqlalchemy import delete

from bench.machine import describe
from score_app import create_app
from score_app.auth.models import Role
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.testing import TABLET, open_chromium, serve
from score_app.training import services as training_services
from score_app.training.models import Attendance
from score_app.users import services as user_services

PEOPLE = 40
RUNS = 5
PASSWORD = "bench-password-1"
RESULTS = Path(__file__).resolve().parent / "results" / "attendance.md"


def _prepare(app) -> str:
    """A trainer's one-day workshop for an enterprise of 40 people; returns its day's path."""
    with app.app_context():
        flask_migrate.upgrade()
        admin = user_services.create_user(
            email="admin@example.org", full_name="Admin", role=Role.ADMIN, password=PASSWORD
        )
        enterprise = Enterprise(
            name="Bench Garments", name_folded="bench garments", country="GH", sector="garments"
        )
        db.session.add(enterprise)
        db.session.commit()
        for n in range(PEOPLE):
            enterprise_services.add_person(
                enterprise, f"Worker {n + 1:02d}", "female" if n % 3 else "male", "worker"
            )
        trainer = user_services.create_user(
            email="trainer@example.org", full_name="Trainer", role=Role.TRAINER,
            password=PASSWORD, enterprise_ids=[enterprise.id],
        )  # fmt: skip
        workshop = training_services.save_workshop(
            admin, None, module_slug="workplace-cooperation", trainer=trainer,
            place="Bench room", enterprise_ids=[enterprise.id], days=[date(2025, 3, 11)],
        )  # fmt: skip
        return f"/training/workshops/{workshop.id}/days/{workshop.days[0].id}"


def _tap_everyone(page, wait_for_save: bool) -> float:
    boxes = page.locator("input[name=present]")
    started = time.perf_counter()
    for index in range(PEOPLE):
        boxes.nth(index).click()
        if wait_for_save:
            page.wait_for_function(
                "n => document.querySelector('[data-count=total]').textContent == String(n)",
                arg=index + 1,
            )
    return time.perf_counter() - started


def _clear(app) -> None:
    """Nobody present, so each run starts alike."""
    with app.app_context():
        db.session.execute(delete(Attendance))
        db.session.commit()


def _measure(app, playwright, profile: Path, base: str, url: str, javascript: bool) -> list[float]:
    context = open_chromium(playwright, profile, java_script_enabled=javascript, **TABLET)
    page = context.pages[0]
    page.goto(base + "/login")
    page.fill("#email", "trainer@example.org")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    times = []
    for _run in range(RUNS):
        _clear(app)
        page.goto(base + url)
        times.append(_tap_everyone(page, wait_for_save=javascript))
    context.close()
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"}
        )
        url = _prepare(app)
        profiles = Path(folder)
        with serve(app) as base, sync_playwright() as playwright:
            saved = _measure(app, playwright, profiles / "js", base, url, javascript=True)
            baseline = _measure(app, playwright, profiles / "no-js", base, url, javascript=False)
    median_saved, median_baseline = statistics.median(saved), statistics.median(baseline)
    report = (
        "# Attendance: 40 one-tap marks on a tablet\n\n"
        f"{describe()}"
        f"- browser: Chromium (headless), viewport {TABLET['viewport']['width']}x"
        f"{TABLET['viewport']['height']}\n"
        f"- server: Werkzeug, SQLite, same machine\n\n"
        f"| measure | median of {RUNS} runs | all runs (s) |\n|---|---|---|\n"
        f"| 40 taps, each saved and its count shown | {median_saved:.2f} s "
        f"({median_saved / PEOPLE * 1000:.0f} ms a tap) | "
        f"{', '.join(f'{t:.2f}' for t in saved)} |\n"
        f"| baseline: 40 taps, JavaScript off, nothing saved | {median_baseline:.2f} s | "
        f"{', '.join(f'{t:.2f}' for t in baseline)} |\n\n"
        f"Saving costs {median_saved / median_baseline:.1f}x the bare taps. The target is 40 "
        f"people in under 120 s of a trainer's time; the app's share is {median_saved:.1f} s, "
        f"{median_saved / 120 * 100:.1f} % of it.\n"
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
