"""How long the server takes to apply a device's offline day in one sync: 40 attendance taps and
a period of the 13 indicators' figures, against the same changes posted through the pages.

A trainer runs a one-day workshop of an enterprise of 40 people and enters a baseline month of
every indicator for it. Each run sends one POST /api/v1/sync of 41 operations (40 taps, one
period of 13 figures) through Flask's test client on SQLite, and times it in the process: the
server's share, without a network. The baseline, measured in the same run in turn, is the same
changes as the pages post them one by one: 40 taps of the attendance page's script
(.../mark) and one Save of the period form, timed the same way and added up. Each run starts
from the same database without those marks and figures. The target is 2 s for the sync.
Results: bench/results/sync.md. Run from the project root: python -m bench.sync (or make bench).
"""

import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import flask_migrate
from sqlalchemy import delete

from bench.device import add_trainer, app_on_sqlite, trainer_device
from bench.machine import describe
from score_app.auth.models import SyncOperation
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.models import Measurement, MeasurementAudit
from score_app.training import services as training_services
from score_app.training.models import Attendance

PEOPLE = 40
RUNS = 7
RESULTS = Path(__file__).resolve().parent / "results" / "sync.md"
TARGET_SECONDS = 2.0
PERIOD = {"phase": "baseline", "period_start": "2025-01-01", "period_end": "2025-01-31"}
# Plausible inputs for every indicator (a part, then its whole), warning about nothing.
INPUTS = (30, 1000)


def _prepare(app) -> dict:
    """The trainer, the enterprise, its 40 people and the workshop's day."""
    with app.app_context():
        flask_migrate.upgrade()
        enterprise = Enterprise(
            name="Bench Garments", name_folded="bench garments", country="GH", sector="garments",
            workers_women=60, workers_men=40,
        )  # fmt: skip
        db.session.add(enterprise)
        db.session.commit()
        people = [
            enterprise_services.add_person(enterprise, f"Worker {n + 1:02d}", "female", "worker").id
            for n in range(PEOPLE)
        ]
        trainer = add_trainer([enterprise.id])
        workshop = training_services.save_workshop(
            trainer, None, module_slug="workplace-cooperation", trainer=trainer,
            place="Bench room", enterprise_ids=[enterprise.id], days=[date(2025, 3, 11)],
        )  # fmt: skip
        return {
            "enterprise": enterprise.id,
            "workshop": workshop.id,
            "day": workshop.days[0].id,
            "people": people,
        }


def _clear(app) -> None:
    """No marks, figures or synced operations, so each run starts alike."""
    with app.app_context():
        for model in (Attendance, MeasurementAudit, Measurement, SyncOperation):
            db.session.execute(delete(model))
        db.session.commit()


def _operations(world: dict) -> list[dict]:
    def operation(kind: str, payload: dict) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "payload": payload,
            "base_version": None,
            "recorded_at": "2026-03-02T09:30:00+00:00",
        }

    day = {"workshop_id": world["workshop"], "day_id": world["day"]}
    taps = [
        operation("attendance", {**day, "person_id": person, "present": True})
        for person in world["people"]
    ]
    entries = {
        i.code: {"inputs": dict(zip((s.name for s in i.inputs), INPUTS, strict=True))}
        for i in INDICATORS
    }
    figures = {"enterprise_id": world["enterprise"], **PERIOD, "entries": entries}
    return [*taps, operation("figures", figures)]


def _sync(client, token: str, world: dict) -> float:
    body = {"operations": _operations(world)}
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    response = client.post("/api/v1/sync", json=body, headers=headers)
    elapsed = time.perf_counter() - started
    statuses = {result["status"] for result in response.get_json()["results"]}
    assert response.status_code == 200 and statuses == {"applied"}, response.get_json()
    return elapsed


def _pages(client, world: dict) -> float:
    """The same changes as the pages post them, one request each, their times added up."""
    day = f"/training/workshops/{world['workshop']}/days/{world['day']}"
    elapsed = 0.0
    for person in world["people"]:
        started = time.perf_counter()
        response = client.post(f"{day}/mark", data={"person_id": person, "present": "1"})
        elapsed += time.perf_counter() - started
        assert response.status_code == 200
    form = {**PERIOD, "action": "save"}
    for indicator in INDICATORS:
        for spec, value in zip(indicator.inputs, INPUTS, strict=True):
            form[f"{indicator.code}-{spec.name}"] = str(value)
    started = time.perf_counter()
    response = client.post(f"/enterprises/{world['enterprise']}/measurements/new", data=form)
    elapsed += time.perf_counter() - started
    assert response.status_code == 302, response.get_data(True)[:500]
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = app_on_sqlite(folder)
        world = _prepare(app)
        client, token = trainer_device(app)
        synced, paged = [], []
        for _run in range(RUNS):
            _clear(app)
            synced.append(_sync(client, token, world))
            _clear(app)
            paged.append(_pages(client, world))
    median_sync, median_pages = statistics.median(synced), statistics.median(paged)
    report = (
        "# Sync: a device's offline day in one request\n\n"
        f"{describe()}"
        "- server: Flask's test client in the process, SQLite\n\n"
        f"| measure | median of {RUNS} runs | all runs (s) |\n|---|---|---|\n"
        f"| one sync: {PEOPLE} taps and a period of {len(INDICATORS)} figures | "
        f"{median_sync:.2f} s | {', '.join(f'{t:.2f}' for t in synced)} |\n"
        f"| baseline: the same through the pages, {PEOPLE + 1} requests | "
        f"{median_pages:.2f} s | {', '.join(f'{t:.2f}' for t in paged)} |\n\n"
        f"The sync takes {median_sync / median_pages:.2f}x the pages' requests; the target is "
        f"{TARGET_SECONDS:.0f} s, and it took {median_sync / TARGET_SECONDS * 100:.0f} % of it.\n"
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
