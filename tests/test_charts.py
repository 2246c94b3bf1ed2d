"""The charts a reader sees: an honest value scale, a real time axis, the compared figures
marked and their verdict in colour and words, labels in the reader's language, and a text
alternative with every figure."""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask import render_template_string

from score_app.catalog.indicators import BY_CODE
from score_app.charts import before_after_chart, trend_chart, value_scale
from score_app.i18n import in_locale
from score_app.kpis.compare import compare
from score_app.kpis.models import Measurement
from score_app.kpis.services import ComparisonRow
from score_app.programme.services import IndicatorResult

DRAW = '{% import "_charts.html" as draw %}'


def _month(year: int, month: int, value: float) -> Measurement:
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    return Measurement(period_start=start, period_end=date.fromordinal(end), value=value)


def _row(code: str, series: list[Measurement], baseline=0, follow_up=-1) -> ComparisonRow:
    indicator = BY_CODE[code]
    before, after = series[baseline], series[follow_up]
    return ComparisonRow(
        indicator=indicator,
        baseline=before,
        follow_up=after,
        follow_up_number=1,
        follow_ups=1,
        change=compare(before.value, after.value, indicator.direction, indicator.decimals),
        series=series,
        cycle_number=1,
        newer_baseline=None,
        drafts=[],
    )


@dataclass
class _Drawn:
    svg: str
    texts: list[str]
    key: str


def _draw(macro: str, chart) -> _Drawn:
    html = render_template_string(f"{DRAW}{{{{ draw.{macro}(chart) }}}}", chart=chart)
    svg = html[html.index("<svg") : html.index("</svg>")]
    return _Drawn(svg, re.findall(r"<text[^>]*>([^<]*)</text>", svg), html[html.index("</svg>") :])


@pytest.mark.parametrize(
    ("values", "decimals", "expected"),
    [
        # A change of a few points: the scale starts near the figures and is marked as cut.
        ([52.0, 54.5], 1, (51.0, 55.0, 1.0, True)),
        # Figures that vary a lot: from zero.
        ([96.3, 48.15], 2, (0.0, 100.0, 25.0, False)),
        # A flat line is flat from zero, not magnified into noise.
        ([12.0, 12.0], 1, (0.0, 15.0, 5.0, False)),
        # Counts: whole steps only, and never below zero.
        ([3, 2], 0, (0.0, 3.0, 1.0, False)),
        ([0, 0], 0, (0.0, 1.0, 1.0, False)),
        # One decimal figures: no step of 0.25 that would need two.
        ([9.5, 8.6], 1, (8.5, 9.5, 0.5, True)),
    ],
)
def test_the_value_scale_starts_at_zero_unless_the_figures_are_close_then_says_it_is_cut(
    values, decimals, expected
):
    assert value_scale(values, decimals) == expected


def test_a_trend_has_a_labelled_scale_and_figures_placed_by_date(app):
    # January, February, then December, each drawn at the middle of its month.
    series = [_month(2025, 1, 52.0), _month(2025, 2, 53.0), _month(2025, 12, 54.5)]
    with app.test_request_context():
        chart = trend_chart(_row("operating_efficiency", series))
        drawn = _draw("trend", chart)
    xs = [x for x, _y in chart.positions]
    gaps = (
        (date(2025, 2, 14) - date(2025, 1, 16)).days,
        (date(2025, 12, 16) - date(2025, 2, 14)).days,
    )
    # Positions are rounded to a tenth of a unit, so the proportion holds to within 1 %.
    assert (xs[2] - xs[1]) / (xs[1] - xs[0]) == pytest.approx(gaps[1] / gaps[0], rel=0.01)
    assert [t.label for t in chart.y_ticks] == ["51", "52", "53", "54", "55"]
    assert chart.is_cut and 'class="cut"' in drawn.svg
    # Lower on the picture is a smaller figure.
    ys = [y for _x, y in chart.positions]
    assert ys[0] > ys[1] > ys[2]
    assert {"Jan 2025", "Apr 2025", "Jul 2025", "Oct 2025"} <= set(drawn.texts)
    # Only the compared pair carries its value, above its mark; February is a plain dot.
    assert [(m.role, m.label) for m in chart.marks] == [("baseline", "52.0"), ("follow-up", "54.5")]
    assert all(m.label_y < m.y for m in chart.marks)
    assert drawn.svg.count("<circle") == 2 and f"M{xs[1]} {ys[1]}h0" in drawn.svg


