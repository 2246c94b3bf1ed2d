"""What the SVG charts of pages and PDFs show: scales, ticks, positions and labels in the locale.

The templates draw them (templates/_charts.html) and one style sheet colours them
(static/css/charts.css), so a chart is a few hundred bytes of plain shapes. Two kinds:
an indicator's trend on a real time axis, and the programme's before/after bars.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from markupsafe import Markup

from score_app.i18n import current_locale_code, format_items, format_month, format_number
from score_app.i18n import gettext as _

WIDTH = 340
HEIGHT = 180
_TOP = 24  # room for a value label above the highest point
_BOTTOM = HEIGHT - 26  # the time axis; its labels sit below it
_BARS_BOTTOM = HEIGHT - 40  # the bars' names and the verdict sit below it, on two lines
_RIGHT = WIDTH - 16
_CHAR_WIDTH = 7  # of a 12-unit label, a little generous, to keep labels inside the picture
_TICKS = 4  # about this many steps up the value scale
_MAX_TIME_LABELS = 4  # what fits across a phone
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60)
# Below this share of the highest value, a scale from zero would flatten the line: the scale
# then starts near the lowest value, and a break on the axis says so.
_NARROW = 0.25
_CLOSE_LABELS = 56  # marks nearer than this share one label row: the baseline's goes below
_INSET = 12  # the first figure sits this far right of the value scale, clear of its break


@dataclass(frozen=True)
class Tick:
    at: float  # position on the picture
    label: str
    anchor: str = "middle"  # where a time label hangs: "start", "middle" or "end"

    @property
    def text_at(self) -> float:
        """Where a value label's baseline sits, to centre it on its grid line."""
        return round(self.at + 4, 1)


@dataclass(frozen=True)
class Mark:
    """One of the compared figures: a ring (baseline) or a disc (follow-up) with its value."""

    x: float
    y: float
    role: str  # "baseline" or "follow-up"
    label: str  # the value
    label_y: float
    anchor: str  # where the label hangs: "start", "middle" or "end"


@dataclass(frozen=True)
class Trend:
    """An indicator's reported figures on a time axis, the compared pair marked."""

    id: str
    title: str
    summary: str  # the text alternative: every figure with its period, and the verdict
    left: float  # where the plot starts, after the value labels
    positions: tuple[tuple[float, float], ...]  # (x, y) of every figure, in time order
    marks: tuple[Mark, ...]  # the compared pair, drawn over the others
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    is_cut: bool  # the value scale does not start at zero
    verdict: str  # "improved", "worse", "same", or "" without a pair to compare
    key: tuple[tuple[str, str], ...]  # (role, text) under the picture
    width: int = WIDTH
    height: int = HEIGHT
    bottom: float = _BOTTOM
    right: float = _RIGHT

    @property
    def line(self) -> str:
        """The path through every figure."""
        return "M" + " L".join(f"{x} {y}" for x, y in self.positions)

    @property
    def dots(self) -> str:
        """A dot at every figure but the marked ones, as one path of zero-length strokes with
        round ends: one element for two dozen months instead of two dozen."""
        marked = {(m.x, m.y) for m in self.marks}
        return "".join(f"M{x} {y}h0" for x, y in self.positions if (x, y) not in marked)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    role: str  # "baseline" or "follow-up"
    name: str
    value: str

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_at(self) -> float:
        return round(self.y - 6, 1)


@dataclass(frozen=True)
class BeforeAfter:
    """The programme's mean at baseline and at follow-up, as two bars from zero."""

    id: str
    title: str
    summary: str
    left: float
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    verdict: str
    verdict_text: str
    width: int = WIDTH
    height: int = HEIGHT
    bottom: float = _BOTTOM
    right: float = _RIGHT


@cache
def chart_style() -> Markup:
    """The charts' style sheet without its comments, as a style element for a PDF to copy into
    each chart."""
    css = (Path(__file__).parent / "static" / "css" / "charts.css").read_text("utf-8")
    return Markup("<style>{}</style>").format(Markup(re.sub(r"/\*.*?\*/\s*", "", css, flags=re.S)))


def verdict_of(change) -> str:
    """The class a change is drawn in, as _change.html names it; "" without a change."""
    if change is None:
        return ""
    if change.improved:
        return "improved"
    return "same" if change.is_unchanged else "worse"


def _verdict_text(verdict: str) -> str:
    """The verdict in words, so colour is never the only cue."""
    return {
        "improved": "▲ " + _("Improved"),
        "worse": "▼ " + _("Worse"),
        "same": _("No change"),
    }.get(verdict, "")


