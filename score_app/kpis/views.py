"""Indicator pages: an enterprise's results, entering a period, one measurement and its history,
the workflow, and the good-practice checklist."""

from dataclasses import asdict
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from score_app.auth import policy
from score_app.catalog.indicators import BY_CODE, INDICATORS
from score_app.catalog.services import get_catalogue
from score_app.charts import trend_chart
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.access import get_enterprise_or_404, require_figures
from score_app.enterprises.models import Enterprise
from score_app.errors import changed_elsewhere, step_taken
from score_app.exceptions import EditConflict, InvalidInput
from score_app.extensions import db
from score_app.forms import Conflict, ConflictRow, seen_version, show_on_form
from score_app.i18n import current_locale_code, format_exact, format_items, format_number, ngettext
from score_app.i18n import gettext as _
from score_app.kpis import services
from score_app.kpis.checks import ABOVE_MAX, warning_text
from score_app.kpis.forms import (
    PHASE_LABELS,
    ChecklistForm,
    CommentForm,
    PeriodForm,
    ReasonForm,
    SendBackForm,
    status_label,
)
from score_app.kpis.formulas import SHAPES
from score_app.kpis.models import AuditAction, Measurement, Phase, Status
from score_app.request_args import db_id, kept_args, paginate
from score_app.training.models import Workshop, workshop_enterprises

bp = Blueprint("kpis", __name__)


def _enterprise_figures(enterprise_id: int) -> Enterprise:
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    require_figures(current_user, enterprise)
    return enterprise


@bp.get("/enterprises/<int:enterprise_id>/indicators")
def results(enterprise_id: int):
    enterprise = _enterprise_figures(enterprise_id)
    follow_up = request.args.get("follow_up", type=db_id)
    rows = services.comparison(enterprise.id, follow_up)
    return render_template(
        "kpis/results.html",
        enterprise=enterprise,
        rows=rows,
        charts={row.indicator.code: trend_chart(row) for row in rows if len(row.series) > 1},
        follow_up=follow_up,
        can_enter=policy.can(current_user, policy.MEASUREMENT_ENTER),
    )


def _chosen_indicators():
    code = request.args.get("indicator")
    if code:
        if code not in BY_CODE:
            abort(404)
        return [BY_CODE[code]]
    return list(INDICATORS)


def _entries(indicators) -> dict[str, tuple[dict, str]]:
    return {
        ind.code: (
            {spec.name: request.form.get(f"{ind.code}-{spec.name}", "") for spec in ind.inputs},
            request.form.get(f"{ind.code}-comment", ""),
        )
        for ind in indicators
    }


@bp.route("/enterprises/<int:enterprise_id>/measurements/new", methods=["GET", "POST"])
def enter_period(enterprise_id: int):
    """One form for every indicator of a period (or one with ?indicator=); Check, then Save."""
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.MEASUREMENT_ENTER)
    indicators = _chosen_indicators()
    form = PeriodForm(
        data={"phase": request.args.get("phase", Phase.FOLLOW_UP.value)}, today=date.today()
    )
    previews, errors, stored, conflict, new_cycle = {}, {}, {}, False, {}
    if form.validate_on_submit():
        fields = {
            "phase": form.phase.data,
            "period_start": form.period_start.data,
            "period_end": form.period_end.data,
            "entries": _entries(indicators),
            "locale": current_locale_code(),
        }
        new_cycle = _new_cycle(enterprise, fields)
        saving = request.form.get("action") == "save"
        if saving and new_cycle and not request.form.get("new_cycle"):
            errors = {
                "new_cycle": _(
                    "Confirm that this baseline starts a new cycle, or choose follow-up."
                )
            }
            saving = False
        if saving:
            try:
                saved = services.save_period(
                    current_user, enterprise, **fields, seen_versions=_seen_versions(indicators)
                )
            except InvalidInput as error:
                errors = error.errors
            except EditConflict:  # figures of this period saved by someone else first
                conflict = True
            else:
                flash(
                    ngettext(
                        "%(num)d measurement saved as a draft.",
                        "%(num)d measurements saved as drafts.",
                        len(saved),
                    ),
                    "success",
                )
                return redirect(url_for("kpis.list_measurements", enterprise_id=enterprise.id))
        if conflict or not saving:
            ready, check_errors = services.check_period_entries(enterprise, **fields)
            errors = {**check_errors, **errors}
            previews = {checked.indicator.code: checked for _existing, checked, _c in ready}
            stored = {
                checked.indicator.code: (
                    existing.version,
                    stored_beside_typed(existing, *fields["entries"][checked.indicator.code]),
                )
                for existing, checked, _comment in ready
                if existing is not None
            }
        on_form = {k: v for k, v in errors.items() if "." not in k and k != "new_cycle"}
        if form.is_month:  # the days were not typed: their messages go on the month
            on_form = {
                ("period_month" if k in ("period_start", "period_end") else k): v
                for k, v in on_form.items()
            }
        show_on_form(form, InvalidInput(on_form))
    return render_template(
        "kpis/enter.html",
        enterprise=enterprise,
        form=form,
        indicators=indicators,
        values=request.form,
        previews=previews,
        errors=errors,
        stored=stored,
        conflict=conflict,
        new_cycle=new_cycle,
        shapes=_shapes(indicators),
    ), (409 if conflict else 422 if errors else 200)


