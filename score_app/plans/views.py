"""Improvement plan pages: the plan with its before/after, actions and their photos."""

from datetime import date
from functools import partial

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from score_app.auth import policy
from score_app.auth.access import safe_next
from score_app.catalog.indicators import BY_CODE
from score_app.catalog.services import get_catalogue
from score_app.enterprises.access import get_figures_or_404, require_figures
from score_app.enterprises.models import Enterprise
from score_app.errors import changed_elsewhere, step_taken
from score_app.exceptions import EditConflict, InvalidInput
from score_app.extensions import db
from score_app.forms import (
    Conflict,
    ConflictRow,
    conflict_rows,
    save_form,
    seen_version,
    show_on_form,
)
from score_app.i18n import (
    SUPPORTED_LOCALES,
    current_locale_code,
    format_exact,
    format_number,
    money_exact,
)
from score_app.i18n import gettext as _
from score_app.plans import photos, services
from score_app.plans.forms import (
    ACTION_STATUS_LABELS,
    ActionForm,
    NewActionForm,
    PhotoForm,
    PlanForm,
)
from score_app.plans.models import ActionStatus, ImprovementPlan, PlanAction
from score_app.plans.report import plan_report
from score_app.request_args import db_id

bp = Blueprint("plans", __name__)


def _action(action_id: int) -> PlanAction:
    action = services.action_or_none(current_user, action_id)
    if action is None:
        abort(404)
    require_figures(current_user, action.plan.enterprise)
    return action


@bp.get("/enterprises/<int:enterprise_id>/plan")
def view_plan(enterprise_id: int):
    enterprise = get_figures_or_404(current_user, enterprise_id)
    plan_id = request.args.get("plan", type=db_id)
    plan = services.plan_of(enterprise, plan_id)
    follow_up = request.args.get("follow_up", type=db_id)
    return render_template(
        "plans/plan.html",
        **plan_report(enterprise, plan, follow_up, date.today(), current_locale_code()),
        plans=services.plans_of(enterprise.id),
        can_edit=policy.can(current_user, policy.PLAN_EDIT) and bool(plan and plan.is_active),
        can_start=policy.can(current_user, policy.PLAN_EDIT),
        can_verify=policy.can(current_user, policy.ACTION_VERIFY),
        locales=SUPPORTED_LOCALES,
    )


@bp.route("/enterprises/<int:enterprise_id>/plans/new", methods=["GET", "POST"])
def start_plan(enterprise_id: int):
    enterprise = get_figures_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.PLAN_EDIT)
    defaults = {
        "title": _("Improvement plan %(year)s", year=date.today().year),
        "started_on": date.today(),
        "carry_over": True,
    }
    # Defaults fill the first view only; what is posted, even if empty, is what is checked.
    form = PlanForm(data=defaults if request.method == "GET" else None)
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_form(
            form,
            lambda: services.start_plan(
                current_user,
                enterprise,
                title=form.title.data or "",
                started_on=form.started_on.data,
                carry_over=form.carry_over.data,
                seen_current=request.form.get("current_plan", type=db_id),
            ),
            lambda: _started_beside_typed(services.active_plan(enterprise.id), form),
        )
        if saved:
            flash(_("The plan is started."), "success")
            return redirect(url_for("plans.view_plan", enterprise_id=enterprise.id))
    return render_template(
        "plans/start.html",
        enterprise=enterprise,
        form=form,
        current=services.active_plan(enterprise.id),
        conflict=conflict,
    ), (409 if conflict else 422 if form.errors else 200)


def _started_beside_typed(plan: ImprovementPlan | None, typed: PlanForm) -> Conflict | None:
    """The plan someone else started meanwhile beside the one typed (none when theirs was
    archived too: the general 409 page says to look again)."""
    if plan is None:
        return None
    stored = PlanForm(formdata=None, data={"title": plan.title, "started_on": plan.started_on})
    del stored.carry_over  # how theirs was started is not kept
    return Conflict(plan.created_by, plan.created_at, conflict_rows(stored, typed))


def _stored_fields(plan: ImprovementPlan, action: PlanAction) -> dict:
    """An action as its form shows it."""
    return {
        "problem": action.problem,
        "root_cause": action.root_cause,
        "action": action.action,
        "responsible": action.responsible,
        "start_date": action.start_date,
        "due_date": action.due_date,
        "status": (
            ActionStatus.DONE if action.status == ActionStatus.VERIFIED else action.status
        ).value,
        "module_slug": action.module_slug,
        "indicator": action.indicator,
        "target_value": format_exact(action.target_value),
        "estimated_cost": money_exact(action.estimated_cost_minor, plan.currency),
        "realised_savings": money_exact(action.realised_savings_minor, plan.currency),
    }