def trend_chart(row) -> Trend:
    """A comparison row (kpis.services.ComparisonRow) with two or more reported figures, drawn
    over time: each figure at the middle of its period, the compared baseline and follow-up
    marked and labelled with their values."""
    indicator, series = row.indicator, row.series
    middles = [_middle(m.period_start, m.period_end) for m in series]
    values = [m.value for m in series]
    low, high, step, is_cut = value_scale(values, indicator.decimals)
    tick_labels = _tick_labels(low, high, step)
    left = _left_margin(tick_labels)
    to_y = _scale(low, high, _BOTTOM, _TOP)
    first, last = _time_domain(middles)
    to_x = _scale(_days(first), _days(last), left + _INSET, _RIGHT)
    positions = [
        (round(to_x(_days(day)), 1), round(to_y(v), 1))
        for day, v in zip(middles, values, strict=True)
    ]
    locale = current_locale_code()  # looked up once for the chart's many labels
    written = [format_number(v, indicator.decimals, locale) for v in values]
    roles = [_role(row, m) for m in series]
    verdict = verdict_of(row.change)
    cut_at = tick_labels[0][1] if is_cut else None
    return Trend(
        id=f"trend-{indicator.code}",
        title=_("Trend of %(name)s", name=_named_with_unit(indicator)),
        summary=_trend_summary(middles, written, cut_at, verdict, locale),
        left=left,
        positions=tuple(positions),
        marks=_marks(positions, roles, written, left),
        y_ticks=tuple(Tick(round(to_y(v), 1), label) for v, label in tick_labels),
        x_ticks=_time_ticks(middles, first, last, to_x),
        is_cut=is_cut,
        verdict=verdict,
        key=_trend_key(row, verdict),
    )


def before_after_chart(result, change) -> BeforeAfter:
    """The programme's result for an indicator (programme.services.IndicatorResult) as two bars
    from zero, the follow-up coloured by `change` (kpis.compare.Change) and said in words."""
    indicator = result.indicator
    means = (result.baseline_mean, result.follow_up_mean)
    _low, high, step, _cut = value_scale([0, *means], indicator.decimals)
    tick_labels = _tick_labels(0, high, step)
    left = _left_margin(tick_labels)
    to_y = _scale(0, high, _BARS_BOTTOM, _TOP)
    slot = (_RIGHT - left) / 2
    names = {"baseline": _("Baseline"), "follow-up": _("Follow-up")}
    bars = tuple(
        Bar(
            x=round(left + slot * n + slot * 0.2, 1),
            y=round(to_y(mean), 1),
            width=round(slot * 0.6, 1),
            height=round(_BARS_BOTTOM - to_y(mean), 1),
            role=role,
            name=name,
            value=format_number(mean, indicator.decimals),
        )
        for n, ((role, name), mean) in enumerate(zip(names.items(), means, strict=True))
    )
    verdict = verdict_of(change)
    figures = format_items(_("%(period)s: %(value)s", period=b.name, value=b.value) for b in bars)
    return BeforeAfter(
        id=f"bars-{indicator.code}",
        title=_("Mean of %(name)s at baseline and follow-up", name=_named_with_unit(indicator)),
        summary=f"{figures}. {_verdict_text(verdict)}",
        left=left,
        bars=bars,
        y_ticks=tuple(Tick(round(to_y(v), 1), label) for v, label in tick_labels),
        verdict=verdict,
        verdict_text=_verdict_text(verdict),
        bottom=_BARS_BOTTOM,
    )


def _named_with_unit(indicator) -> str:
    return f"{indicator.name} ({indicator.unit})"


def value_scale(values: list[float], decimals: int) -> tuple[float, float, float, bool]:
    """The value scale: its low and high ends, its step, and whether it is cut (does not start
    at zero). It starts at zero when the figures vary enough to show from there; otherwise
    near the lowest, so a change of a few points is seen, and the cut is drawn. Its labels
    need no more decimals than the indicator's figures."""
    lowest, highest = min(values), max(values)
    if lowest == highest == 0:
        highest = 1.0
    from_zero = lowest >= 0 and (lowest == highest or highest - lowest >= _NARROW * highest)
    start = 0.0 if from_zero else lowest
    step = _nice_step((highest - start) / _TICKS or abs(highest) / _TICKS, decimals)
    low = math.floor(start / step) * step
    if not from_zero and low == lowest:  # the lowest figure is not drawn on the cut itself
        low -= step
    if lowest >= 0:
        low = max(low, 0.0)
    high = math.ceil(highest / step) * step
    return low, high, step, low > 0


