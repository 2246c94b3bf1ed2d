"""The programme pages and API as programme staff use them: the dashboard with its filters,
the synthesis report, the summary endpoint, and who may see them."""

import io
import re

import pytest
from pypdf import PdfReader

from score_app.auth import services as auth_services
from score_app.auth.models import User
from score_app.extensions import db
from score_app.programme.filters import Filters
from score_app.programme.report import breakdowns
from tests.conftest import job_document, sign_in


def _client(app, world, role="staff"):
    return sign_in(app.test_client(), world["users"][role])


def _api(app, world, role="staff"):
    with app.app_context():
        _token, plain = auth_services.create_token(
            db.session.get(User, world["users"][role].id), "test"
        )
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
    return client


def test_the_dashboard_shows_results_outputs_and_who_is_left_out(app, results_world):
    page = _client(app, results_world).get("/programme").get_data(True)
    assert "Defect rate" in page and "Operating efficiency" in page
    table = page.split("Defect rate", 1)[1].split("</tr>", 1)[0]
    for figure in ("<strong>3</strong>", "2.5", "2.2", "2.5 → 2.6", "0.0", "33 %"):
        assert figure in table, figure
    said = " ".join(page.split('<p class="callout notice">', 1)[1].split("</p>", 1)[0].split())
    assert said == (
        "5 enterprises are selected. 4 share their figures with the programme; 1 has not agreed "
        "and is left out of every figure."
    )
    assert "Missing a follow-up (1)" in page
    # Programme staff do not enter figures: the link opens the enterprise's measurements.
    assert f'/enterprises/{results_world["enterprises"][4].id}/measurements"' in page


def test_filters_are_kept_and_bad_ones_are_explained(app, results_world):
    client = _client(app, results_world)
    page = client.get("/programme?sector=textiles").get_data(True)
    assert '<option selected value="textiles">' in page
    assert "<strong>1</strong>" in page.split("Defect rate", 1)[1].split("</tr>", 1)[0]
    response = client.get("/programme?from=2025-09-01&to=2025-01-01&module=juggling")
    assert response.status_code == 422
    page = response.get_data(True)
    assert "The end of the period cannot come before its start." in page
    assert "Choose a module from the catalogue." in page
    assert 'value="2025-09-01"' in page


def test_only_programme_staff_and_admins_see_the_dashboard(app, results_world, client_as):
    assert _client(app, results_world, "admin").get("/programme").status_code == 200
    assert _client(app, results_world, "owner").get("/programme").status_code == 403
    assert client_as("trainer").get("/programme/report.pdf").status_code == 403


def test_the_synthesis_report_prints_the_figures_in_the_chosen_language(app, results_world):
    response = job_document(
        _client(app, results_world), "/programme/report.pdf?sector=garments&lang=fr"
    )
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert len(reader.pages) in range(1, 7)
    assert "Résultats du programme" in text and "Taux de produits défectueux" in text
    assert "Confection" in text or "Habillement" in text  # the sector filter, in French


def test_the_summary_endpoint_gives_one_indicator_with_its_counts(app, results_world):
    response = _api(app, results_world).get("/api/v1/programme/summary?indicator=defect_rate")
    assert response.status_code == 200
    assert response.get_json() == {
        "indicator": "defect_rate",
        "n": 3,
        "n_baseline_only": 1,
        "n_follow_up_only": 0,
        "baseline_mean": 2.5,
        "follow_up_mean": 2.166667,
        "pooled_baseline": 2.545455,
        "pooled_follow_up": 2.636364,
        "median_change": 0.0,
        "share_improved": 0.333333,
        "excluded_without_consent": 1,
    }


def test_the_summary_endpoint_refuses_bad_input_and_other_roles(app, results_world):
    staff = _api(app, results_world)
    response = staff.get("/api/v1/programme/summary?indicator=happiness&from=yesterday")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"indicator", "from"}
    empty = staff.get("/api/v1/programme/summary?indicator=dhu").get_json()
    assert (empty["n"], empty["baseline_mean"]) == (0, None)
    owner = _api(app, results_world, "owner")
    assert owner.get("/api/v1/programme/summary?indicator=dhu").status_code == 403
    assert app.test_client().get("/api/v1/programme/summary").status_code == 401


def test_a_report_asked_with_bad_filters_goes_back_to_the_dashboard_that_explains(
    app, results_world
):
    response = _client(app, results_world).get("/programme/report.pdf?from=notadate")
    assert response.status_code == 302
    assert response.headers["Location"] == "/programme?from=notadate"


def test_optional_filter_fields_are_not_marked_required(app, results_world):
    page = _client(app, results_world).get("/programme").get_data(True)
    sector = page.split('id="sector"', 1)[1].split(">", 1)[0]
    assert "required" not in sector and 'required="None"' not in page


