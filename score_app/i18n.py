"""Languages: the one list of supported locales, locale selection, and locale-aware formatting."""

import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    LC_NUMERIC,
    NumberFormatError,
    NumberPattern,
    get_currency_name,
    get_currency_precision,
    get_territory_currencies,
    parse_decimal,
    parse_pattern,
)
from flask import Flask, g, has_request_context, request, session
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

# i18n: each language is named in itself so a reader finds their own.
SUPPORTED_LOCALES = {"en": "English", "fr": "Français", "es": "Español", "vi": "Tiếng Việt"}
DEFAULT_LOCALE = "en"

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
        chosen = request.accept_languages.best_match(SUPPORTED_LOCALES)
        if chosen:
            return chosen
    if user is not None and user.preferred_locale in SUPPORTED_LOCALES:
        return user.preferred_locale
    if session.get("locale") in SUPPORTED_LOCALES:
        return session["locale"]
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def current_locale_code() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def fold(text: str) -> str:
    """Accent- and case-free form of a text: 'cong ty' finds 'Công ty'; sorting ignores marks."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


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
    return tuple(sorted(((c, names[c]) for c in codes), key=lambda pair: fold(pair[1])))


def format_day(value: date | None, style: str = "medium") -> str:
    return format_date(value, style) if value else ""


def format_moment(value: datetime | None) -> str:
    return format_datetime(value, "medium") if value else ""


def format_number(value, digits: int = 0) -> str:
    if value is None:
        return ""
    return _number_pattern(digits).apply(value, Locale.parse(get_locale() or LC_NUMERIC))


@lru_cache(maxsize=16)
def _number_pattern(digits: int) -> NumberPattern:
    # Parsed once: Babel would parse the pattern again for each of the numbers on a page.
    return parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))


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


def init_app(app: Flask) -> None:
    """Register the formatting filters, the language list and `_` for templates."""
    app.jinja_env.filters.update(
        day=format_day,
        moment=format_moment,
        number=format_number,
        amount=format_amount,
        exact=format_exact,
        country=country_name,
        money=format_money,
        currency_name=lambda code: get_currency_name(code, locale=current_locale_code()),
    )
    app.jinja_env.globals.update(
        SUPPORTED_LOCALES=SUPPORTED_LOCALES,
        current_locale=current_locale_code,
        # Jinja's _ looks gettext up again at each of the hundred or so calls on a page.
        _=app.jinja_env.globals["gettext"],
    )
