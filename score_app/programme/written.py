"""Numbers and dates in an imported file as people's spreadsheets write them.

The export writes plain numbers (a dot for decimals, no grouping) and ISO dates, and those are
read first, in any language. A spreadsheet saved as CSV by hand often writes values as they are
shown instead: "2,596" or "1 250,5", and "01/10/2025". Those are read in the user's language when
only one reading is possible, and the preview says which reading was used (`Reading`). A value
that reads two ways is refused with a message that says how to write it (`Unclear`).
"""

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import get_date_format
from babel.numbers import format_decimal

from score_app.i18n import format_day, parse_number
from score_app.i18n import gettext as _

PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# Grouped by dots ("1.500"): a thousand and a half where a dot groups thousands, one and a half
# where it is the decimal point.
_DOT_GROUPED = re.compile(r"-?\d{1,3}(\.\d{3})+")
_WRITTEN_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")

NUMBER, DAY_FIRST, MONTH_FIRST = "number", "day_first", "month_first"


class Unclear(ValueError):
    """A value that reads two ways; its message says how to write it."""


@dataclass(frozen=True)
class Reading:
    """How a value written the user's way was read, for the preview: the kind of writing, the
    value as written and as read, in the user's language."""

    kind: str  # NUMBER, DAY_FIRST or MONTH_FIRST
    written: str
    read_as: str


def read_number(text: str, locale: str) -> tuple[float, Reading | None] | None:
    """A raw input written plainly or in the locale's way, and how it was read when not plainly;
    None when it is no number. Unclear for dot-grouped digits where a dot groups thousands."""
    if PLAIN_NUMBER.fullmatch(text):
        if _DOT_GROUPED.fullmatch(text) and _groups_with_dots(locale):
            whole, decimal = float(text.replace(".", "")), float(text)
            message = _(
                "%(written)s could mean %(whole)s or %(decimal)s: write it without a thousands "
                "separator.",
                written=text, whole=_plain(whole, locale), decimal=_plain(decimal, locale),
            )  # fmt: skip
            raise Unclear(message)
        return float(text), None
    number = parse_number(text, locale)
    if number is None or not number.is_finite():
        return None
    value = float(number)
    return value, Reading(NUMBER, text, _plain(value, locale))


def read_day(text: str, other: str, locale: str) -> tuple[date, Reading | None] | None:
    """A date written as ISO, or as day, month and year in either order: the order is the one
    the date itself or `other` (the row's other date) allows, else the locale's. None when it is
    no date."""
    try:
        return date.fromisoformat(text), None
    except ValueError:
        pass
    written = _WRITTEN_DATE.fullmatch(text)
    if written is None:
        return None
    order = _order(written, _WRITTEN_DATE.fullmatch(other), locale)
    first, second, year = (int(part) for part in written.groups())
    day, month = (first, second) if order == DAY_FIRST else (second, first)
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found, Reading(order, text, format_day(found, "long"))


def _order(written: re.Match, other: re.Match | None, locale: str) -> str:
    """DAY_FIRST or MONTH_FIRST: the one that a part above 12 in either date requires."""
    for match in (written, other):
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            return DAY_FIRST
        if second > 12 >= first:
            return MONTH_FIRST
    return _locale_order(locale)


@lru_cache(maxsize=8)
def _locale_order(locale: str) -> str:
    """The order of day and month in the locale's short dates (d/M/yy, or M/d/yy in English)."""
    pattern = get_date_format("short", locale=locale).pattern
    return DAY_FIRST if pattern.find("d") < pattern.find("M") else MONTH_FIRST


@lru_cache(maxsize=8)
def _groups_with_dots(locale: str) -> bool:
    return Locale.parse(locale).number_symbols["latn"]["group"] == "."


def _plain(value: float, locale: str) -> str:
    """A number in the locale's decimal mark, with no grouping: what it was read as."""
    return format_decimal(value, format="0.##########", locale=locale)