def _nice_step(raw: float, decimals: int) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at least `raw`, written with no more
    than `decimals` decimals."""
    smallest = 10.0**-decimals
    if raw <= smallest:
        return smallest
    power = 10.0 ** math.floor(math.log10(raw))
    mantissas = (1, 2, 2.5, 5, 10) if power >= smallest * 10 * (1 - 1e-9) else (1, 2, 5, 10)
    return next(round(n * power, 12) for n in mantissas if n * power >= raw * (1 - 1e-9))


def _tick_labels(low: float, high: float, step: float) -> list[tuple[float, str]]:
    decimals = max(0, -Decimal(repr(step)).normalize().as_tuple().exponent)
    count = round((high - low) / step)
    return [
        (round(low + n * step, decimals), format_number(round(low + n * step, decimals), decimals))
        for n in range(count + 1)
    ]


def _left_margin(tick_labels: list[tuple[float, str]]) -> float:
    return 10 + _CHAR_WIDTH * max(len(label) for _value, label in tick_labels)


def _scale(low: float, high: float, start: float, end: float):
    span = high - low
    return lambda value: start + (value - low) / span * (end - start)


def _middle(start: date, end: date) -> date:
    return start + (end - start) / 2


def _days(day: date) -> int:
    return day.toordinal()


def _time_domain(days: list[date]) -> tuple[date, date]:
    """The first and last day shown: a margin either side keeps the dots off the edges."""
    first, last = min(days), max(days)
    margin = timedelta(days=max(10, (last - first).days // 14))
    return first - margin, last + margin


def _time_ticks(days: list[date], first: date, last: date, to_x) -> tuple[Tick, ...]:
    """Labels under the figures' months, every 1, 2, 3 or 6 months from the first figure's,
    so that no more than a phone's width of them show; for longer spans, the years."""
    start, end = min(days), max(days)
    months = (end.year - start.year) * 12 + end.month - start.month
    step = next((s for s in _MONTH_STEPS if months // s < _MAX_TIME_LABELS), _MONTH_STEPS[-1])
    if step < 12:
        count = months // step + 1
        ticks = [(_add_months(start.replace(day=15), n * step), True) for n in range(count)]
    else:
        years = range(start.year, end.year + 1, step // 12)
        ticks = [(date(year, 7, 1), False) for year in years]
    return tuple(
        _time_tick(round(to_x(_days(day)), 1), format_month(day, with_month=with_month))
        for day, with_month in ticks
        if first <= day <= last
    )


def _time_tick(x: float, label: str) -> Tick:
    return Tick(x, label, _anchor(x, len(label), 0))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _role(row, measurement) -> str:
    if measurement is row.baseline:
        return "baseline"
    return "follow-up" if measurement is row.follow_up else ""


def _marks(positions, roles: list[str], written: list[str], left: float) -> tuple[Mark, ...]:
    """The compared pair with their values; the baseline's goes below if the two are close."""
    xs = {role: x for role, (x, _y) in zip(roles, positions, strict=True) if role}
    close = len(xs) == 2 and abs(xs["baseline"] - xs["follow-up"]) < _CLOSE_LABELS
    return tuple(
        Mark(
            x=x,
            y=y,
            role=role,
            label=text,
            label_y=round(y + 18 if role == "baseline" and close else y - 9, 1),
            anchor=_anchor(x, len(text), left),
        )
        for role, text, (x, y) in zip(roles, written, positions, strict=True)
        if role
    )


def _anchor(x: float, characters: int, left: float) -> str:
    """A label near an edge hangs inward, so it stays inside the picture."""
    half = characters * _CHAR_WIDTH / 2
    if x - half < left:
        return "start"
    if x + half > WIDTH:
        return "end"
    return "middle"


def _trend_summary(middles: list[date], written: list[str], cut_at, verdict: str, locale) -> str:
    """Every figure with its month, the cut of the scale, and the verdict: the picture in words."""
    figure = _("%(period)s: %(value)s")  # one lookup for the chart's two dozen figures
    figures = format_items(
        figure % {"period": format_month(day, locale=locale), "value": value}
        for day, value in zip(middles, written, strict=True)
    )
    parts = [f"{figures}."]
    if cut_at is not None:
        parts.append(_("The scale starts at %(value)s, not at zero.", value=cut_at))
    if verdict:
        parts.append(_verdict_text(verdict))
    return " ".join(parts)


def _trend_key(row, verdict: str) -> tuple[tuple[str, str], ...]:
    """What the marks mean, said under the picture."""
    key = []
    if row.baseline is not None:
        key.append(("baseline", _("Baseline")))
    if row.follow_up is not None:
        name = (
            _("Follow-up %(n)s", n=row.follow_up_number) if row.follow_up_number else _("Follow-up")
        )
        key.append((f"follow-up {verdict}".strip(), f"{name} {_verdict_text(verdict)}".strip()))
    return tuple(key)
