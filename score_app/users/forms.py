"""The admin's form for one account."""

from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from score_app.auth.forms import ROLE_LABELS, locale_field
from score_app.auth.models import Role
from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import lazy_gettext as _l
from score_app.request_args import db_id


class ChecklistField(SelectMultipleField):
    """Many choices as checkboxes, so a click ticks or unticks one and never drops the others
    (templates/_macros.html `checklist` shows them with a search box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
    # The least-privileged role first shown, so a hurried save never makes an admin.
    role = SelectField(
        _l("Role"),
        choices=as_choices(ROLE_LABELS.items()),
        coerce=Role,
        default=Role.ENTERPRISE_OWNER,
    )
    preferred_locale = locale_field()
    is_active = BooleanField(
        _l("Active (can sign in)"),
        description=_l(
            "Deactivating signs the person out everywhere and revokes their API tokens for good."
        ),
        default=True,
    )
    countries = ChecklistField(
        _l("Countries (programme staff)"),
        description=_l("Leave empty to give programme staff every country."),
        choices=[],
    )
    enterprises = ChecklistField(_l("Enterprises (trainers and owners)"), choices=[], coerce=db_id)
    invite = BooleanField(
        _l("Send an invitation by email"),
        description=_l(
            "The person gets a link where they choose their own password, in the language "
            "chosen above. Untick to type a password for them instead."
        ),
        default=True,
    )
    new_password = PasswordField(
        _l("Password"),
        description=_l(
            "At least 10 characters. When editing, leave empty to keep the current one."
        ),
        validators=[Optional()],
    )
