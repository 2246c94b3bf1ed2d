"""SVG charts (pygal) for pages and PDFs alike: no script, a stable id, numbers in the locale."""

import re
from functools import lru_cache

import pygal
from markupsafe import Markup
from pygal.style import Style

from score_app.i18n import current_locale_code, format_day, format_number

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4f5761",
    colors=("#0b5394", "#a4161a"),
    font_family="Noto Sans, DejaVu Sans, sans-serif",
    label_font_size=16,
    major_label_font_size=16,
    value_font_size=16,
)


def _css(chart_id: str, *, colour_bars: bool = False) -> list[str]:
    """pygal's style sheets and ours, scoped to the chart. The tooltip is hidden (there is no
    script) and bars are coloured here because the page's Content-Security-Policy refuses style
    attributes, while the chart's own style element may carry the request's nonce."""
    scope = f"#chart-{chart_id}"
    rules = [f"{scope} .tooltip{{display:none}}"]
    if colour_bars:  # before in the first colour, after in the second
        rules += [
            f"{scope} .bar:nth-child({n}){{fill:{colour};stroke:{colour}}}"
            for n, colour in enumerate(_STYLE.colors, start=1)
        ]
    return [*pygal.Config().css, "inline:" + "".join(rules)]


def _clean(svg: str, chart_id: str) -> Markup:
    svg = re.sub(r"<script.*?</script>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r' style="[^"]*"', "", svg)
    svg = re.sub(r"chart-[0-9a-f-]{36}", f"chart-{chart_id}", svg)
    return Markup(svg)


def _settings(decimals: int) -> dict:
    """What every chart shares: no script, a small size, values printed on it in the locale."""
    return {
        "style": _STYLE,
        "js": (),
        "disable_xml_declaration": True,
        "width": 400,
        "height": 200,
        "show_legend": False,
        "print_values": True,
        "print_values_position": "top",
        "show_y_labels": False,
        "show_y_guides": False,
        "margin_top": 28,
        "margin_bottom": 8,
        "value_formatter": lambda v: format_number(v, decimals),
    }


def trend_chart(labels: list[str], values: list[float], *, decimals: int, chart_id: str) -> Markup:
    """A line of an indicator's values over its periods, each point labelled with its value."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.35 or abs(high) * 0.1 or 1
    chart = pygal.Line(
        **_settings(decimals),
        range=(low - pad, high + pad),
        dots_size=5,
        margin_left=40,
        margin_right=40,
        stroke_style={"width": 3},
        css=_css(chart_id),
        truncate_label=-1,
    )
    chart.x_labels = labels
    chart.add("", values)
    return _clean(chart.render(is_unicode=True), chart_id)


def indicator_chart(indicator, series) -> Markup:
    """An indicator's trend over its measurements (oldest first), as the pages and PDFs show it."""
    return trend_chart(
        [format_day(m.period_end, "short") for m in series],
        [m.value for m in series],
        decimals=indicator.decimals,
        chart_id=indicator.code,
    )


def before_after_chart(
    labels: tuple[str, str], values: tuple[float, float], *, decimals: int, chart_id: str
) -> Markup:
    """Two bars, the mean at baseline and at follow-up, each labelled with its value."""
    return _before_after_svg(
        tuple(labels), tuple(values), decimals, chart_id, current_locale_code()
    )


@lru_cache(maxsize=1024)
def _before_after_svg(labels, values, decimals: int, chart_id: str, locale: str) -> Markup:
    """Drawn once for each set of values in each language: the key is everything the picture
    shows, so a new figure is a new drawing and nothing shown is ever out of date."""
    chart = pygal.Bar(
        **_settings(decimals),
        range=(0, max(values) * 1.25 or 1),
        css=_css(chart_id, colour_bars=True),
    )
    chart.x_labels = list(labels)
    chart.add("", list(values))
    return _clean(chart.render(is_unicode=True), chart_id)
