"""What the programme's results report for a set of filters: the indicator table and its charts,
training outputs, who is in view and who is left out, and the filters in words; shown by the
dashboard and printed by the synthesis report (documents/)."""

from datetime import date

from score_app.auth.models import User
from score_app.catalog.services import get_catalogue
from score_app.charts import before_after_chart
from score_app.enterprises.forms import sector_label
from score_app.i18n import country_name, format_day
from score_app.i18n import gettext as _
from score_app.kpis.compare import compare
from score_app.plans.forms import ACTION_STATUS_LABELS
from score_app.programme import services
from score_app.programme.filters import Filters


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
        "action_labels": ACTION_STATUS_LABELS,
        "filters": filters,
        "filter_labels": _filter_labels(filters, locale),
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
