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
from score_app.i18n import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    country_choices,
    format_number,
    gettext,
    html_lang,
    in_locale,
    name_key,
    sort_key,
)
from tests.conftest import sign_in

TRANSLATED = [loc for loc in SUPPORTED_LOCALES if loc != DEFAULT_LOCALE]


def _ids(path: Path) -> set:
    with path.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def _catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _sign_in_in(locale: str) -> str:
    """'Sign in' as the locale's catalogue writes it: the sign-in page's heading."""
    return "Sign in" if locale == DEFAULT_LOCALE else _catalogue(locale)["Sign in"].string


def test_every_supported_language_has_a_catalogue_and_no_other_does():
    folders = {p.name for p in TRANSLATIONS.iterdir() if p.is_dir()}
    assert folders == set(TRANSLATED)


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
    assert f'<html lang="{html_lang(locale)}">' in page
    assert f"<h1>{_sign_in_in(locale)}</h1>" in page


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
        assert gettext("Sign in") == _sign_in_in("es")
        with in_locale("fr"):
            assert gettext("Sign in") == _sign_in_in("fr")
            assert format_number(1234.5, 1) == "1\u202f234,5"
        assert gettext("Sign in") == _sign_in_in("es")
        assert format_number(1234.5, 1) == "1.234,5"


# The offer to a Traditional Chinese reader, in the Chinese catalogue's words.
OFFER = _catalogue("zh")[
    "This site has no Traditional Chinese version. It is available in Simplified Chinese."
].string


def test_simplified_chinese_is_chosen_for_a_browser_asking_for_it(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(True)
    assert '<html lang="zh-Hans">' in page
    assert "<h1>登录</h1>" in page
    assert OFFER not in page


@pytest.mark.parametrize(
    "asked", ["zh-TW", "zh-HK", "zh-Hant", "zh-Hant-TW", "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7"]
)
def test_traditional_chinese_gets_english_and_an_offer_of_simplified_chinese(client, asked):
    page = client.get("/login", headers={"Accept-Language": asked}).get_data(True)
    assert '<html lang="en">' in page and "<h1>Sign in</h1>" in page
    # The offer is written in Chinese, for a reader who may read no English.
    assert OFFER in page
    assert 'name="locale" value="zh"' in page


def test_traditional_chinese_gets_the_browsers_next_language_with_the_offer(client):
    page = client.get("/login", headers={"Accept-Language": "zh-TW,fr;q=0.8"}).get_data(True)
    assert '<html lang="fr">' in page and OFFER in page


def test_taking_the_offer_speaks_simplified_chinese_without_offering_it_again(client):
    client.post("/locale", data={"locale": "zh", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "zh-TW"}).get_data(True)
    assert '<html lang="zh-Hans">' in page and OFFER not in page


def test_a_reader_who_chose_english_is_not_offered_chinese_again(client):
    client.post("/locale", data={"locale": "en", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "zh-TW"}).get_data(True)
    assert '<html lang="en">' in page and OFFER not in page


def test_country_names_in_chinese_are_listed_by_pinyin(app):
    with app.test_request_context(), in_locale("zh"):
        names = [name for _code, name in country_choices()]
    keys = [sort_key(name) for name in names]
    assert keys == sorted(keys) and keys[0].startswith("a")
    assert names.index("中国") > names.index("德国")  # zhong1 after de2


def test_a_browser_that_prefers_another_language_is_not_offered_chinese(client):
    page = client.get("/login", headers={"Accept-Language": "fr,zh-TW;q=0.5"}).get_data(True)
    assert '<html lang="fr">' in page and OFFER not in page


def test_chinese_names_sort_by_pinyin_and_its_tones_among_latin_names():
    names = ["张伟", "Zebra Textiles", "王芳", "陈静", "acme", "李娜", "Đông Á"]
    assert sorted(names, key=sort_key) == [
        "acme", "陈静", "Đông Á", "李娜", "王芳", "Zebra Textiles", "张伟"
    ]  # fmt: skip
    assert sorted(["众华", "中华"], key=sort_key) == ["中华", "众华"]  # zhong1 before zhong4
    assert sorted(["中山", "重庆"], key=sort_key) == ["重庆", "中山"]  # 重庆 reads chong2 qing4


def test_indonesian_and_other_latin_names_sort_without_case_or_marks():
    names = ["PT Sinar Jaya", "cv Abadi", "Ébène", "pt Anugerah"]
    assert sorted(names, key=sort_key) == ["cv Abadi", "Ébène", "pt Anugerah", "PT Sinar Jaya"]


def test_a_chinese_enterprise_name_is_kept_to_be_found_by_its_characters_or_its_pinyin():
    assert name_key("Acme Works") == "acme works"
    key = name_key("明华服装")
    assert key.startswith("ming2 hua2 fu2 zhuang1") and "明华服装" in key


def test_the_enterprise_list_sorts_chinese_names_by_pinyin(client_as, create_enterprise):
    for name in ("张氏鞋业", "Bintang Garmen", "安达纺织", "Mekong Foods"):
        create_enterprise(name=name)
    page = client_as("admin", preferred_locale="zh").get("/enterprises").get_data(True)
    order = sorted(("张氏鞋业", "Bintang Garmen", "安达纺织", "Mekong Foods"), key=page.index)
    assert order == ["安达纺织", "Bintang Garmen", "Mekong Foods", "张氏鞋业"]
    found = client_as("admin").get("/enterprises?q=鞋业").get_data(True)
    assert "张氏鞋业" in found and "安达纺织" not in found
