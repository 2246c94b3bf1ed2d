"""The admin's pages for accounts: the list, a new account, one account, lifting sign-in pauses,
signing an account out of its devices."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from score_app.auth import policy
from score_app.auth import services as auth_services
from score_app.auth.forms import ROLE_LABELS
from score_app.auth.models import Role, User
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.forms import as_choices, save_form, seen_version, show_on_form, stored_beside_typed
from score_app.i18n import country_choices, country_name, format_number, ngettext
from score_app.i18n import gettext as _
from score_app.mail import MailNotSent
from score_app.request_args import db_id, kept_args, paginate
from score_app.users import services
from score_app.users.forms import UserForm

bp = Blueprint("users", __name__)


# The user list's query arguments, kept by its page links.
USER_LIST_ARGS = ("role", "q")


@bp.get("/admin/users")
def list_users():
    policy.require(current_user, policy.USER_MANAGE)
    role = request.args.get("role", "")
    text = request.args.get("q", "").strip()
    page = paginate(services.search_users(role, text))
    return render_template(
        "users/list.html",
        page=page,
        role=role,
        q=text,
        role_labels=ROLE_LABELS,
        args=kept_args(USER_LIST_ARGS),
    )


def _fill_user_choices(form: UserForm) -> None:
    form.countries.choices = as_choices(country_choices())
    enterprises = db.session.execute(
        select(Enterprise.id, Enterprise.name, Enterprise.country).order_by(Enterprise.name)
    ).all()
    form.enterprises.choices = as_choices(
        (e.id, f"{e.name} ({country_name(e.country)})") for e in enterprises
    )


def _user_fields(form: UserForm) -> dict:
    """The account as the form gives it; countries only scope programme staff, so those ticked
    for another role (the list hidden by the page's script, or no script) are let go."""
    is_staff = form.role.data == Role.PROGRAMME_STAFF
    return {
        "email": form.email.data,
        "full_name": form.full_name.data,
        "role": form.role.data,
        "preferred_locale": form.preferred_locale.data or None,
        "countries": form.countries.data if is_staff else [],
        "enterprise_ids": form.enterprises.data,
    }


def _new_user_form() -> UserForm:
    """The empty account form; from an enterprise's page, with that enterprise ticked."""
    enterprise_id = request.args.get("enterprise", type=db_id)
    form = UserForm(data={"enterprises": [enterprise_id]} if enterprise_id else None)
    _fill_user_choices(form)
    return form


def _send_invitation(user: User) -> None:
    try:
        auth_services.invite(user, invited_by=current_user)
    except MailNotSent:
        flash(
            _(
                "The invitation to %(email)s could not be sent: the mail server did not take "
                "it. Try again from the account's page later.",
                email=user.email,
            ),
            "error",
        )
    else:
        flash(_("An invitation is sent to %(email)s.", email=user.email), "success")


@bp.route("/admin/users/new", methods=["GET", "POST"])
def create_user():
    policy.require(current_user, policy.USER_MANAGE)
    form = _new_user_form()
    if form.validate_on_submit():
        invited_by = current_user if form.invite.data else None
        try:
            user = services.create_user(
                password=form.new_password.data or "", invited_by=invited_by, **_user_fields(form)
            )
        except InvalidInput as error:
            show_on_form(form, error.renamed(password="new_password"))
        else:
            flash(_("The account for %(email)s is created.", email=user.email), "success")
            if invited_by:
                _send_invitation(user)
            return redirect(url_for("users.list_users"))
    return render_template("users/form.html", form=form, user=None)


@bp.post("/admin/users/<int:user_id>/invite")
def invite_user(user_id: int):
    """Send an invited account a new link (the earlier one stops working)."""
    policy.require(current_user, policy.USER_MANAGE)
    user = db.get_or_404(User, user_id)
    if user.is_invited and user.is_active:
        _send_invitation(user)
    return redirect(url_for("users.edit_user", user_id=user.id))


@bp.post("/enterprises/<int:enterprise_id>/members")
def assign_member(enterprise_id: int):
    """An admin assigns a trainer or an owner to the enterprise from its page."""
    policy.require(current_user, policy.USER_MANAGE)
    enterprise = db.get_or_404(Enterprise, enterprise_id)
    user = db.session.get(User, request.form.get("user_id", type=db_id) or 0)
    back = redirect(url_for("enterprises.view_enterprise", enterprise_id=enterprise.id))
    if user is None:
        flash(_("Choose the person to assign."), "error")
        return back
    try:
        services.assign_enterprise(user, enterprise, acting_user=current_user)
    except InvalidInput as error:
        db.session.rollback()
        flash(" ".join(error.errors.values()), "error")
        return back
    flash(
        _(
            "%(name)s is assigned to %(enterprise)s.",
            name=user.full_name,
            enterprise=enterprise.name,
        ),
        "success",
    )
    return back


def _user_form(user: User, **options) -> UserForm:
    """The account form with its choices, showing the stored account on a first view (or with
    formdata=None)."""
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "preferred_locale": user.preferred_locale or "",
        "is_active": user.is_active,
        "countries": user.country_codes,
        "enterprises": [e.id for e in user.enterprises],
    }
    form = UserForm(data=data, **options)
    del form.invite  # an existing account is invited again from its own button
    _fill_user_choices(form)
    return form


