"""The module catalogue and reader as users see them, the print view and the PDF handout."""

import io

import pytest
from pypdf import PdfReader

from tests.catalog.conftest import write_module


def test_catalogue_lists_the_five_modules_in_the_users_language(client_as):
    page = client_as("trainer", preferred_locale="fr").get("/modules").get_data(True)
    assert "Coopération sur le lieu de travail" in page
    assert page.index("workplace-cooperation") < page.index("occupational-safety-health")


def test_reader_shows_the_module_with_contents_and_checklist(client_as):
    page = client_as("trainer", preferred_locale="es").get("/modules/quality-management")
    text = page.get_data(True)
    assert page.status_code == 200
    assert '<html lang="es">' in text
    assert 'class="toc' in text and 'href="#checklist"' in text
    assert "qm-01" in text and "qm-12" in text
    assert "not yet translated" not in text


@pytest.mark.parametrize(
    "lang, listed",
    [
        (
            "en",
            "Defect rate, Defects per hundred units, On-time delivery, and Operating efficiency",
        ),
        ("zh", "次品率、百件缺陷数、准时交货和作业效率"),
    ],
)
def test_the_indicators_a_module_moves_are_listed_as_the_language_lists(client_as, lang, listed):
    page = client_as("trainer", preferred_locale=lang).get("/modules/quality-management")
    assert listed in page.get_data(True)


def test_reader_falls_back_to_english_with_a_notice(make_app, create_user, tmp_path):
    from tests.conftest import sign_in

    write_module(tmp_path, "alpha", 1, locales=("en",))
    app = make_app(SCORE_MODULES_DIR=str(tmp_path))
    client = sign_in(app.test_client(), create_user("trainer", preferred_locale="vi"))
    page = client.get("/modules/alpha").get_data(True)
    assert '<article class="module-text" lang="en">' in page
    assert "alpha (vi)" in page  # the title still comes from module.toml in Vietnamese
    notice = client.get("/modules/alpha", headers={}).get_data(True)
    assert "shown in English" in notice or "tiếng Anh" in notice


def test_unknown_module_is_a_404(client_as):
    assert client_as("trainer").get("/modules/underwater-basket-weaving").status_code == 404


def test_print_view_is_a_standalone_page_with_the_whole_module(client_as):
    page = client_as("trainer").get("/modules/cleaner-production/print").get_data(True)
    assert "css/print.css" in page
    assert "Good-practice checklist" in page
    assert 'class="site-header"' not in page


@pytest.mark.parametrize(("lang", "title"), [("en", "Occupational Safety"), ("vi", "An toàn")])
def test_pdf_handout_opens_with_the_module_text_in_the_chosen_language(client_as, lang, title):
    response = client_as("trainer").get(
        f"/modules/occupational-safety-health/handout.pdf?lang={lang}"
    )
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 5
    first_page = reader.pages[0].extract_text()
    assert title in first_page
    assert "osh-12" in "".join(page.extract_text() for page in reader.pages)


def test_guides_link_to_the_indicator_reference_in_the_readers_language(client_as):
    client = client_as("enterprise_owner", preferred_locale="fr")
    assert "Comment chaque indicateur est compté" in client.get("/modules").get_data(True)
    guide = client.get("/modules/workforce-management").get_data(True)
    assert 'href="/modules/indicators#taux-d-absenteisme-absenteeism-rate"' in guide
    page = client.get("/modules/indicators")
    text = page.get_data(True)
    assert page.status_code == 200
    assert "<h1>Référence des indicateurs</h1>" in text
    assert 'id="taux-d-absenteisme-absenteeism-rate"' in text
    assert "0,5 jour-personne" in text
