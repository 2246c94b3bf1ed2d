"""Languages: the one list of supported locales, locale selection, and locale-aware formatting."""

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import (
    NumberFormatError,
    get_currency_name,
    get_currency_precision,
    get_territory_currencies,
    parse_decimal,
)
from babel.support import NullTranslations
from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import (
    force_locale,
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_translations,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user

# i18n: each language is named in itself so a reader finds their own. This is the one list:
# a language is added here, with its catalogue in translations/<code>/, its glossary in
# glossary/<code>.toml and its module texts in modules/*/module.toml.
SUPPORTED_LOCALES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "vi": "Tiếng Việt",
    "id": "Bahasa Indonesia",
    "zh": "简体中文",
}
DEFAULT_LOCALE = "en"
# Our Chinese is Simplified: a browser asking for Traditional Chinese is offered it, not given it.
SIMPLIFIED_CHINESE = "zh"
_TRADITIONAL_CHINESE = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")

# Codes Babel knows as territories that are not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


def select_locale() -> str | None:
    """The request's locale: user preference, else the switcher's choice, else Accept-Language."""
    if not has_request_context():
        return None
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    if request.blueprint == "api" and request.accept_languages:
        chosen = _browser_locale()
        if chosen:
            return chosen
    if user is not None and user.preferred_locale in SUPPORTED_LOCALES:
        return user.preferred_locale
    if session.get("locale") in SUPPORTED_LOCALES:
        return session["locale"]
    return _browser_locale() or DEFAULT_LOCALE


def _is_traditional_chinese(tag: str) -> bool:
    tag = tag.lower().replace("_", "-")
    return any(tag == t or tag.startswith(t + "-") for t in _TRADITIONAL_CHINESE)


def _browser_locale() -> str | None:
    """The best of our languages for the browser's Accept-Language, where Traditional Chinese
    (zh-TW, zh-HK, zh-Hant) never falls back silently to our Simplified Chinese: the reader gets
    their next language, or English, and a notice offering 简体中文 (see offers_simplified_chinese).
    """
    accepted = request.accept_languages
    traditional = False
    for tag, _quality in accepted:
        # "zh-TW, zh" is a Taiwanese browser's usual list: its plain "zh" means Chinese as the
        # reader writes it, so it does not stand for our Simplified Chinese either.
        if _is_traditional_chinese(tag) or (traditional and tag.lower() == "zh"):
            traditional = True
            continue
        chosen = type(accepted)([(tag, 1)]).best_match(SUPPORTED_LOCALES)
        if chosen:
            return chosen
    return None


def html_lang(code: str) -> str:
    """The page's lang attribute: Chinese says its script, so browsers pick Simplified glyphs."""
    return "zh-Hans" if code == SIMPLIFIED_CHINESE else code


def simplified_chinese_offer() -> str:
    """The offer of 简体中文 to a Traditional Chinese reader, in Chinese whatever the page's
    language, since that reader may read no other language on the page."""
    with in_locale(SIMPLIFIED_CHINESE):
        return str(_OFFER)


def offers_simplified_chinese() -> bool:
    """True when the browser asked for Traditional Chinese first and the page is not in Chinese:
    the page then offers Simplified Chinese in one line, in Chinese. A reader who chose a
    language (in the switcher or their account) is not asked again."""
    if not has_request_context() or current_locale_code() == SIMPLIFIED_CHINESE:
        return False
    if session.get("locale") in SUPPORTED_LOCALES:
        return False
    if current_user.is_authenticated and current_user.preferred_locale in SUPPORTED_LOCALES:
        return False
    for tag, _quality in request.accept_languages:
        if _is_traditional_chinese(tag):
            return True
        if type(request.accept_languages)([(tag, 1)]).best_match(SUPPORTED_LOCALES):
            return False
    return False


@dataclass(frozen=True)
class _Language:
    """The request's locale and its catalogue, looked up once: a page asks for them some three
    hundred times (each text and each number), and Flask-Babel finds them anew at each call."""

    locale: Locale
    code: str
    translations: NullTranslations