def _action_form(data: dict | None = None, *, is_new: bool = False) -> ActionForm:
    """The action form with its choices: showing `data` (a stored action) when given, else what
    the request posted; a new action's form takes a first photo too."""
    if is_new:
        form = NewActionForm()
        form.photo.description = _photo_hint()
    else:
        form = ActionForm(formdata=None, data=data) if data is not None else ActionForm()
    return form.fill_choices(services.EDITABLE_STATUSES, current_locale_code())


def _action_fields(form: ActionForm) -> dict:
    return {
        name: field.data
        for name, field in form._fields.items()
        if name not in ("csrf_token", "photo", "caption")
    }


def _photo_upload(form: NewActionForm) -> services.PhotoUpload:
    """The photo sent with a new action, read whole so that a refusal says its real size (the
    request itself is capped: MAX_CONTENT_LENGTH)."""
    upload = form.photo.data
    return services.PhotoUpload(
        data=upload.stream.read() if upload else None,
        caption=form.caption.data or "",
        upload_dir=photos.upload_dir(),
        max_bytes=photos.max_megabytes() * 1_000_000,
    )


def _save_action(enterprise: Enterprise, plan: ImprovementPlan, action: PlanAction | None):
    action_id = action.id if action else None
    shows_stored = action is not None and request.method == "GET"
    form = _action_form(_stored_fields(plan, action) if shows_stored else None, is_new=not action)
    conflict = None
    if form.validate_on_submit():
        try:
            if action is None:
                action = services.add_action(
                    current_user, plan, _action_fields(form), current_locale_code(),
                    photo=_photo_upload(form),
                )  # fmt: skip
            else:
                was_verified = action.status == ActionStatus.VERIFIED
                services.update_action(
                    current_user, action, _action_fields(form), current_locale_code(),
                    seen_version=seen_version(),
                )  # fmt: skip
                if was_verified and action.status != ActionStatus.VERIFIED:
                    flash(_("The action changed, so it needs to be verified again."), "info")
        except InvalidInput as error:
            db.session.rollback()
            show_on_form(form, error)
        except EditConflict:
            db.session.rollback()  # the stored version, or none if it was deleted meanwhile
            if db.session.get(PlanAction, action_id) is None:
                flash(_("Someone else deleted this action meanwhile."), "error")
                return redirect(url_for("plans.view_plan", enterprise_id=enterprise.id))
            conflict = _stored_beside_typed(plan, action, form)
        else:
            flash(_("The action is saved."), "success")
            return redirect(url_for("plans.view_action", action_id=action.id))
    return render_template(
        "plans/action_form.html",
        enterprise=enterprise,
        plan=plan,
        action=action,
        form=form,
        conflict=conflict,
        people=[p.full_name for p in enterprise.people],
        currency=plan.currency,
    ), (409 if conflict else 422 if form.errors else 200)


def _stored_beside_typed(plan: ImprovementPlan, action: PlanAction, typed: ActionForm) -> Conflict:
    """The stored action beside what the user typed, its status as it is (verified too)."""
    rows = conflict_rows(_action_form(_stored_fields(plan, action)), typed)
    status = ConflictRow(
        str(typed.status.label.text), str(ACTION_STATUS_LABELS[action.status]),
        str(ACTION_STATUS_LABELS.get(typed.status.data, typed.status.data or "")),
    )  # fmt: skip
    return Conflict(
        action.updated_by,
        action.updated_at,
        [status if row.label == status.label else row for row in rows],
    )


@bp.route("/enterprises/<int:enterprise_id>/plan/actions/new", methods=["GET", "POST"])
def add_action(enterprise_id: int):
    enterprise = get_figures_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.PLAN_EDIT)
    plan = services.active_plan(enterprise.id)
    if plan is None:
        flash(_("Start a plan first."), "info")
        return redirect(url_for("plans.start_plan", enterprise_id=enterprise.id))
    return _save_action(enterprise, plan, None)


@bp.get("/actions/<int:action_id>")
def view_action(action_id: int):
    action = _action(action_id)
    form = PhotoForm(formdata=None)
    form.photo.description = _photo_hint()
    return _action_page(action, form)