def _shapes(indicators) -> dict[str, dict]:
    """Each indicator's formula as the page's script reads it (kpis/formulas.py's SHAPES),
    with its decimals and the value above which a comment is needed."""
    return {
        ind.code: {
            **asdict(SHAPES[ind.code]),
            "decimals": ind.decimals,
            "plausible_max": ind.plausible_max,
            "above_max_warning": ind.plausible_max is not None
            and warning_text({"code": ABOVE_MAX, "indicator": ind.code}),
        }
        for ind in indicators
    }


def _new_cycle(enterprise: Enterprise, fields: dict) -> dict[str, services.NewCycle]:
    """The earlier baselines of the indicators filled in, when the form saves a baseline: each
    starts a new cycle, which the user confirms."""
    if fields["phase"] != Phase.BASELINE:
        return {}
    filled = [
        code
        for code, (inputs, _comment) in fields["entries"].items()
        if any(str(value).strip() for value in inputs.values())
    ]
    return services.new_cycles(enterprise.id, filled, fields["period_start"], fields["period_end"])


def _seen_versions(indicators) -> dict[str, int | None]:
    """The versions of the figures already stored for the period that the page showed."""
    return {ind.code: request.form.get(f"{ind.code}-version", type=int) for ind in indicators}


@bp.get("/enterprises/<int:enterprise_id>/history")
def enterprise_history(enterprise_id: int):
    enterprise = _enterprise_figures(enterprise_id)
    history = services.enterprise_history(enterprise.id)
    return render_template(
        "kpis/history.html",
        enterprise=enterprise,
        history=history,
        deleted={e.measurement_id for e in history if e.action == AuditAction.DELETE},
        indicators=BY_CODE,
    )


@bp.get("/enterprises/<int:enterprise_id>/measurements")
def list_measurements(enterprise_id: int):
    return _measurements_page(_enterprise_figures(enterprise_id))


def _measurements_page(enterprise: Enterprise, problems=(), code: int = 200):
    """The enterprise's measurements by period, with what went wrong with a step, if anything."""
    return render_template(
        "kpis/measurements.html",
        enterprise=enterprise,
        periods=services.by_period(services.measurements_of(enterprise.id)),
        can_enter=policy.can(current_user, policy.MEASUREMENT_ENTER),
        can_verify=policy.can(current_user, policy.MEASUREMENT_VERIFY),
        problems=problems,
    ), code


def _measurement_or_404(measurement_id: int) -> Measurement:
    measurement = services.measurement_or_none(current_user, measurement_id)
    if measurement is None:
        abort(404)
    require_figures(current_user, measurement.enterprise)
    return measurement


@bp.get("/measurements/<int:measurement_id>")
def view_measurement(measurement_id: int):
    measurement = _measurement_or_404(measurement_id)
    (compared,) = services.review([measurement])
    return render_template(
        "kpis/measurement.html",
        measurement=measurement,
        compared=compared,
        history=services.history(measurement.id),
        indicators=BY_CODE,
        reason_form=ReasonForm(formdata=None),
        can_enter=policy.can(current_user, policy.MEASUREMENT_ENTER),
        can_verify=policy.can(current_user, policy.MEASUREMENT_VERIFY),
        entered_by_me=bool(services.entered_by(current_user, [measurement])),
        can_reopen=policy.can(current_user, policy.MEASUREMENT_REOPEN),
    )