def test_labels_stay_clear_of_the_axis_and_inside_the_picture(app):
    series = [_month(2024 + (m - 1) // 12, (m - 1) % 12 + 1, 50.0 + m % 5) for m in range(1, 25)]
    with app.test_request_context():
        chart = trend_chart(_row("operating_efficiency", series))
    bottom = chart.bottom
    for mark in chart.marks:
        assert mark.label_y < bottom - 4  # never on the axis line
    assert len(chart.x_ticks) <= 4  # what fits across a phone
    assert all(t.anchor in {"start", "middle", "end"} for t in chart.x_ticks)


def test_a_fall_in_a_lower_is_better_indicator_is_green_and_said_improved(app):
    series = [_month(2025, 1, 12.0), _month(2025, 4, 10.6)]
    with app.test_request_context():
        drawn = _draw("trend", trend_chart(_row("defect_rate", series)))
    assert 'class="mark follow-up improved"' in drawn.svg
    assert "▲ Improved" in drawn.key and 'class="key follow-up improved"' in drawn.key
    assert 'class="key baseline"' in drawn.key


def test_a_rise_in_a_lower_is_better_indicator_is_red_and_said_worse(app):
    series = [_month(2025, 1, 8.6), _month(2025, 4, 9.5)]
    with app.test_request_context():
        drawn = _draw("trend", trend_chart(_row("absenteeism_rate", series)))
    assert 'class="mark follow-up worse"' in drawn.svg and "▼ Worse" in drawn.key


def test_a_trend_has_a_title_and_a_text_alternative_with_every_figure(app):
    series = [_month(2025, 1, 61.0), _month(2025, 2, 62.2), _month(2025, 4, 63.5)]
    with app.test_request_context(), in_locale("fr"):
        chart = trend_chart(_row("operating_efficiency", series))
        drawn = _draw("trend", chart)
    assert 'role="img"' in drawn.svg and 'aria-labelledby="trend-operating_efficiency-title' in (
        drawn.svg
    )
    title = re.search(r"<title[^>]*>([^<]*)</title>", drawn.svg).group(1)
    desc = re.search(r"<desc[^>]*>([^<]*)</desc>", drawn.svg).group(1)
    assert title == "Évolution : Efficience opérationnelle (%)"
    for figure in ("janv. 2025 : 61,0", "févr. 2025 : 62,2", "avr. 2025 : 63,5"):
        assert figure in desc.replace("\u202f", " ").replace("\xa0", " ")
    assert "61,0" in drawn.texts and "63,5" in drawn.texts  # the locale's decimal comma
    assert "Amélioré" in desc


def test_before_after_bars_start_at_zero_with_full_names_and_the_verdict_in_words(app):
    result = IndicatorResult(
        indicator=BY_CODE["defect_rate"], n=4, n_baseline_only=0, n_follow_up_only=0,
        baseline_mean=11.0, follow_up_mean=9.4, pooled_baseline=None, pooled_follow_up=None,
        median_change=None, share_improved=None,
    )  # fmt: skip
    indicator = result.indicator
    change = compare(11.0, 9.4, indicator.direction, indicator.decimals)
    with app.test_request_context():
        chart = before_after_chart(result, change)
        drawn = _draw("before_after", chart)
    assert chart.y_ticks[0].label == "0"
    assert all(bar.y + bar.height == pytest.approx(chart.bottom) for bar in chart.bars)
    # Heights are rounded to a tenth of a unit, so the proportion holds to within 1 %.
    assert chart.bars[0].height / chart.bars[1].height == pytest.approx(11.0 / 9.4, rel=0.01)
    assert {"Baseline", "Follow-up", "11.0", "9.4", "▲ Improved"} <= set(drawn.texts)
    assert 'class="bar follow-up improved"' in drawn.svg


def test_a_pdf_chart_carries_the_chart_style_sheet_and_a_page_chart_does_not(app):
    series = [_month(2025, 1, 61.0), _month(2025, 4, 63.5)]
    with app.test_request_context():
        chart = trend_chart(_row("operating_efficiency", series))
        page = render_template_string(DRAW + "{{ draw.trend(chart) }}", chart=chart)
        pdf = render_template_string(
            DRAW + "{{ draw.trend(chart, sheet=chart_style()) }}", chart=chart
        )
    assert "<style" not in page
    style = re.search(r"<style>(.*?)</style>", pdf, re.S).group(1)
    assert ".chart .line" in style and "/*" not in style
