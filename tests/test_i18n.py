"""Languages: complete catalogues, an up-to-date template, locale choice, and locale formatting."""

import ast
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import score_app
from score_app.cli import POT_FILE, TRANSLATIONS, extract_messages
from score_app.i18n import SUPPORTED_LOCALES, format_number, gettext, in_locale
from tests.conftest import sign_in

TRANSLATED = [loc for loc in SUPPORTED_LOCALES if loc != "en"]
# One string per locale, as a user sees it on the sign-in page.
SIGN_IN = {"en": "Sign in", "fr": "Se connecter", "es": "Iniciar sesión", "vi": "Đăng nhập"}


def _ids(path: Path) -> set:
    with path.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def _catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_messages_pot_holds_every_string_of_the_code(tmp_path):
    fresh = tmp_path / "fresh.pot"
    extract_messages(fresh)
    assert _ids(fresh) == _ids(POT_FILE), "run `flask score i18n update` and translate"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_translates_every_string_without_fuzzy_entries(locale):
    catalogue = _catalogue(locale)
    assert {m.id for m in catalogue if m.id} == _ids(POT_FILE)
    todo = [
        m.id
        for m in catalogue
        if m.id
        and (
            m.fuzzy
            or not m.string
            or (isinstance(m.string, tuple) and not all(m.string[: catalogue.num_plurals]))
        )
    ]
    assert todo == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_keeps_the_placeholders_of_each_string(locale):
    catalogue = _catalogue(locale)
    problems = [(m.id, str(e)) for m in catalogue if m.id for e in m.check(catalogue)]
    assert problems == []


@pytest.mark.parametrize("locale", list(SUPPORTED_LOCALES))
def test_sign_in_page_renders_in_each_language(client, locale):
    page = client.get("/login", headers={"Accept-Language": locale}).get_data(True)
    assert f'<html lang="{locale}">' in page
    assert f"<h1>{SIGN_IN[locale]}</h1>" in page


def test_unsupported_browser_language_falls_back_to_english(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(True)
    assert '<html lang="en">' in page


def test_switcher_sets_the_language_before_signing_in(client):
    response = client.post("/locale", data={"locale": "vi", "next": "/login"})
    assert response.location == "/login"
    page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(True)
    assert '<html lang="vi">' in page


def test_users_preference_wins_over_the_browser(app, create_user):
    client = sign_in(app.test_client(), create_user("trainer", preferred_locale="es"))
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(True)
    assert '<html lang="es">' in page


def test_switcher_saves_the_signed_in_users_preference(app, create_user):
    user = create_user("trainer")
    client = sign_in(app.test_client(), user)
    client.post("/locale", data={"locale": "fr", "next": "/"})
    other_device = sign_in(app.test_client(), user)
    assert '<html lang="fr">' in other_device.get("/").get_data(True)


def test_switcher_ignores_an_unknown_language_and_an_outside_next(client):
    response = client.post("/locale", data={"locale": "xx", "next": "https://evil.example/"})
    assert response.location == "/"
    assert '<html lang="en">' in client.get("/login").get_data(True)


def test_dates_numbers_and_countries_follow_the_locale(client_as, create_enterprise):
    enterprise = create_enterprise(
        country="VN", workers_women=1200, workers_men=34, joined_on=date(2025, 3, 3)
    )
    page = client_as("admin", preferred_locale="fr").get(f"/enterprises/{enterprise.id}")
    text = page.get_data(True)
    assert "Viêt Nam" in text
    assert "3 mars 2025" in text
    assert "1\u202f234" in text or "1\u00a0234" in text


NUMBERS = st.one_of(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=4),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NUMBERS, digits=st.integers(min_value=0, max_value=3))
def test_numbers_are_written_as_babel_writes_them_in_every_language(app, value, digits):
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    with app.test_request_context():
        for locale in SUPPORTED_LOCALES:
            with in_locale(locale):
                expected = format_decimal(value, format=pattern, locale=locale)
                assert format_number(value, digits) == expected


def test_numbers_round_half_to_even_and_keep_the_sign_of_a_small_loss(app):
    with app.test_request_context(), in_locale("fr"):
        assert format_number(2.675, 2) == "2,68"
        assert format_number(0.125, 2) == "0,12"
        assert format_number(-0.004, 2) == "-0,00"
        assert format_number(1234567.5) == "1\u202f234\u202f568"


# i18n.py keeps the request's catalogue once looked up; Flask-Babel's own functions would not
# see it, and its force_locale would leave it in the old language.
KEPT_BY_I18N = ("gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "force_locale")


def test_texts_are_translated_through_the_apps_own_functions():
    package = Path(score_app.__file__).parent
    offenders = [
        f"{path.relative_to(package)}: {alias.name}"
        for path in package.rglob("*.py")
        if path.name != "i18n.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "flask_babel"
        for alias in node.names
        if alias.name in KEPT_BY_I18N
    ]
    assert offenders == [], "import these from score_app.i18n instead"


def test_a_block_in_another_language_gives_the_page_its_own_back(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert gettext("Sign in") == SIGN_IN["es"]
        with in_locale("fr"):
            assert gettext("Sign in") == SIGN_IN["fr"]
            assert format_number(1234.5, 1) == "1\u202f234,5"
        assert gettext("Sign in") == SIGN_IN["es"]
        assert format_number(1234.5, 1) == "1.234,5"