def test_a_typed_filter_comes_back_escaped(app, results_world):
    page = (
        _client(app, results_world).get('/programme?cohort="><script>x()</script>').get_data(True)
    )
    assert "<script>x()</script>" not in page and "&lt;script&gt;x()&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("asked", "back"),
    [
        ("/programme/report.pdf", "/programme"),
        ("/programme/results.csv", "/programme"),
        ("/programme/exports/measurements.csv", "/programme/exports"),
    ],
)
def test_unknown_query_arguments_are_dropped_on_the_way_back_to_the_page_that_explains(
    app, results_world, asked, back
):
    """`endpoint` and url_for's own `_external`/`_anchor` would have been passed to url_for."""
    query = "?endpoint=x&_external=1&_anchor=top&colour=blue&from=notadate&cohort=A"
    response = _client(app, results_world).get(asked + query)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{back}?cohort=A&from=notadate"


@pytest.mark.parametrize("page", ["/programme", "/programme/exports"])
def test_the_programme_pages_link_on_with_their_filters_only(app, results_world, page):
    response = _client(app, results_world).get(page + "?endpoint=x&_anchor=top&cohort=A")
    html = response.get_data(True)
    assert response.status_code == 200
    assert 'href="/programme?cohort=A"' in html and 'href="/programme/exports?cohort=A"' in html
    links = re.findall(r'href="([^"]*)"', html)
    assert not [link for link in links if "endpoint" in link or "#top" in link]


def test_the_synthesis_report_states_its_period_and_breaks_results_down(app, results_world):
    response = job_document(_client(app, results_world, "admin"), "/programme/report.pdf?lang=en")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Period covered January 1, 2025 \u2013 July 31, 2025" in text
    # Ghana's four sharing enterprises and South Africa's one, side by side.
    assert "Results by country Indicator Ghana 4 enterprises South Africa 1 enterprise" in text
    assert "Results by sector Indicator Garments" in text


def test_breakdowns_follow_the_groups_the_filters_leave_open(app, results_world):
    staff = results_world["users"]["staff"]
    with app.test_request_context():
        user = db.session.get(User, staff.id)
        found = breakdowns(user, Filters())
        # Staff of Ghana see one country: no breakdown by country, one by sector.
        assert [b.title for b in found] == ["Results by sector"]
        (table,) = found[0].tables
        assert table.groups == [("Garments", 3), ("Textiles", 1)]
        defects = dict((d.code, results) for d, results in table.rows)["defect_rate"]
        assert [(r.n, r.baseline_mean, r.follow_up_mean) for r in defects] == [
            (2, 2.75, 2.25),
            (1, 2.0, 2.0),
        ]
        efficiency = dict((d.code, results) for d, results in table.rows)["operating_efficiency"]
        assert efficiency[1] is None  # no textile enterprise measured it
        assert breakdowns(user, Filters(sector="garments")) == []


def test_a_narrative_is_kept_and_printed_first_in_the_synthesis_report(app, results_world):
    client = _client(app, results_world)
    text = "Second cohort: absenteeism fell after the canteen reopened.\nNext: OSH visits."
    response = client.post("/programme/narrative?sector=garments", data={"narrative": text})
    assert response.status_code == 302
    assert response.headers["Location"] == "/programme?sector=garments"
    page = client.get("/programme").get_data(True)
    assert "Second cohort: absenteeism fell after the canteen reopened." in page
    reader = PdfReader(io.BytesIO(job_document(client, "/programme/report.pdf?lang=en").data))
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Summary Second cohort: absenteeism fell after the canteen reopened. Next: OSH" in first
    # Blank takes it out of the report.
    client.post("/programme/narrative", data={"narrative": "  "})
    reader = PdfReader(io.BytesIO(job_document(client, "/programme/report.pdf?lang=en").data))
    assert "Summary" not in reader.pages[0].extract_text()


def test_a_narrative_too_long_is_refused_and_kept_as_typed(app, results_world):
    client = _client(app, results_world)
    typed = "Long story. " * 500
    response = client.post("/programme/narrative", data={"narrative": typed})
    assert response.status_code == 422
    page = response.get_data(True)
    assert "Keep this under 5,000 characters." in page
    assert typed.strip()[:120] in page
    with app.app_context():
        assert db.session.get(User, results_world["users"]["staff"].id).report_narrative == ""


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("?cohort=nobody", "No enterprise matches these filters."),
        ("?sector=textiles", "1 enterprise is selected. It shares its figures with the programme."),
    ],
)
def test_whom_the_figures_cover_is_said_with_each_count_s_own_noun(app, results_world, query, said):
    page = _client(app, results_world).get("/programme" + query).get_data(True)
    shown = page.split('<p class="callout notice">', 1)[1].split("</p>", 1)[0]
    assert " ".join(shown.split()) == said
