"""Sign-in and sign-out, the user's own account and tokens, the language switcher."""

from contextlib import nullcontext, suppress

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

from score_app.auth import devices, policy, services
from score_app.auth.access import public, safe_next
from score_app.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    PreferencesForm,
    SetPasswordForm,
    TokenForm,
)
from score_app.auth.models import ApiToken
from score_app.errors import changed_elsewhere, try_again_in
from score_app.exceptions import EditConflict, InvalidInput
from score_app.extensions import db, limiter
from score_app.forms import save_form, seen_version, show_on_form, stored_beside_typed
from score_app.i18n import (
    SUPPORTED_LOCALES,
    format_number,
    in_locale,
    ngettext,
)
from score_app.i18n import gettext as _
from score_app.mail import MailNotSent

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


def _forgot_limit() -> str:
    return current_app.config["SCORE_FORGOT_RATE_LIMIT"]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_forgot_limit, methods=["POST"])
@public
def forgot_password():
    """The same answer whether or not an account uses the address, and whether or not its mail
    could be sent (the log says), so the page tells nobody who has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with suppress(MailNotSent):
            services.send_password_reset(form.email.data)
        flash(
            _(
                "If an account uses %(email)s, a link to choose a new password is on its way "
                "there. It works once, within an hour.",
                email=form.email.data.strip(),
            ),
            "info",
        )
        return redirect(url_for("auth.forgot_password"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    """Where a mailed link leads: an invited user or one who forgot it chooses a password, on a
    page in the account's language."""
    try:
        link = services.find_password_link(token)
    except services.LinkExpired:
        return render_template("auth/link_refused.html", expired=True), 410
    if link is None:
        return render_template("auth/link_refused.html", expired=False), 404
    locale = link.user.preferred_locale
    if locale:
        session["locale"] = locale  # the sign-in page after it speaks it too
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password_from_link(link, form.new_password.data)
        except InvalidInput as error:
            show_on_form(form, error)
        except EditConflict:
            form.form_errors.append(changed_elsewhere())
        else:
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    with in_locale(locale) if locale else nullcontext():
        return render_template("auth/set_password.html", form=form, link=link)


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
    response = redirect(url_for("auth.login"))
    # What a device kept for offline work (pages, the outbox, its token) goes with the session;
    # the device's script has ended its token on the server first (docs/offline.md).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


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
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            revoked = services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except services.PasswordCheckPaused as paused:
            message, seconds = _check_paused_message(paused.seconds)
            form.form_errors.append(message)
            status, headers = 429, {"Retry-After": str(seconds)}
        except InvalidInput as error:
            show_on_form(form, error)
        except EditConflict:
            form.form_errors.append(changed_elsewhere())
        else:
            flash(_password_changed_message(revoked), "success")
            return redirect(url_for("auth.account"))
    page = render_template(
        "auth/account.html",
        form=_preferences_form(formdata=None),
        password_form=form,
    )
    return page, status, headers


def _check_paused_message(wait_seconds: float) -> tuple[str, int]:
    """Why the current password is not checked and when to try again, and the same wait for
    Retry-After."""
    reason = _("Changing your password is paused after too many wrong current passwords.")
    again, seconds = try_again_in(wait_seconds)
    return f"{reason} {again}", seconds


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


def _revoked_message(token: ApiToken) -> str:
    """What revoking a token did: which sign-ins ended with it (services.revoke_token)."""
    revoked = _("The token “%(label)s” is revoked.", label=token.label)
    if token.user_id != current_user.id:
        ended = _("%(name)s is signed out of the web too.", name=token.user.full_name)
    elif token.is_device:
        ended = _(
            "The device deletes what it keeps for offline work when it next connects, and "
            "your sign-ins in other browsers have ended."
        )
    else:
        return revoked
    return f"{revoked} {ended}"


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if not policy.may_revoke_token(current_user, token.user_id):
        abort(404)
    services.revoke_token(token, current_user)
    flash(_revoked_message(token), "success")
    if token.user_id == current_user.id:
        return redirect(url_for("auth.tokens"))
    return redirect(url_for("users.edit_user", user_id=token.user_id))
