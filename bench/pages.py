"""What the main pages weigh as Chromium receives them from a real server.

The app is served by Werkzeug on a free port of 127.0.0.1 (score_app.testing.serve), so every
answer goes through the app's compression as it would in production; Debian's Chromium signs in
through the form as an admin and opens each main page twice: once with its cache off (a first
visit: the page and all its style sheets and scripts), once more with it on (a repeat visit,
when the versioned style sheets come from the cache). Sizes are read from the browser's own
Resource Timing: decoded (what the page holds) and encoded (what crossed the network, headers
left out) for the HTML document, and the same summed with its CSS and JS. A second table compresses
each page's HTML at several levels, to back the choice of Brotli 5.
Results: bench/results/pages.md. Run from the project root: python -m bench.pages (or make bench).
"""

import gzip
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import brotli
from playwright.sync_api import sync_playwright

from bench import charts
from bench.machine import describe
from score_app import create_app
from score_app.auth.models import User
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.plans import services as plan_services
from score_app.testing import LAPTOP, open_chromium, serve

ACTIONS = 12
MODULE = "quality-management"
RESULTS = Path(__file__).resolve().parent / "results" / "pages.md"
LIMIT_HTML_KB = 100  # uncompressed
LIMIT_COMPRESSED_KB = 30
LEVEL_RUNS = 20
# One entry per resource the page loaded: the document first, then its style sheets and scripts.
SIZES = """() => [
    ...performance.getEntriesByType("navigation"),
    ...performance.getEntriesByType("resource")
        .filter(e => new URL(e.name).pathname.startsWith("/static/")),
].map(e => ({
    url: e.name, decoded: e.decodedBodySize, encoded: e.encodedBodySize,
    transferred: e.transferSize,
}))"""


@dataclass
class Weight:
    name: str
    path: str
    encoding: str
    html: int
    html_encoded: int
    page: int
    page_encoded: int
    resources: int
    repeat_transferred: int


def _prepare(app) -> int:
    """bench/charts.py's enterprise (10 indicators x 24 months, an admin), and a plan of
    ACTIONS actions for it."""
    enterprise_id = charts._prepare(app)
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.email == "admin@example.org"))
        enterprise = db.session.get(Enterprise, enterprise_id)
        plan = plan_services.start_plan(
            admin, enterprise, title="Plan 2025", started_on=date(2024, 2, 5), carry_over=False,
            seen_current=None,
        )  # fmt: skip
        statuses = ("planned", "in_progress", "done")
        for n in range(ACTIONS):
            plan_services.add_action(
                admin, plan,
                {
                    "problem": f"Problem {n + 1}: rework piles up at station {n % 7 + 1}",
                    "root_cause": "No standard for the operation; new operators guess",
                    "action": f"Write the standard for station {n % 7 + 1} and train the team",
                    "responsible": f"Supervisor {n % 4 + 1}",
                    "start_date": date(2024, 3, 1), "due_date": date(2024, 4, 1 + n),
                    "status": statuses[n % 3], "module_slug": MODULE,
                    "indicator": INDICATORS[n % 10].code, "target_value": "50",
                    "estimated_cost": str(100 + 10 * n), "realised_savings": str(40 * n),
                },
            )  # fmt: skip
    return enterprise_id


def _weigh(page, cdp, name: str, path: str) -> tuple[Weight, bytes]:
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response)
    assert page.url.endswith(path), f"{path} led to {page.url}"
    html = response.body()
    first = page.evaluate(SIZES)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    page.goto(path)  # once with the cache on, so the next visit may use it
    page.goto(path)
    repeat = page.evaluate(SIZES)
    document, resources = first[0], first[1:]
    assert document["decoded"] == len(html), (path, document, len(html))
    weight = Weight(
        name=name,
        path=path,
        encoding=response.all_headers().get("content-encoding", "none"),
        html=document["decoded"],
        html_encoded=document["encoded"],
        page=sum(entry["decoded"] for entry in first),
        page_encoded=sum(entry["encoded"] for entry in first),
        resources=len(resources),
        repeat_transferred=sum(entry["transferred"] for entry in repeat),
    )
    return weight, html


COMPRESSORS = {
    "gzip 6": lambda html: gzip.compress(html, 6),
    "Brotli 4": lambda html: brotli.compress(html, quality=4),
    "Brotli 5 (the app's)": lambda html: brotli.compress(html, quality=5),
    "Brotli 6": lambda html: brotli.compress(html, quality=6),
    "Brotli 11": lambda html: brotli.compress(html, quality=11),
}