def _action_page(action: PlanAction, form: PhotoForm, status: int = 200):
    latest = services.latest_values(action.plan.enterprise_id)
    locale = current_locale_code()
    module = get_catalogue().get(action.module_slug) if action.module_slug else None
    editable = action.plan.is_active
    return render_template(
        "plans/action.html",
        action=action,
        enterprise=action.plan.enterprise,
        form=form,
        module_title=module.title_in(locale) if module else "",
        indicator=BY_CODE.get(action.indicator),
        latest=latest.get(action.indicator),
        reached=services.target_reached(action, latest),
        today=date.today(),
        status_labels=ACTION_STATUS_LABELS,
        can_edit=editable and policy.can(current_user, policy.PLAN_EDIT),
        can_verify=editable and policy.can(current_user, policy.ACTION_VERIFY),
    ), status


def _photo_hint() -> str:
    return _(
        "A JPEG or PNG photo of the result, up to %(mb)s MB.",
        mb=format_number(photos.max_megabytes()),
    )


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
def edit_action(action_id: int):
    action = _action(action_id)
    policy.require(current_user, policy.PLAN_EDIT)
    if not action.plan.is_active:
        flash(_("This plan is archived: it can be read, not changed."), "error")
        return redirect(url_for("plans.view_action", action_id=action.id))
    return _save_action(action.plan.enterprise, action.plan, action)


def _after_step(action_id: int, step, *args, message: str, **options):
    if step_taken(lambda: step(*args, **options)):
        flash(message, "success")
    back = safe_next(request.form.get("next"))
    return redirect(back or url_for("plans.view_action", action_id=action_id))


@bp.post("/actions/<int:action_id>/move")
def move_action(action_id: int):
    action = _action(action_id)
    policy.require(current_user, policy.PLAN_EDIT)
    status = request.form.get("status", "")
    label = ACTION_STATUS_LABELS.get(status, status) if status in set(ActionStatus) else ""
    return _after_step(
        action_id,
        services.move_action,
        current_user,
        action,
        status,
        seen_version=seen_version(),
        message=_("The action is now %(status)s.", status=label),
    )


@bp.post("/actions/<int:action_id>/verify")
def verify_action(action_id: int):
    action = _action(action_id)
    policy.require(current_user, policy.ACTION_VERIFY)
    return _after_step(
        action_id,
        services.verify_action,
        current_user,
        action,
        seen_version=seen_version(),
        message=_("The action is verified."),
    )


@bp.post("/actions/<int:action_id>/delete")
def delete_action(action_id: int):
    action = _action(action_id)
    policy.require(current_user, policy.PLAN_EDIT)
    enterprise_id = action.plan.enterprise_id
    try:
        services.delete_action(
            current_user, action, photos.upload_dir(), seen_version=seen_version()
        )
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("plans.view_action", action_id=action_id))
    except EditConflict:
        flash(changed_elsewhere(), "error")
        return redirect(url_for("plans.view_action", action_id=action_id))
    flash(_("The action is deleted."), "success")
    return redirect(url_for("plans.view_plan", enterprise_id=enterprise_id))


@bp.post("/actions/<int:action_id>/photos")
def upload_photo(action_id: int):
    action = _action(action_id)
    policy.require(current_user, policy.PLAN_EDIT)
    form = PhotoForm()
    form.photo.description = _photo_hint()
    if form.validate_on_submit():
        try:
            photos.add_from_form(form, partial(services.add_photo, current_user, action))
        except InvalidInput as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            flash(_("The photo is added."), "success")
            return redirect(url_for("plans.view_action", action_id=action.id))
    return _action_page(action, form, status=422)


def _photo(photo_id: int):
    photo = services.photo_or_none(current_user, photo_id)
    if photo is None:
        abort(404)
    require_figures(current_user, photo.plan_action.plan.enterprise)
    return photo


@bp.get("/photos/<int:photo_id>")
def view_photo(photo_id: int):
    return photos.served(_photo(photo_id))


@bp.post("/photos/<int:photo_id>/delete")
def delete_photo(photo_id: int):
    photo = _photo(photo_id)
    policy.require(current_user, policy.PLAN_EDIT)
    action_id = photo.action_id
    return _after_step(
        action_id,
        services.delete_photo,
        current_user,
        photo,
        photos.upload_dir(),
        message=_("The photo is removed."),
    )
