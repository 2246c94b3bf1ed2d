"""What the programme's results report for a set of filters: the indicator table and its charts,
training outputs, who is in view and who is left out, and the filters in words; shown by the
dashboard and printed by the synthesis report (documents/)."""

from dataclasses import dataclass, replace
from datetime import date

from score_app.auth.models import User
from score_app.catalog.indicators import INDICATORS, Indicator
from score_app.catalog.services import get_catalogue
from score_app.charts import before_after_chart
from score_app.enterprises.forms import sector_label
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.i18n import country_name, format_day, format_number
from score_app.i18n import gettext as _
from score_app.kpis.compare import compare
from score_app.programme import services
from score_app.programme.filters import Filters

# A breakdown's table holds this many groups side by side, so it fits a page's width.
GROUPS_PER_TABLE = 4


@dataclass(frozen=True)
class BreakdownTable:
    """Some groups (countries or sectors) side by side: each group's name and the enterprises
    sharing their figures in it, and per indicator its result in each group (None: no data)."""

    groups: list[tuple[str, int]]
    rows: list[tuple[Indicator, list[services.IndicatorResult | None]]]


@dataclass(frozen=True)
class Breakdown:
    title: str
    tables: list[BreakdownTable]


def breakdowns(user: User, filters: Filters) -> list[Breakdown]:
    """The results by country and by sector, for the synthesis report: each dimension the
    filters leave open and that has more than one group."""
    found = []
    for dimension, title, label in (
        ("country", _("Results by country"), country_name),
        ("sector", _("Results by sector"), sector_label),
    ):
        groups = (
            [] if getattr(filters, dimension) else services.groups_sharing(user, filters, dimension)
        )
        if len(groups) > 1:
            results = [
                services.figures(user, replace(filters, **{dimension: value}))
                for value, _count in groups
            ]
            named = [(label(value), count) for value, count in groups]
            found.append(Breakdown(title, _tables(named, [r.results for r in results])))
    return found


def _tables(groups: list[tuple[str, int]], results: list[list]) -> list[BreakdownTable]:
    """The groups' results, at most GROUPS_PER_TABLE groups a table and the tables as even as
    can be, one row per indicator that has before-and-after figures in any group."""
    by_group = [{r.indicator.code: r for r in found if r.n} for found in results]
    indicators = [d for d in INDICATORS if any(d.code in found for found in by_group)]
    count = -(-len(groups) // GROUPS_PER_TABLE)
    size = -(-len(groups) // count)  # as many groups in each table as can be: 5 are 3 and 2
    tables = []
    for start in range(0, len(groups), size):
        part = by_group[start : start + size]
        rows = [(d, [found.get(d.code) for found in part]) for d in indicators]
        tables.append(BreakdownTable(groups[start : start + size], rows))
    return tables


MAX_NARRATIVE = 5_000


def save_narrative(user: User, text: str) -> None:
    """Keep what the user's synthesis reports say first; blank leaves them without one."""
    text = text.strip()
    if len(text) > MAX_NARRATIVE:
        raise InvalidInput(
            {
                "narrative": _(
                    "Keep this under %(limit)s characters.", limit=format_number(MAX_NARRATIVE)
                )
            }
        )
    user.report_narrative = text
    db.session.commit()


def covered_period(results) -> tuple[date, date] | None:
    """The days the compared figures cover: the first baseline's start to the last
    follow-up's end, over every indicator with before-and-after figures."""
    days = [(r.first_day, r.last_day) for r in results if r.n and r.first_day and r.last_day]
    if not days:
        return None
    return min(first for first, _last in days), max(last for _first, last in days)


def results_report(user: User, filters: Filters, today: date, locale: str) -> dict:
    """Everything the dashboard and the synthesis report show for these filters, in `locale`;
    `today` ends the training outputs' count."""
    found = services.figures(user, filters)
    return {
        "results": found.results,
        "charts": _charts(found.results),
        "outputs": services.training_outputs(user, filters, today),
        "in_view": found.in_view,
        "excluded": found.excluded,
        "module_titles": {m.slug: m.title_in(locale) for m in get_catalogue().modules},
        "filters": filters,
        "filter_labels": _filter_labels(filters, locale),
        "covered": covered_period(found.results),
    }


def _charts(results) -> dict:
    return {
        r.indicator.code: before_after_chart(
            r,
            compare(r.baseline_mean, r.follow_up_mean, r.indicator.direction, r.indicator.decimals),
        )
        for r in results
        if r.n
    }


def _filter_labels(filters: Filters, locale: str) -> list[tuple[str, str]]:
    """The filters in words, printed on the report so a reader knows what it covers."""
    labels = []
    if filters.country:
        labels.append((_("Country"), country_name(filters.country)))
    if filters.sector:
        labels.append((_("Sector"), sector_label(filters.sector)))
    if filters.cohort:
        labels.append((_("Cohort"), filters.cohort))
    if filters.module:
        module = get_catalogue().get(filters.module)
        labels.append((_("Module"), module.title_in(locale)))
    if filters.period_from or filters.period_to:
        labels.append((_("Period"), _period_text(filters)))
    return labels


def _period_text(filters: Filters) -> str:
    start, end = format_day(filters.period_from) or "…", format_day(filters.period_to) or "…"
    return _("%(start)s to %(end)s", start=start, end=end)
