"""The printed plan: its HTML against a saved snapshot, the PDF's text, pages and fonts, and
user text that can neither become markup nor make the renderer fetch anything."""

import io
import os
import re
from datetime import date
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from score_app.auth.models import User
from score_app.documents import services as documents
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.models import Status
from score_app.pdf import BASE_URL, StaticFilesOnly
from score_app.plans import services
from tests.conftest import sign_in
from tests.plans.conftest import add_action, october_defects

SNAPSHOT = Path(__file__).parent / "snapshots" / "plan.html"
STATIC_VERSION = re.compile(r"\?v=[0-9a-f]{12}")


def _stable_actions(app, world):
    owner = world["users"]["owner"].id
    add_action(app, world["plan"], owner)
    add_action(app, world["plan"], owner, action="Daily 10-minute team meeting",
               problem="Orders are late", root_cause="", indicator="on_time_delivery",
               target_value="95", estimated_cost="", status="in_progress",
               due_date="2025-06-30", responsible="Efua Asante")  # fmt: skip
    add_action(app, world["plan"], owner, action="Fix compressed-air leaks",
               problem="Energy bills doubled", module_slug="cleaner-production",
               indicator="", target_value="", estimated_cost="300", realised_savings="2450.00",
               status="done", done_on=date(2025, 5, 20), responsible="Yaw Darko")  # fmt: skip


def _pdf(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def _text(reader) -> str:
    """The PDF's text with line breaks as spaces: table cells wrap at any space."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_printed_plan_html_matches_its_snapshot(app, plan_world, create_user):
    _stable_actions(app, plan_world)
    admin = create_user("admin")
    with app.test_request_context():
        html = documents.plan(
            db.session.get(User, admin.id),
            plan_world["enterprise"].id,
            locale="en",
            today=date(2025, 8, 1),
            plan_id=plan_world["plan"],
        ).html
    assert STATIC_VERSION.search(html), "the style sheets are linked by version"
    # The versions change with every edit of a style sheet, which the snapshot is not about.
    html = STATIC_VERSION.sub("", html)
    if os.environ.get("SNAPSHOT_UPDATE"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(html)
    assert SNAPSHOT.exists(), "no snapshot yet: run with SNAPSHOT_UPDATE=1 and review it"
    assert html == SNAPSHOT.read_text()


def test_the_plan_pdf_holds_the_names_numbers_and_sections(app, plan_world):
    _stable_actions(app, plan_world)
    reader = _pdf(
        plan_world["clients"]["owner"], f"/enterprises/{plan_world['enterprise'].id}/plan.pdf"
    )
    text = _text(reader)
    assert 3 <= len(reader.pages) <= 8
    for expected in (
        "Accra Works", "Plan 2025", "60 women, 40 men, 100 in all", "Efua Asante", "Yaw Darko",
        "63.1", "74.4", "+11.3 points", "+17.9 %", "-1.2 points", "-30.0 %",
        "4.17", "1 / 240,000", "Lost-time injuries / Hours worked", "Replace needle plates",
        "Kofi Mensah", "Improved",
        "GHS1,200.50", "GHS2,450.00", "1 of 3 practices in place", "2 of 3 practices in place",
        "For the workers (worker representative)", "Generated on", f"1 / {len(reader.pages)}",
    ):  # fmt: skip
        assert expected in text, expected
    assert "Not In Team" not in text  # only EIT members are listed


def test_the_plan_pdf_is_printed_in_the_chosen_language_with_embedded_fonts(app, plan_world):
    _stable_actions(app, plan_world)
    url = f"/enterprises/{plan_world['enterprise'].id}/plan.pdf?lang=vi"
    reader = _pdf(plan_world["clients"]["owner"], url)
    text = _text(reader)
    assert "Kế hoạch cải tiến" in text
    assert "Improvement plan" not in text and "tháng 7, 2025" in text  # dates in Vietnamese
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor


def test_user_text_prints_as_text_and_the_renderer_fetches_only_static_files(
    app, plan_world, monkeypatch
):
    fetched = []
    real_fetch = StaticFilesOnly.fetch

    def recording_fetch(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(StaticFilesOnly, "fetch", recording_fetch)
    add_action(app, plan_world["plan"], plan_world["users"]["owner"].id,
               action='<img src="file:///etc/passwd">',
               problem='<link rel="stylesheet" href="https://example.com/x.css"><b>bold</b>',
               responsible="<script>alert(1)</script>")  # fmt: skip
    reader = _pdf(
        plan_world["clients"]["owner"], f"/enterprises/{plan_world['enterprise'].id}/plan.pdf"
    )
    text = _text(reader)
    flat = "".join(text.split())  # table cells wrap long words over lines
    assert '<imgsrc="file:///etc/passwd">' in flat
    assert '<linkrel="stylesheet"href="https://example.com/x.css"><b>bold</b>' in flat
    assert "<script>alert(1)</script>" in flat
    assert fetched and all(url.startswith(BASE_URL + "static/") for url in fetched)
    assert "root:" not in text


def test_an_archived_plan_and_a_chosen_follow_up_can_be_printed(app, plan_world):
    _stable_actions(app, plan_world)
    with app.app_context():
        enterprise = db.session.get(Enterprise, plan_world["enterprise"].id)
        services.start_plan(
            db.session.get(User, plan_world["users"]["owner"].id), enterprise,
            title="Plan 2026", started_on=date(2026, 1, 5), carry_over=False,
            seen_current=plan_world["plan"],
        )  # fmt: skip
    owner = plan_world["clients"]["owner"]
    url = f"/enterprises/{plan_world['enterprise'].id}/plan.pdf?plan={plan_world['plan']}"
    text = _text(_pdf(owner, url))
    assert "Plan 2025" in text and "Replace needle plates" in text


def test_a_draft_follow_up_never_reaches_the_printed_plan(app, plan_world):
    october_defects(app, plan_world, Status.DRAFT)
    text = _text(
        _pdf(plan_world["clients"]["owner"], f"/enterprises/{plan_world['enterprise'].id}/plan.pdf")
    )
    assert "Oct 1, 2025" not in text and "Jul 1, 2025" in text
    assert (
        "▲ Improved -1.5 points · -50.0 %" in text
    )  # defects 3.0 -> 1.5, the submitted July figure


def test_the_plans_first_page_names_the_organisation_with_its_logo(make_app, plan_data, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), "#123456").save(logo)
    app = make_app(
        SCORE_ORGANISATION_NAME="Ghana Employers' Association", SCORE_ORGANISATION_LOGO=str(logo)
    )
    owner = sign_in(app.test_client(), plan_data["users"]["owner"])
    first, *rest = _pdf(owner, f"/enterprises/{plan_data['enterprise'].id}/plan.pdf").pages
    assert first.extract_text().splitlines()[0] == "Ghana Employers' Association"
    image = next(
        name
        for name, x in first["/Resources"]["/XObject"].items()
        if x.get_object()["/Subtype"] == "/Image"
    )
    assert f"{image} Do".encode() in first.get_contents().get_data()
    assert not any(f"{image} Do".encode() in page.get_contents().get_data() for page in rest)
