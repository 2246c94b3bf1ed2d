"""What an improvement plan reports: its before/after, actions by status, totals, checklist and
team, shown by the plan page and printed by the plan PDF (documents/)."""

from datetime import date

from score_app.catalog.indicators import BY_CODE
from score_app.catalog.services import get_catalogue
from score_app.charts import trend_chart
from score_app.enterprises.models import Enterprise
from score_app.kpis import services as kpis
from score_app.plans import services
from score_app.plans.forms import ACTION_STATUS_LABELS
from score_app.plans.models import ImprovementPlan


def plan_report(
    enterprise: Enterprise,
    plan: ImprovementPlan | None,
    follow_up: int | None,
    today: date,
    locale: str,
) -> dict:
    """What the plan page and the printed plan both show, in `locale`; `today` decides what is
    overdue."""
    rows = [row for row in kpis.comparison(enterprise.id, follow_up) if row.series]
    actions = plan.actions if plan else []
    latest = {row.indicator.code: row.follow_up.value for row in rows if row.follow_up}
    checklist_texts = {
        item.id: item.text.get(locale) or item.text["en"]
        for module in get_catalogue().modules
        for item in module.checklist
    }
    starts = [row.baseline.period_start for row in rows if row.baseline]
    ends = [row.follow_up.period_end for row in rows if row.follow_up]
    return {
        "enterprise": enterprise,
        "plan": plan,
        "rows": rows,
        "follow_up": follow_up,
        "charts": {
            row.indicator.code: trend_chart(row)
            for row in rows
            if row.indicator.is_core and len(row.series) > 1
        },
        "groups": services.grouped_by_status(actions),
        "totals": services.totals(plan) if plan else None,
        "reached": {a.id: services.target_reached(a, latest) for a in actions},
        "checklist": services.checklist_progress(enterprise.id),
        "checklist_texts": checklist_texts,
        "module_titles": {m.slug: m.title_in(locale) for m in get_catalogue().modules},
        "eit": [p for p in enterprise.people if p.is_eit_member],
        "period": (min(starts), max(ends)) if starts and ends else None,
        "indicators": BY_CODE,
        "today": today,
        "status_labels": ACTION_STATUS_LABELS,
    }
