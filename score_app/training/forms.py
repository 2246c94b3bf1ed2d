"""Forms for workshops, attendance walk-ins, visits and certificates; choices come from views."""

from wtforms import (
    DateField,
    FieldList,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from score_app.enterprises.forms import PersonForm
from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import SUPPORTED_LOCALES
from score_app.i18n import lazy_gettext as _l
from score_app.request_args import db_id

MAX_WORKSHOP_DAYS = 6


class WorkshopForm(Form):
    module_slug = SelectField(_l("Module"), validators=[InputRequired()], choices=[])
    trainer_id = SelectField(_l("Trainer"), coerce=db_id, choices=[])
    place = StringField(_l("Place"), validators=[InputRequired(), Length(max=200)])
    enterprise_ids = SelectMultipleField(
        _l("Enterprises taking part"),
        coerce=db_id,
        choices=[],
        # The service checks scope, so every message comes back in one answer.
        validate_choice=False,
        description=_l("Usually four or five enterprises learn together."),
    )
    days = FieldList(
        DateField(_l("Day"), validators=[Optional()]),
        label=_l("Days"),
        min_entries=MAX_WORKSHOP_DAYS,
        max_entries=MAX_WORKSHOP_DAYS,
    )

    @property
    def day_dates(self):
        return [entry.data for entry in self.days if entry.data]


class WalkInForm(PersonForm):
    enterprise_id = SelectField(_l("Enterprise"), coerce=db_id, choices=[])

    def fill_choices(self, workshop) -> "WalkInForm":
        """The workshop's enterprises: a walk-in works at one of them."""
        self.enterprise_id.choices = as_choices((e.id, e.name) for e in workshop.enterprises)
        return self


class IssueCertificatesForm(Form):
    locale = SelectField(
        _l("Language of the certificates"),
        choices=as_choices(SUPPORTED_LOCALES.items()),
    )


class RevokeForm(Form):
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=500)])


class VerifyForm(Form):
    """The public certificate check: one code, sent by GET so that each answer has its own
    address to share or bookmark."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Certificate code"),
        filters=[lambda typed: typed.strip() if typed else typed],
        validators=[
            DataRequired(message=_l("Enter the code printed on the certificate.")),
            Length(max=40, message=_l("A certificate code has 12 letters and digits.")),
        ],
        description=_l(
            "Printed under the QR code, such as 7K3M-Q9PX-2RWD: upper or lower case, "
            "with or without dashes."
        ),
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )
