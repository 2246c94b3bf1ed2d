"""How much a trainer's tablet keeps when it is made available offline: every page and file that
GET /offline/manifest.json names, fetched as the device's "Make available offline" fetches them.

A trainer with 4 enterprises (25 people each, a baseline and a follow-up period of the 13
indicators, an active plan of 8 actions) runs two workshops this week (3 days for two of the
enterprises, 2 days for the other two). The device keeps the app's shell, each enterprise's
profile, results, plan, period form, new-action form and action pages, the workshops and each
day's attendance, the visit form and the five module guides in one language (English), with
every style sheet and script. Sizes are the bodies as the device stores them (uncompressed),
and as they travel with Brotli or gzip (what Flask-Compress sends the browser). Photos are not
part of the bundle: a photo is kept once it is viewed. The target is 1.5 MB uncompressed.
Results: bench/results/offline.md. Run from the project root: python -m bench.offline_bundle
(or make bench).
"""

import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path

import flask_migrate

from bench.device import add_trainer, app_on_sqlite, trainer_device
from bench.machine import describe
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.plans import services as plan_services
from score_app.training import services as training_services

ENTERPRISES = 4
PEOPLE = 25
ACTIONS = 8
TARGET_BYTES = 1_500_000
RESULTS = Path(__file__).resolve().parent / "results" / "offline.md"
PERIODS = (
    {"phase": "baseline", "period_start": "2025-01-01", "period_end": "2025-01-31"},
    {"phase": "follow_up", "period_start": "2025-06-01", "period_end": "2025-06-30"},
)
# Plausible inputs for every indicator (a part, then its whole) at baseline and follow-up.
INPUTS = ((40, 1000), (30, 1000))


def _prepare(app) -> dict:
    """The trainer, the 4 enterprises with their people and plans, this week's two workshops."""
    monday = date.today() - timedelta(days=date.today().weekday())
    with app.app_context():
        flask_migrate.upgrade()
        enterprises = []
        for n in range(ENTERPRISES):
            enterprise = Enterprise(
                name=f"Bench Garments {n + 1}", name_folded=f"bench garments {n + 1}",
                country="GH", sector="garments", workers_women=60, workers_men=40,
            )  # fmt: skip
            db.session.add(enterprise)
            db.session.commit()
            for p in range(PEOPLE):
                name, sex = f"Worker {n + 1}-{p + 1:02d}", "female" if p % 2 else "male"
                enterprise_services.add_person(enterprise, name, sex, "worker")
            enterprises.append(enterprise)
        ids = [e.id for e in enterprises]
        trainer = add_trainer(ids)
        for enterprise in enterprises:
            plan_services.start_plan(
                trainer, enterprise, title="Improvement plan", started_on=date(2025, 2, 1),
                carry_over=False, seen_current=None,
            )  # fmt: skip
        for place, chosen, days in (
            ("Bench room A", ids[:2], [monday + timedelta(days=d) for d in range(3)]),
            ("Bench room B", ids[2:], [monday + timedelta(days=d) for d in (3, 4)]),
        ):
            training_services.save_workshop(
                trainer, None, module_slug="workplace-cooperation", trainer=trainer,
                place=place, enterprise_ids=chosen, days=days,
            )  # fmt: skip
        return {"enterprises": ids}


def _operation(kind: str, payload: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "payload": payload,
        "base_version": None,
        "recorded_at": "2025-06-30T10:00:00+00:00",
    }


def _fill(client, token: str, world: dict) -> None:
    """Each enterprise's two periods of figures and its plan's actions, sent as a device sends
    them (the same checks as the pages)."""
    operations = []
    for enterprise_id in world["enterprises"]:
        for period, inputs in zip(PERIODS, INPUTS, strict=True):
            entries = {
                i.code: {"inputs": dict(zip((s.name for s in i.inputs), inputs, strict=True))}
                for i in INDICATORS
            }
            payload = {"enterprise_id": enterprise_id, **period, "entries": entries}
            operations.append(_operation("figures", payload))
        for n in range(ACTIONS):
            payload = {
                "enterprise_id": enterprise_id,
                "problem": f"Problem {n + 1}: offcuts and lint collect under the cutting tables",
                "root_cause": "No bins near the tables; cleaning is left to the end of the shift",
                "action": f"Action {n + 1}: a bin at each table, emptied at each break",
                "responsible": "Line supervisor",
                "due_date": "2025-09-30",
                "estimated_cost": 250.0,
            }
            operations.append(_operation("action", payload))
    response = client.post(
        "/api/v1/sync",
        json={"operations": operations},
        headers={"Authorization": f"Bearer {token}"},
    )
    statuses = {result["status"] for result in response.get_json()["results"]}
    assert statuses == {"applied"}, response.get_json()


def _measure(client) -> dict:
    """Bytes of every page and file the manifest names: as stored, with Brotli, with gzip."""
    kept = client.get("/offline/manifest.json").get_json()
    sizes = {"pages": [0, 0, 0], "guides": [0, 0, 0], "assets": [0, 0, 0]}
    counts = {"pages": 0, "guides": 0, "assets": 0}
    for group, urls in (("pages", kept["pages"]), ("assets", kept["assets"])):
        for url in urls:
            key = "guides" if url.startswith("/modules/") else group
            counts[key] += 1
            for i, encoding in enumerate(("identity", "br", "gzip")):
                response = client.get(url, headers={"Accept-Encoding": encoding})
                assert response.status_code == 200, url
                sizes[key][i] += len(response.get_data())
    return {"sizes": sizes, "counts": counts}


def _kb(size: int) -> str:
    return f"{size / 1000:,.1f} kB"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = app_on_sqlite(folder)
        world = _prepare(app)
        client, token = trainer_device(app)
        _fill(client, token, world)
        measured = _measure(client)
    sizes, counts = measured["sizes"], measured["counts"]
    total = [sum(sizes[group][i] for group in sizes) for i in range(3)]
    rows = "".join(
        f"| {label} | {counts[group]} | {_kb(sizes[group][0])} | {_kb(sizes[group][1])} | "
        f"{_kb(sizes[group][2])} |\n"
        for group, label in (
            ("pages", "pages (shell, enterprises, plans, actions, workshops, forms)"),
            ("guides", "module guides, English"),
            ("assets", "style sheets and scripts"),
        )
    )
    report = (
        "# Offline bundle: what a trainer's tablet keeps\n\n"
        f"{describe()}"
        "- server: Flask's test client in the process, SQLite\n"
        f"- trainer: {ENTERPRISES} enterprises of {PEOPLE} people, 2 periods of "
        f"{len(INDICATORS)} figures and {ACTIONS} actions each; two workshops this week "
        "(3 days and 2 days)\n\n"
        "| part | files | stored | with Brotli | with gzip |\n|---|---|---|---|---|\n"
        f"{rows}"
        f"| **total** | {sum(counts.values())} | **{_kb(total[0])}** | {_kb(total[1])} | "
        f"{_kb(total[2])} |\n\n"
        f"The device stores {total[0] / TARGET_BYTES * 100:.0f} % of the 1.5 MB target "
        f"({'within' if total[0] <= TARGET_BYTES else 'OVER'} it); it downloads "
        f"{_kb(total[1])} with Brotli.\n"
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    assert total[0] <= TARGET_BYTES, "the offline bundle is over its target"


if __name__ == "__main__":
    main()