def _confirmation_needed(user: User, form: UserForm):
    """The confirmation page of an edit that takes enterprises away from the account, until the
    admin confirms those very removals (the page posts the form again with them), else None."""
    if seen_version() != user.version:
        return None  # the save is refused as a conflict, which shows both versions
    removed, added = services.assignment_changes(user, form.enterprises.data)
    confirmed = ",".join(str(e.id) for e in removed)
    if not removed or request.form.get("confirmed_removal") == confirmed:
        return None
    return render_template(
        "users/confirm.html",
        user=user,
        removed=removed,
        added=added,
        confirmed=confirmed,
        typed=[(k, v) for k, v in request.form.items(multi=True) if k != "confirmed_removal"],
    )


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    policy.require(current_user, policy.USER_MANAGE)
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    conflict = None
    # The form shown again (from the confirmation page, or with an error) keeps the version the
    # admin's page was made from, so that a save made meanwhile is still met as a conflict.
    seen = seen_version()
    if request.form.get("back"):  # from the confirmation page: the form as typed, unsaved
        return render_template("users/form.html", form=form, user=user, seen=seen)
    if form.validate_on_submit():
        confirmation = _confirmation_needed(user, form)
        if confirmation is not None:
            return confirmation
        changes = {"is_active": form.is_active.data, "new_password": form.new_password.data or ""}
        ends_access = services.access_end(user, **changes) is not None
        saved, conflict = save_form(
            form,
            lambda: services.update_user(
                user,
                **changes,
                acting_user=current_user,
                seen_version=seen_version(),
                **_user_fields(form),
            ),
            lambda: stored_beside_typed(user, _user_form(user, formdata=None), form),
        )
        if saved:
            message = _("The account for %(email)s is saved.", email=user.email)
            if ends_access:
                ended = _("Its sessions are ended and its API tokens revoked.")
                message = f"{message} {ended}"
            flash(message, "success")
            return redirect(url_for("users.list_users"))
    return render_template(
        "users/form.html", form=form, user=user, conflict=conflict,
        seen=None if conflict else seen,
    ), (409 if conflict else 200)  # fmt: skip


@bp.post("/admin/users/<int:user_id>/unlock")
def unlock_user(user_id: int):
    """Lift every pause and slow-down of the account's sign-in (auth/lockout.py)."""
    policy.require(current_user, policy.USER_MANAGE)
    user = db.get_or_404(User, user_id)
    auth_services.lift_sign_in_pauses(user, acting_user=current_user)
    flash(
        _("Sign-in to %(email)s is open again from every address and device.", email=user.email),
        "success",
    )
    return redirect(url_for("users.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/devices/revoke")
def revoke_devices(user_id: int):
    """Sign the account out of every device registered for offline work (a lost tablet)."""
    policy.require(current_user, policy.USER_MANAGE)
    user = db.get_or_404(User, user_id)
    revoked = auth_services.revoke_devices(user)
    flash(
        ngettext(
            "%(count)s device of %(email)s is signed out and deletes what it keeps, unsent "
            "changes included, when next online. The account's sessions are ended too.",
            "%(count)s devices of %(email)s are signed out and delete what they keep, unsent "
            "changes included, when next online. The account's sessions are ended too.",
            revoked,
            count=format_number(revoked),
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("users.edit_user", user_id=user.id))
