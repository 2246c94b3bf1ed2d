"""Forms for signing in, the user's own account, and the admin's user pages."""

from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from score_app.auth.models import Role
from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import SUPPORTED_LOCALES
from score_app.i18n import lazy_gettext as _l
from score_app.pages import db_id

ROLE_LABELS = {
    Role.ADMIN: _l("Admin"),
    Role.PROGRAMME_STAFF: _l("Programme staff"),
    Role.TRAINER: _l("Trainer"),
    Role.ENTERPRISE_OWNER: _l("Enterprise owner or manager"),
}


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[Role(role)])


def _locale_field():
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
    preferred_locale = _locale_field()


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


class TokenForm(Form):
    label = StringField(
        _l("Name of the token"),
        description=_l("For example the tablet or the program that will use it."),
        validators=[InputRequired(), Length(max=100)],
    )


class UserForm(Form):
    """An admin's form for one account; countries and enterprises choices come from the view."""

    email = EmailField(
        _l("Email"),
        validators=[
            InputRequired(),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
    )
    full_name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=as_choices(ROLE_LABELS.items()), coerce=Role)
    preferred_locale = _locale_field()
    is_active = BooleanField(
        _l("Active (can sign in)"),
        description=_l(
            "Deactivating signs the person out everywhere and revokes their API tokens for good."
        ),
        default=True,
    )
    countries = SelectMultipleField(
        _l("Countries (programme staff)"),
        description=_l("Leave empty to give programme staff every country."),
        choices=[],
    )
    enterprises = SelectMultipleField(
        _l("Enterprises (trainers and owners)"), choices=[], coerce=db_id
    )
    new_password = PasswordField(
        _l("Password"),
        description=_l(
            "At least 10 characters. When editing, leave empty to keep the current one."
        ),
        validators=[Optional()],
    )
