"""Sign-in and sign-out, the user's own account and tokens, the language switcher, user admin."""

from contextlib import suppress

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from score_app.auth import devices, policy, services
from score_app.auth.access import public, safe_next
from score_app.auth.forms import (
    ROLE_LABELS,
    LoginForm,
    PasswordForm,
    PreferencesForm,
    TokenForm,
    UserForm,
)
from score_app.auth.models import ApiToken, User
from score_app.enterprises.models import Enterprise
from score_app.errors import (
    EditConflict,
    InvalidInput,
    changed_elsewhere,
    save_form,
    show_on_form,
    try_again_in,
)
from score_app.extensions import db, limiter
from score_app.forms import as_choices, seen_version, stored_beside_typed
from score_app.i18n import (
    SUPPORTED_LOCALES,
    country_choices,
    country_name,
    format_number,
    ngettext,
)
from score_app.i18n import gettext as _
from score_app.pages import kept_args, paginate

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["SCORE_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        device = devices.read_device(request)
        try:
            user = services.authenticate(
                form.email.data, form.password.data, address=get_remote_address(), device=device
            )
        except services.SignInPaused as paused:
            message, seconds = _paused_message(paused.wait)
            form.form_errors.append(message)
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(seconds)}
        if user is not None:
            services.start_session(user)
            login_user(user)
            response = redirect(safe_next(request.args.get("next")) or url_for("home.index"))
            devices.remember_device(response, device, user.id)
            return response
        form.form_errors.append(_("Email or password is incorrect."))
    return render_template("auth/login.html", form=form)


def _paused_message(wait) -> tuple[str, int]:
    """Why sign-in is refused and when to try again, and the same wait for Retry-After."""
    if wait.slowed:
        reason = _(
            "Sign-in to this account from new devices is slowed down after many wrong passwords."
        )
    else:
        # i18n: "from here" is the reader's address or device; others can still sign in.
        reason = _("Sign-in to this account from here is paused after too many wrong passwords.")
    again, seconds = try_again_in(wait.seconds)
    return f"{reason} {again}", seconds


@bp.post("/logout")
def logout():
    services.end_session(current_user.session_key)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/locale")
@public
def set_locale():
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
        # An account saved by someone else at this moment keeps its language; the session's
        # choice still holds.
        if current_user.is_authenticated:
            with suppress(EditConflict):
                services.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))


def _preferences_form(**kwargs) -> PreferencesForm:
    data = {
        "full_name": current_user.full_name,
        "preferred_locale": current_user.preferred_locale or "",
    }
    return PreferencesForm(data=data, **kwargs)


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = _preferences_form()
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_form(
            form,
            lambda: services.update_preferences(
                current_user,
                form.full_name.data,
                form.preferred_locale.data,
                seen_version=seen_version(),
            ),
            lambda: stored_beside_typed(current_user, _preferences_form(formdata=None), form),
        )
        if saved:
            flash(_("Your account is saved."), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        form=form,
        password_form=PasswordForm(formdata=None),
        conflict=conflict,
    ), (409 if conflict else 200)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            revoked = services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except InvalidInput as error:
            show_on_form(form, error)
        except EditConflict:
            form.form_errors.append(changed_elsewhere())
        else:
            flash(_password_changed_message(revoked), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        form=_preferences_form(formdata=None),
        password_form=form,
    )


def _password_changed_message(revoked_tokens: int) -> str:
    message = _("Your password is changed. Other devices are signed out.")
    if not revoked_tokens:
        return message
    revoked = ngettext(
        "Your %(count)s API token is revoked: make a new one for the device that used it.",
        "Your %(count)s API tokens are revoked: make new ones for the devices that used them.",
        revoked_tokens,
        count=format_number(revoked_tokens),
    )
    return f"{message} {revoked}"


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _token, new_token = services.create_token(current_user, form.label.data)
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            form = TokenForm(formdata=None)
    return render_template(
        "auth/tokens.html", form=form, new_token=new_token, tokens=current_user.tokens
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if not policy.may_revoke_token(current_user, token.user_id):
        abort(404)
    services.revoke_token(token)
    flash(_("The token “%(label)s” is revoked.", label=token.label), "success")
    if token.user_id == current_user.id:
        return redirect(url_for("auth.tokens"))
    return redirect(url_for("auth.edit_user", user_id=token.user_id))


# The user list's query arguments, kept by its page links.
USER_LIST_ARGS = ("role", "q")


@bp.get("/admin/users")
def list_users():
    policy.require(current_user, policy.USER_MANAGE)
    role = request.args.get("role", "")
    text = request.args.get("q", "").strip()
    page = paginate(services.search_users(role, text))
    return render_template(
        "auth/users.html",
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
    return {
        "email": form.email.data,
        "full_name": form.full_name.data,
        "role": form.role.data,
        "preferred_locale": form.preferred_locale.data or None,
        "countries": form.countries.data,
        "enterprise_ids": form.enterprises.data,
    }


@bp.route("/admin/users/new", methods=["GET", "POST"])
def create_user():
    policy.require(current_user, policy.USER_MANAGE)
    form = UserForm()
    _fill_user_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(password=form.new_password.data or "", **_user_fields(form))
        except InvalidInput as error:
            show_on_form(form, error.renamed(password="new_password"))
        else:
            flash(_("The account for %(email)s is created.", email=user.email), "success")
            return redirect(url_for("auth.list_users"))
    return render_template("auth/user_form.html", form=form, user=None)


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
    _fill_user_choices(form)
    return form


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    policy.require(current_user, policy.USER_MANAGE)
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    conflict = None
    if form.validate_on_submit():
        changes = {"is_active": form.is_active.data, "new_password": form.new_password.data or ""}
        ends_access = services.ends_access(user, **changes)
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
            return redirect(url_for("auth.list_users"))
    return render_template("auth/user_form.html", form=form, user=user, conflict=conflict), (
        409 if conflict else 200
    )


@bp.post("/admin/users/<int:user_id>/unlock")
def unlock_user(user_id: int):
    """Lift every pause and slow-down of the account's sign-in (auth/lockout.py)."""
    policy.require(current_user, policy.USER_MANAGE)
    user = db.get_or_404(User, user_id)
    services.lift_sign_in_pauses(user, acting_user=current_user)
    flash(
        _("Sign-in to %(email)s is open again from every address and device.", email=user.email),
        "success",
    )
    return redirect(url_for("auth.edit_user", user_id=user.id))