def _language() -> _Language | None:
    if not has_app_context():
        return None
    language = g.get("score_language")
    if language is None:
        locale = get_locale()
        language = g.score_language = _Language(locale, str(locale), get_translations())
    return language


@contextmanager
def in_locale(code: str) -> Iterator[None]:
    """Speak `code` inside the block (a PDF or a certificate in its reader's language)."""
    kept = g.pop("score_language", None)
    try:
        with force_locale(code):
            yield
    finally:
        g.pop("score_language", None)
        if kept is not None:
            g.score_language = kept


def translations() -> NullTranslations:
    """The catalogue of the current locale (none outside an application context)."""
    language = _language()
    return language.translations if language else NullTranslations()


def gettext(string: str, **variables) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """A text translated when it is shown, in the locale of that moment (labels made at import)."""
    return LazyString(gettext, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables) -> LazyString:
    return LazyString(ngettext, singular, plural, num, **variables)


def current_locale_code() -> str:
    language = _language()
    return language.code if language else DEFAULT_LOCALE


def fold(text: str) -> str:
    """Accent- and case-free form of a text: 'cong ty' finds 'Công ty'; sorting ignores marks."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_key(text: str) -> str:
    """The key that orders names as their readers expect: Latin letters without case or marks
    (Indonesian, Vietnamese, French alike), and Chinese characters by their pinyin with its tone
    (中 zhong1 before 重 zhong4), as Chinese dictionaries and lists are ordered. A Chinese name
    therefore sits among Latin names where its pinyin would, in every language."""
    if not any(_is_han(c) for c in text):
        return fold(text)
    return fold(" ".join(w.strip() for w in _pinyin(text) if w.strip()))


def name_key(text: str) -> str:
    """What an enterprise keeps of its name to be sorted and found: its sort key, then, for a
    Chinese name, the folded name itself, so a search finds it by its characters or its pinyin."""
    key = sort_key(text)
    folded = fold(text)
    return key if key == folded else f"{key} {folded}"


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or char >= "\U00020000"


def _pinyin(text: str) -> list[str]:
    # Imported on first use: its dictionaries take some 30 MB and most requests sort no Chinese.
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)


def is_country_code(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code, upper case."""
    return _is_alpha2(code) and code in Locale("en").territories


def _is_alpha2(code: str) -> bool:
    return (
        len(code) == 2
        and code.isascii()
        and code.isalpha()
        and code.isupper()
        and (code not in _NOT_COUNTRIES)
    )


