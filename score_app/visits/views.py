"""Visit pages: record a visit with the plan actions it followed up, read it, change it, and
the photos taken at it."""

from datetime import date
from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from score_app.auth import policy
from score_app.catalog.services import module_title
from score_app.enterprises.access import enterprise_choices, may_see_figures
from score_app.errors import step_taken
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.forms import as_choices, save_form, seen_version, show_on_form, stored_beside_typed
from score_app.i18n import current_locale_code, format_number
from score_app.i18n import gettext as _
from score_app.plans import photos
from score_app.plans.forms import PhotoForm
from score_app.request_args import db_id
from score_app.training.access import get_visit_or_404, get_visit_photo_or_404
from score_app.training.models import Visit
from score_app.visits import services
from score_app.visits.forms import VisitForm

bp = Blueprint("visits", __name__)


def _visit_form(visit: Visit | None, open_actions: list, **options) -> VisitForm:
    """The visit form with its choices (the actions to follow up among them): the stored
    visit on a first view (or with formdata=None), or a new visit of today, to the enterprise
    it was asked for."""
    if visit is not None:
        data = {
            "enterprise_id": visit.enterprise_id,
            "module_slug": visit.module_slug,
            "visit_date": visit.visit_date,
            "findings": visit.findings,
            "next_steps": visit.next_steps,
            "action_ids": [a.id for a in services.actions_followed_up(visit.id)],
        }
    else:
        data = {
            "enterprise_id": request.args.get("enterprise", type=db_id),
            "visit_date": date.today(),
        }
    form = VisitForm(data=data, **options)
    form.fill_choices(enterprise_choices(current_user), current_locale_code())
    form.action_ids.choices = as_choices(
        (action.id, action.action) for _enterprise, actions in open_actions for action in actions
    )
    return form


def _save_visit(visit: Visit | None):
    open_actions = services.actions_to_follow_up(current_user, visit)
    form = _visit_form(visit, open_actions)
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
                action_ids=form.action_ids.data or [],
                seen_version=seen_version(),
            ),
            lambda: (
                visit
                and stored_beside_typed(
                    visit, _visit_form(visit, open_actions, formdata=None), form
                )
            ),
        )
    if saved:
        flash(_("The visit is saved."), "success")
        return redirect(url_for("visits.view_visit", visit_id=saved.id))
    return render_template(
        "visits/form.html", form=form, visit=visit, conflict=conflict, open_actions=open_actions
    ), (409 if conflict else 200)


@bp.route("/training/visits/new", methods=["GET", "POST"])
def create_visit():
    policy.require(current_user, policy.VISIT_RECORD)
    return _save_visit(None)


@bp.get("/training/visits/<int:visit_id>")
def view_visit(visit_id: int):
    return _visit_page(get_visit_or_404(current_user, visit_id), _photo_form(formdata=None))


def _photo_form(**options) -> PhotoForm:
    form = PhotoForm(**options)
    form.photo.description = _(
        "A JPEG or PNG photo, up to %(mb)s MB.", mb=format_number(photos.max_megabytes())
    )
    return form


def _visit_page(visit: Visit, photo_form: PhotoForm, status: int = 200):
    shows_plan = may_see_figures(current_user, visit.enterprise)
    return render_template(
        "visits/visit.html",
        visit=visit,
        title=module_title(visit.module_slug, current_locale_code()),
        can_edit=policy.can(current_user, policy.VISIT_RECORD),
        shows_plan=shows_plan,
        followed_up=services.actions_followed_up(visit.id) if shows_plan else [],
        photo_form=photo_form,
    ), status


@bp.route("/training/visits/<int:visit_id>/edit", methods=["GET", "POST"])
def edit_visit(visit_id: int):
    visit = get_visit_or_404(current_user, visit_id)
    policy.require(current_user, policy.VISIT_RECORD)
    return _save_visit(visit)


@bp.post("/training/visits/<int:visit_id>/photos")
def upload_visit_photo(visit_id: int):
    visit = get_visit_or_404(current_user, visit_id)
    policy.require(current_user, policy.VISIT_RECORD)
    form = _photo_form()
    if form.validate_on_submit():
        try:
            photos.add_from_form(form, partial(services.add_visit_photo, current_user, visit))
        except InvalidInput as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            flash(_("The photo is added."), "success")
            return redirect(url_for("visits.view_visit", visit_id=visit.id))
    return _visit_page(visit, form, status=422)


@bp.get("/training/visit-photos/<int:photo_id>")
def view_visit_photo(photo_id: int):
    return photos.served(get_visit_photo_or_404(current_user, photo_id))


@bp.post("/training/visit-photos/<int:photo_id>/delete")
def delete_visit_photo(photo_id: int):
    photo = get_visit_photo_or_404(current_user, photo_id)
    policy.require(current_user, policy.VISIT_RECORD)
    visit_id = photo.visit_id
    if step_taken(lambda: services.delete_visit_photo(photo, photos.upload_dir())):
        flash(_("The photo is removed."), "success")
    return redirect(url_for("visits.view_visit", visit_id=visit_id))