@bp.route("/measurements/<int:measurement_id>/edit", methods=["GET", "POST"])
def edit_measurement(measurement_id: int):
    measurement = _measurement_or_404(measurement_id)
    policy.require(current_user, policy.MEASUREMENT_ENTER)
    enterprise_id = measurement.enterprise_id
    form = CommentForm(data={"comment": measurement.comment})
    errors, conflict = {}, None
    if form.validate_on_submit():
        inputs = {
            spec.name: request.form.get(spec.name, "") for spec in measurement.definition.inputs
        }
        try:
            services.update_measurement(
                current_user, measurement, inputs, form.comment.data or "", current_locale_code(),
                seen_version=seen_version(),
            )  # fmt: skip
        except InvalidInput as error:
            db.session.rollback()
            errors = error.errors
            show_on_form(form, InvalidInput({k: v for k, v in errors.items() if k == "comment"}))
        except EditConflict:
            db.session.rollback()  # the stored version, or none if it was deleted meanwhile
            if db.session.get(Measurement, measurement_id) is None:
                return _deleted_meanwhile(enterprise_id)
            conflict = stored_beside_typed(measurement, inputs, form.comment.data or "")
        else:
            flash(_("The measurement is saved."), "success")
            return redirect(url_for("kpis.view_measurement", measurement_id=measurement.id))
    values = request.form if request.method == "POST" else measurement.inputs
    return render_template(
        "kpis/edit.html",
        measurement=measurement,
        form=form,
        values=values,
        errors=errors,
        conflict=conflict,
    ), (409 if conflict else 422 if errors else 200)


def stored_beside_typed(measurement: Measurement, inputs: dict, comment: str) -> Conflict:
    """A stored measurement beside what the user typed for it; saving makes it a draft."""
    changes = services.history(measurement.id)
    rows = [
        ConflictRow(spec.label, format_exact(measurement.inputs[spec.name]), inputs[spec.name])
        for spec in measurement.definition.inputs
    ]
    rows.append(ConflictRow(_("Comment"), measurement.comment, comment.strip()))
    rows.append(
        ConflictRow(_("Status"), status_label(measurement.status), status_label(Status.DRAFT))
    )
    return Conflict(changes[-1].user if changes else None, measurement.updated_at, rows)


def _deleted_meanwhile(enterprise_id: int):
    flash(_("Someone else deleted this measurement meanwhile; its history is kept."), "error")
    return redirect(url_for("kpis.list_measurements", enterprise_id=enterprise_id))


def _workflow(measurement_id: int, action: str, permission: str, needs_reason: bool = False):
    measurement = _measurement_or_404(measurement_id)
    policy.require(current_user, permission)
    form = ReasonForm()

    def take_step():
        if needs_reason and not form.validate():
            raise InvalidInput({"reason": _("Give a reason.")})
        step = getattr(services, f"{action}_measurement")
        reason = (form.reason.data,) if needs_reason else ()
        step(current_user, measurement, *reason, seen_version=seen_version())

    if not step_taken(take_step):
        return redirect(url_for("kpis.view_measurement", measurement_id=measurement_id))
    if action == "delete":
        flash(_("The measurement is deleted; its history is kept."), "success")
        return redirect(url_for("kpis.list_measurements", enterprise_id=measurement.enterprise_id))
    flash(
        _("The measurement is now %(status)s.", status=status_label(measurement.status)), "success"
    )
    return redirect(url_for("kpis.view_measurement", measurement_id=measurement_id))


@bp.post("/measurements/<int:measurement_id>/submit")
def submit_measurement(measurement_id: int):
    return _workflow(measurement_id, "submit", policy.MEASUREMENT_ENTER)


@bp.post("/measurements/<int:measurement_id>/verify")
def verify_measurement(measurement_id: int):
    return _workflow(measurement_id, "verify", policy.MEASUREMENT_VERIFY)


@bp.post("/measurements/<int:measurement_id>/reopen")
def reopen_measurement(measurement_id: int):
    return _workflow(measurement_id, "reopen", policy.MEASUREMENT_REOPEN, needs_reason=True)


@bp.post("/measurements/<int:measurement_id>/delete")
def delete_measurement(measurement_id: int):
    return _workflow(measurement_id, "delete", policy.MEASUREMENT_ENTER, needs_reason=True)


