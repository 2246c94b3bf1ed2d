"""Forms for signing in and the user's own account; the role labels and language choice that
the admin's account form (users/forms.py) shares."""

from wtforms import (
    EmailField,
    PasswordField,
    StringField,
)
from wtforms.validators import EqualTo, InputRequired, Length

from score_app.auth.models import Role
from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import SUPPORTED_LOCALES
from score_app.i18n import lazy_gettext as _l

ROLE_LABELS = {
    Role.ADMIN: _l("Admin"),
    Role.PROGRAMME_STAFF: _l("Programme staff"),
    Role.TRAINER: _l("Trainer"),
    Role.ENTERPRISE_OWNER: _l("Enterprise owner or manager"),
}


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[Role(role)])


def locale_field():
    """The language select; "" (no preference) means the browser's language decides."""
    return SelectField(
        _l("Language"),
        choices=as_choices([("", _l("Automatic (from the browser)")), *SUPPORTED_LOCALES.items()]),
        default="",
    )


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class PreferencesForm(Form):
    full_name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=200)])
    preferred_locale = locale_field()


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    new_password = PasswordField(_l("New password"), validators=[InputRequired()])
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])


class SetPasswordForm(Form):
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters."),
        validators=[InputRequired()],
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class TokenForm(Form):
    label = StringField(
        _l("Name of the token"),
        description=_l("For example the tablet or the program that will use it."),
        validators=[InputRequired(), Length(max=100)],
    )