def _levels(html: bytes) -> list[tuple[int, float]]:
    """Size and median time of each compressor on one document."""
    found = []
    for pack in COMPRESSORS.values():
        times = []
        for _run in range(LEVEL_RUNS):
            started = time.perf_counter()
            size = len(pack(html))
            times.append(time.perf_counter() - started)
        found.append((size, statistics.median(times)))
    return found


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"}
        )  # CSRF on: Chromium signs in through the form, as a user does
        enterprise_id = _prepare(app)
        enterprise = f"/enterprises/{enterprise_id}"
        pages = [
            ("home", "/"),
            ("enterprise results, 10 indicators x 24 months", f"{enterprise}/indicators"),
            (f"improvement plan, {ACTIONS} actions", f"{enterprise}/plan"),
            ("programme dashboard", "/programme"),
            ("training module reader", f"/modules/{MODULE}"),
        ]  # fmt: skip
        with serve(app) as url, sync_playwright() as playwright:
            context = open_chromium(
                playwright, Path(folder) / "chromium", base_url=url, locale="en-GB", **LAPTOP
            )
            page = context.pages[0]
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            weights, documents = [], []
            weight, html = _weigh(page, cdp, "sign-in page", "/login")
            weights.append(weight)
            documents.append(html)
            page.get_by_label("Email").fill("admin@example.org")
            page.get_by_label("Password").fill(charts.PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{url}/")
            for name, path in pages:
                page.goto(path)  # warm up: templates compiled, queries cached
                weight, html = _weigh(page, cdp, name, path)
                weights.append(weight)
                documents.append(html)
            context.close()
    _report(weights, [_levels(html) for html in documents])


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def _verdict(plain: int, packed: int) -> str:
    met = plain <= LIMIT_HTML_KB * 1024 and packed <= LIMIT_COMPRESSED_KB * 1024
    return "met" if met else "missed"


def _report(weights: list[Weight], levels: list[list[tuple[int, float]]]) -> None:
    rows = "".join(
        f"| {w.name} | `{w.encoding}` | {_kb(w.html)} | {_kb(w.html_encoded)} | "
        f"{_verdict(w.html, w.html_encoded)} | {w.resources} | {_kb(w.page)} | "
        f"{_kb(w.page_encoded)} | {_verdict(w.page, w.page_encoded)} | "
        f"{_kb(w.repeat_transferred)} |\n"
        for w in weights
    )
    level_rows = "".join(
        f"| {w.name} ({_kb(w.html)}) | "
        + " | ".join(f"{_kb(size)}, {seconds * 1000:.2f} ms" for size, seconds in found)
        + " |\n"
        for w, found in zip(weights, levels, strict=True)
    )
    missed = [w.name for w in weights if _verdict(w.page, w.page_encoded) == "missed"]
    report = (
        "# Page weight\n\n"
        f"{describe()}"
        "- data: one enterprise with 10 indicators x 24 monthly figures (bench/charts.py), a "
        f"plan of {ACTIONS} actions, the module `{MODULE}` in English\n"
        "- served by Werkzeug on 127.0.0.1 (SQLite), read by Debian's Chromium at laptop size, "
        "signed in as an admin; sizes from the browser's Resource Timing (1 KB = 1024 bytes)\n"
        f"- goal for every main page: at most {LIMIT_HTML_KB} KB uncompressed and "
        f"{LIMIT_COMPRESSED_KB} KB compressed\n\n"
        "| page | encoding | HTML | HTML compressed | HTML: goal | CSS/JS files | page with "
        "CSS/JS | compressed | page: goal | repeat visit, sent |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
        f"{rows}\n"
        '"Compressed" is the body as it crossed the network; "repeat visit, sent" is what a '
        "second visit transfers, headers included, when the style sheets come from the cache.\n\n"
        + (
            "Every main page meets the goal, with its CSS and JS.\n\n"
            if not missed
            else f"Missed, with its CSS and JS: {', '.join(missed)}.\n\n"
        )
        + "## Each page's HTML at several compression levels\n\n"
        f"Size, and median time of {LEVEL_RUNS} runs in this process.\n\n"
        f"| page | {' | '.join(COMPRESSORS)} |\n|---|{'---|' * len(COMPRESSORS)}\n"
        f"{level_rows}"
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