# One phase and period of an enterprise: every figure of it is submitted, verified or sent back
# at once.
PERIOD = "/enterprises/<int:enterprise_id>/periods/<phase>/<period_start>/<period_end>"
# The queue's filters, which its review pages carry along to return to the same list.
QUEUE_FILTERS = ("enterprise", "country")


def _period_of(enterprise_id: int, permission: str, **period: str) -> tuple[Enterprise, tuple]:
    """The enterprise and (phase, first day, last day) a period URL names, or 404."""
    enterprise = _enterprise_figures(enterprise_id)
    policy.require(current_user, permission)
    try:
        phase = Phase(period["phase"])
        first, last = (date.fromisoformat(period[k]) for k in ("period_start", "period_end"))
    except ValueError:
        abort(404)
    if first > last:
        abort(404)
    return enterprise, (phase, first, last)


def _seen_versions_by_id() -> dict[int, int]:
    """The versions of the figures a period's page showed (`version-<id>` fields); a field that
    is not a number is left out, so the figure counts as unseen."""
    seen = {}
    for name, value in request.form.items():
        prefix, _dash, measurement_id = name.partition("-")
        if prefix == "version":
            try:
                seen[db_id(measurement_id)] = int(value)
            except ValueError:
                continue
    return seen


def _refusal(error: Exception, enterprise, period, status: Status, seen) -> tuple[list, int]:
    """What a period's page says when a step on it is refused, and the status code."""
    db.session.rollback()
    if isinstance(error, InvalidInput):
        return list(error.errors.values()), 422
    problems = [changed_elsewhere()]
    changed = services.changed_in_period(enterprise.id, *period, status, seen)
    if changed:
        names = format_items(m.definition.name for m in changed)
        problems.append(_("Changed since you opened the page: %(names)s.", names=names))
    return problems, 409


def _queue_args() -> dict[str, str]:
    return kept_args(QUEUE_FILTERS, request.values)


@bp.post(PERIOD + "/submit")
def submit_period(enterprise_id: int, **period: str):
    enterprise, period = _period_of(enterprise_id, policy.MEASUREMENT_ENTER, **period)
    seen = _seen_versions_by_id()
    try:
        submitted = services.submit_period(current_user, enterprise, *period, seen)
    except (InvalidInput, EditConflict) as error:
        refusal = _refusal(error, enterprise, period, Status.DRAFT, seen)
        return _measurements_page(enterprise, *refusal)
    flash(
        ngettext(
            "%(count)s measurement submitted for verification.",
            "%(count)s measurements submitted for verification.",
            len(submitted),
            count=format_number(len(submitted)),
        ),
        "success",
    )
    return redirect(url_for("kpis.list_measurements", enterprise_id=enterprise.id))


@bp.get("/measurements/to-verify")
def verification_queue():
    policy.require(current_user, policy.MEASUREMENT_VERIFY)
    enterprise_id = request.args.get("enterprise", type=db_id)
    chosen = _enterprise_figures(enterprise_id) if enterprise_id else None
    country = request.args.get("country", "").strip().upper()
    query = services.periods_to_verify(current_user, enterprise_id=enterprise_id, country=country)
    return render_template(
        "kpis/queue.html",
        page=paginate(query, rows=True),
        chosen=chosen,
        country=country,
        enterprises=services.enterprises_to_verify(current_user, also=chosen),
        countries=enterprise_services.countries_in_scope(current_user),
        drafts=services.drafts_of(chosen.id) if chosen else 0,
        queue_args=_queue_args(),
    )


@bp.get(PERIOD)
def review_period(enterprise_id: int, **period: str):
    enterprise, period = _period_of(enterprise_id, policy.MEASUREMENT_VERIFY, **period)
    return _review_page(enterprise, period)


def _review_page(enterprise, period, problems=(), code=200, send_back_form=None):
    """Every submitted figure of a period beside its baseline, to verify or send back at once."""
    figures = services.period_figures(enterprise.id, *period)
    if not figures.measurements:
        abort(404)
    submitted = figures.in_status(Status.SUBMITTED)
    waiting = db.session.execute(
        services.periods_to_verify(current_user, enterprise_id=enterprise.id, period=period)
    ).first()
    return render_template(
        "kpis/review.html",
        enterprise=enterprise,
        period=figures,
        submitted=submitted,
        rows=services.review(submitted),
        others=[m for m in figures.measurements if m.status != Status.SUBMITTED],
        waiting=waiting,
        mine=services.entered_by(current_user, submitted),
        form=send_back_form or SendBackForm(formdata=None),
        problems=problems,
        queue_args=_queue_args(),
    ), code