def country_name(code: str | None) -> str:
    """The country's name in the current locale, or the code itself when Babel does not know it."""
    if not code:
        return ""
    return Locale.parse(current_locale_code()).territories.get(code, code)


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every country, sorted by name in the current locale."""
    return list(_sorted_countries(current_locale_code()))


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def _sorted_countries(locale: str) -> tuple[tuple[str, str], ...]:
    # Sorted once per language: some 250 names, folded for the order, on every page with a form.
    names = Locale.parse(locale).territories
    codes = [c for c in names if _is_alpha2(c)]
    return tuple(sorted(((c, names[c]) for c in codes), key=lambda pair: sort_key(pair[1])))


def format_day(value: date | None, style: str = "medium") -> str:
    return format_date(value, style) if value else ""


def format_month(value: date, *, with_month: bool = True, locale: str | None = None) -> str:
    """A month as the locale writes it in short ("Jan 2025", "janv. 2025"), or its year alone."""
    month = value.month if with_month else None
    return _month_label(value.year, month, locale or current_locale_code())


@lru_cache(maxsize=4096)
def _month_label(year: int, month: int | None, locale: str) -> str:
    """Kept: a chart labels some thirty months, and Babel takes some 0.4 ms for each."""
    if month is None:
        return format_skeleton("y", date(year, 1, 1), locale=locale)
    return format_skeleton("yMMM", date(year, month, 1), locale=locale)


def format_moment(value: datetime | None) -> str:
    return format_datetime(value, "medium") if value else ""


def format_number(value, digits: int = 0, locale: str | None = None) -> str:
    """A number grouped in thousands with `digits` decimals, in the locale's marks ("1 234,5"
    in French), rounded half to even as Babel does. Python's own formatting does the work: a
    page shows a hundred numbers or more, and Babel's pattern takes some 4 µs for each. A
    caller writing many numbers at once may pass the locale it looked up."""
    if value is None:
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    marks = _number_marks(locale or current_locale_code())
    return format(number, f",.{digits}f").translate(marks)


@lru_cache(maxsize=len(SUPPORTED_LOCALES) + 1)
def _number_marks(locale: str) -> dict[int, str]:
    """Python's marks (group, decimal point, minus) replaced by the locale's."""
    symbols = Locale.parse(locale).number_symbols["latn"]
    return str.maketrans(
        {",": symbols["group"], ".": symbols["decimal"], "-": symbols["minusSign"]}
    )


def format_items(items) -> str:
    """Items as the locale lists them: "A, B and C", "A, B et C"."""
    return format_list([str(item) for item in items], locale=current_locale_code())


def format_amount(value) -> str:
    """A raw input as typed: whole numbers without decimals, others with two."""
    if value is None:
        return ""
    return format_number(value, 0 if float(value).is_integer() else 2)


def format_exact(value) -> str:
    """A stored figure in full, for a form field: no grouping, no rounding."""
    if value is None:
        return ""
    return format_decimal(value, format="0.##########")


_SPACES = str.maketrans("", "", " \u00a0\u202f\t")


def parse_number(raw, locale: str) -> Decimal | None:
    """A number from JSON, or from text typed in the user's locale ('1 250,5' in French).

    Text is read strictly: '12.5' in Spanish is refused, never taken for 125.
    """
    if isinstance(raw, bool):
        return None
    try:
        if isinstance(raw, int | float):
            return Decimal(str(raw))
        if isinstance(raw, str):
            return parse_decimal(raw.translate(_SPACES), locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError, OverflowError):
        return None
    return None


FALLBACK_CURRENCY = "USD"


def country_currency(country: str | None) -> str:
    """The legal tender of a country today (GHS for Ghana, VND for Viet Nam)."""
    currencies = get_territory_currencies(country, tender=True) if country else []
    return currencies[0] if currencies else FALLBACK_CURRENCY


def currency_minor_digits(currency: str) -> int:
    """Digits after the decimal point in the currency: 2 for GHS, 0 for VND."""
    return get_currency_precision(currency)


def format_money(minor_units: int | None, currency: str) -> str:
    """An amount stored in minor units, in the currency's symbol and the user's number style."""
    if minor_units is None:
        return ""
    digits = currency_minor_digits(currency)
    return format_currency(Decimal(minor_units).scaleb(-digits), currency)


def money_exact(minor_units: int | None, currency: str) -> str:
    """A stored amount in full for a form field, without symbol or grouping."""
    if minor_units is None:
        return ""
    return format_exact(Decimal(minor_units).scaleb(-currency_minor_digits(currency)))


_OFFER = lazy_gettext(
    "This site has no Traditional Chinese version. It is available in Simplified Chinese."
)


def init_app(app: Flask) -> None:
    """Register the formatting filters, the language list and `_` for templates."""
    app.jinja_env.filters.update(
        day=format_day,
        moment=format_moment,
        number=format_number,
        items=format_items,
        amount=format_amount,
        exact=format_exact,
        country=country_name,
        money=format_money,
        currency_name=lambda code: get_currency_name(code, locale=current_locale_code()),
    )
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        SUPPORTED_LOCALES=SUPPORTED_LOCALES,
        SIMPLIFIED_CHINESE=SIMPLIFIED_CHINESE,
        offers_simplified_chinese=offers_simplified_chinese,
        simplified_chinese_offer=simplified_chinese_offer,
        html_lang=html_lang,
        current_locale=current_locale_code,
        # Jinja's _ looks gettext up again at each of the hundred or so calls on a page.
        _=app.jinja_env.globals["gettext"],
    )
