"""Visit pages: record a visit, read it with the plan actions it followed up, change it."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from score_app.auth import policy
from score_app.catalog.services import module_title
from score_app.enterprises.access import enterprise_choices, may_see_figures
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.forms import save_form, seen_version, stored_beside_typed
from score_app.i18n import current_locale_code
from score_app.i18n import gettext as _
from score_app.plans import services as plans
from score_app.request_args import db_id
from score_app.training.access import get_visit_or_404
from score_app.training.models import Visit
from score_app.visits import services
from score_app.visits.forms import VisitForm

bp = Blueprint("visits", __name__)


def _visit_form(visit: Visit | None, **options) -> VisitForm:
    """The visit form with its choices: the stored visit on a first view (or with
    formdata=None), or the enterprise a new visit was asked for."""
    data = None
    if visit is not None:
        data = {
            "enterprise_id": visit.enterprise_id,
            "module_slug": visit.module_slug,
            "visit_date": visit.visit_date,
            "findings": visit.findings,
            "next_steps": visit.next_steps,
        }
    elif request.args.get("enterprise", type=db_id):
        data = {"enterprise_id": request.args.get("enterprise", type=db_id)}
    form = VisitForm(data=data, **options)
    return form.fill_choices(enterprise_choices(current_user), current_locale_code())


def _save_visit(visit: Visit | None):
    form = _visit_form(visit)
    saved, conflict = None, None
    if form.validate_on_submit():
        saved, conflict = save_form(
            form,
            lambda: services.save_visit(
                current_user,
                visit,
                enterprise_id=form.enterprise_id.data,
                module_slug=form.module_slug.data,
                visit_date=form.visit_date.data,
                findings=form.findings.data or "",
                next_steps=form.next_steps.data or "",
                seen_version=seen_version(),
            ),
            lambda: visit and stored_beside_typed(visit, _visit_form(visit, formdata=None), form),
        )
    if saved:
        flash(_("The visit is saved."), "success")
        return redirect(url_for("visits.view_visit", visit_id=saved.id))
    return render_template("visits/form.html", form=form, visit=visit, conflict=conflict), (
        409 if conflict else 200
    )


@bp.route("/training/visits/new", methods=["GET", "POST"])
def create_visit():
    policy.require(current_user, policy.VISIT_RECORD)
    return _save_visit(None)


@bp.get("/training/visits/<int:visit_id>")
def view_visit(visit_id: int):
    visit = get_visit_or_404(current_user, visit_id)
    shows_plan = may_see_figures(current_user, visit.enterprise)
    plan = plans.active_plan(visit.enterprise_id) if shows_plan else None
    return render_template(
        "visits/visit.html",
        visit=visit,
        title=module_title(visit.module_slug, current_locale_code()),
        can_edit=policy.can(current_user, policy.VISIT_RECORD),
        shows_plan=shows_plan,
        followed_up=services.actions_followed_up(visit.id) if shows_plan else [],
        plan_actions=plan.actions if plan else [],
    )


@bp.route("/training/visits/<int:visit_id>/edit", methods=["GET", "POST"])
def edit_visit(visit_id: int):
    visit = get_visit_or_404(current_user, visit_id)
    policy.require(current_user, policy.VISIT_RECORD)
    return _save_visit(visit)


@bp.post("/training/visits/<int:visit_id>/actions")
def link_visit_actions(visit_id: int):
    visit = get_visit_or_404(current_user, visit_id)
    policy.require(current_user, policy.VISIT_RECORD)
    try:
        ids = [db_id(value) for value in request.form.getlist("actions")]
    except ValueError:
        ids = [0]
    try:
        services.link_visit_actions(current_user, visit, ids)
    except InvalidInput as error:
        db.session.rollback()
        flash(" ".join(error.errors.values()), "error")
    else:
        flash(_("The actions followed up at this visit are saved."), "success")
    return redirect(url_for("visits.view_visit", visit_id=visit.id))