@bp.post(PERIOD + "/verify")
def verify_period(enterprise_id: int, **period: str):
    enterprise, period = _period_of(enterprise_id, policy.MEASUREMENT_VERIFY, **period)
    seen = _seen_versions_by_id()
    try:
        verified = services.verify_period(current_user, enterprise, *period, seen)
    except (InvalidInput, EditConflict) as error:
        refusal = _refusal(error, enterprise, period, Status.SUBMITTED, seen)
        return _review_page(enterprise, period, *refusal)
    return _back_to_queue(
        ngettext(
            "%(count)s measurement of %(name)s verified.",
            "%(count)s measurements of %(name)s verified.",
            len(verified),
            count=format_number(len(verified)),
            name=enterprise.name,
        )
    )


@bp.post(PERIOD + "/send-back")
def send_back_period(enterprise_id: int, **period: str):
    enterprise, period = _period_of(enterprise_id, policy.MEASUREMENT_VERIFY, **period)
    form = SendBackForm()
    if not form.validate():
        return _review_page(enterprise, period, form.reason.errors, 422, form)
    seen = _seen_versions_by_id()
    try:
        sent_back = services.send_back_period(
            current_user, enterprise, *period, form.reason.data, seen
        )
    except (InvalidInput, EditConflict) as error:
        refusal = _refusal(error, enterprise, period, Status.SUBMITTED, seen)
        return _review_page(enterprise, period, *refusal, form)
    return _back_to_queue(
        ngettext(
            "%(count)s measurement of %(name)s sent back to draft.",
            "%(count)s measurements of %(name)s sent back to draft.",
            len(sent_back),
            count=format_number(len(sent_back)),
            name=enterprise.name,
        )
    )


def _back_to_queue(done: str):
    """Say what was done, and go back to the queue with its filters."""
    flash(done, "success")
    return redirect(url_for("kpis.verification_queue", **_queue_args()))


def _taken_modules(enterprise: Enterprise):
    """Module 1 always, and every module the enterprise has a workshop of."""
    catalogue = get_catalogue()
    slugs = set(
        db.session.scalars(
            select(Workshop.module_slug)
            .join(workshop_enterprises, workshop_enterprises.c.workshop_id == Workshop.id)
            .where(workshop_enterprises.c.enterprise_id == enterprise.id)
        )
    )
    return [m for m in catalogue.modules if m.order == 1 or m.slug in slugs]


@bp.route("/enterprises/<int:enterprise_id>/checklist", methods=["GET", "POST"])
def checklist(enterprise_id: int):
    enterprise = _enterprise_figures(enterprise_id)
    modules = _taken_modules(enterprise)
    form = ChecklistForm(data={"phase": Phase.FOLLOW_UP.value, "assessed_on": date.today()})
    if request.method == "POST":
        policy.require(current_user, policy.MEASUREMENT_ENTER)
        if form.validate():
            try:
                services.record_checklist(
                    current_user,
                    enterprise,
                    phase=form.phase.data,
                    assessed_on=form.assessed_on.data,
                    assessed_items=[item.id for m in modules for item in m.checklist],
                    present_items=request.form.getlist("present"),
                )
            except InvalidInput as error:
                show_on_form(form, error)
            else:
                flash(_("The checklist is saved."), "success")
                return redirect(url_for("kpis.checklist", enterprise_id=enterprise.id))
    assessments = services.checklist_assessments(enterprise.id)
    locale = current_locale_code()
    texts = {
        item.id: item.text.get(locale) or item.text["en"]
        for module in get_catalogue().modules
        for item in module.checklist
    }
    return render_template(
        "kpis/checklist.html",
        enterprise=enterprise,
        modules=modules,
        form=form,
        assessments=assessments,
        adopted=[
            texts.get(item_id, item_id) for item_id in services.adopted_since_baseline(assessments)
        ],
        present=set(request.form.getlist("present")),
        locale=current_locale_code(),
        can_enter=policy.can(current_user, policy.MEASUREMENT_ENTER),
        phase_labels=PHASE_LABELS,
    )
