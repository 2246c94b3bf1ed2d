"""Programme pages: results across enterprises with their filters, and the synthesis report."""

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from score_app.auth import policy
from score_app.catalog.services import get_catalogue, module_choices
from score_app.charts import before_after_chart
from score_app.enterprises.forms import sector_label
from score_app.errors import InvalidInput
from score_app.extensions import db
from score_app.i18n import SUPPORTED_LOCALES, country_name, current_locale_code, format_day
from score_app.pdf import pdf_response
from score_app.plans.forms import ACTION_STATUS_LABELS
from score_app.programme import services
from score_app.programme.filters import Filters, enterprises_in_view, parse_filters

bp = Blueprint("programme", __name__, url_prefix="/programme")


def _filters() -> tuple[Filters, dict[str, str]]:
    """The filters asked for, or none with the messages that say why."""
    try:
        return parse_filters(request.args), {}
    except InvalidInput as error:
        return Filters(), error.errors


def _distinct(column) -> list[str]:
    return [
        value for value in db.session.scalars(select(column).distinct().order_by(column)) if value
    ]


def _choices() -> dict:
    """What the filter menus offer: the countries, sectors and cohorts the user can see."""
    in_view = enterprises_in_view(current_user, Filters()).subquery()
    return {
        "countries": sorted(
            ((code, country_name(code)) for code in _distinct(in_view.c.country)),
            key=lambda pair: pair[1],
        ),
        "sectors": [(code, sector_label(code)) for code in _distinct(in_view.c.sector)],
        "cohorts": _distinct(in_view.c.cohort),
        "modules": module_choices(current_locale_code()),
    }


def _charts(results) -> dict:
    labels = (_("Baseline"), _("Follow-up"))
    return {
        r.indicator.code: before_after_chart(
            labels,
            (r.baseline_mean, r.follow_up_mean),
            decimals=r.indicator.decimals,
            chart_id=f"programme-{r.indicator.code}",
        )
        for r in results
        if r.n
    }


def _results(filters: Filters) -> dict:
    """Everything the dashboard and the synthesis report show for these filters."""
    results = services.indicator_results(current_user, filters)
    in_view = db.session.scalar(
        select(db.func.count()).select_from(enterprises_in_view(current_user, filters).subquery())
    )
    return {
        "results": results,
        "charts": _charts(results),
        "outputs": services.training_outputs(current_user, filters, date.today()),
        "in_view": in_view,
        "excluded": services.excluded_without_consent(current_user, filters),
        "module_titles": {
            m.slug: m.title_in(current_locale_code()) for m in get_catalogue().modules
        },
        "action_labels": ACTION_STATUS_LABELS,
        "filters": filters,
    }


@bp.get("")
def dashboard():
    policy.require(current_user, policy.PROGRAMME_VIEW)
    filters, errors = _filters()
    return render_template(
        "programme/dashboard.html",
        **_results(filters),
        gaps=services.completeness(current_user, filters),
        errors=errors,
        values=request.args,
        choices=_choices(),
        locales=SUPPORTED_LOCALES,
    ), (422 if errors else 200)


@bp.get("/report.pdf")
def synthesis_report():
    policy.require(current_user, policy.PROGRAMME_VIEW)
    filters, errors = _filters()
    if errors:  # the dashboard explains them, with the filters as typed
        return redirect(url_for("programme.dashboard", **request.args))
    locale = request.args.get("lang")
    with force_locale(locale if locale in SUPPORTED_LOCALES else current_locale_code()):
        html = render_template(
            "pdf/synthesis.html",
            **_results(filters),
            filter_labels=_filter_labels(filters),
            generated_on=date.today(),
        )
        filename = f"programme-results-{date.today().isoformat()}-{current_locale_code()}.pdf"
    return pdf_response(html, filename)


def _filter_labels(filters: Filters) -> list[tuple[str, str]]:
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
        labels.append((_("Module"), module.title_in(current_locale_code())))
    if filters.period_from or filters.period_to:
        labels.append((_("Period"), _period_text(filters)))
    return labels


def _period_text(filters: Filters) -> str:
    start, end = format_day(filters.period_from) or "…", format_day(filters.period_to) or "…"
    return _("%(start)s to %(end)s", start=start, end=end)
