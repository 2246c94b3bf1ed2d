"""The visit form; its choices come from the views."""

from wtforms import DateField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from score_app.catalog.services import module_choices
from score_app.forms import Form, as_choices
from score_app.i18n import gettext as _
from score_app.i18n import lazy_gettext as _l
from score_app.request_args import db_id


class VisitForm(Form):
    enterprise_id = SelectField(_l("Enterprise"), coerce=db_id, choices=[])
    module_slug = SelectField(_l("Module"), validators=[InputRequired()], choices=[])
    visit_date = DateField(_l("Date of the visit"), validators=[InputRequired()])
    findings = TextAreaField(
        _l("Findings"),
        description=_l("What you saw on the shop floor and in the records."),
        validators=[Optional(), Length(max=10_000)],
    )
    next_steps = TextAreaField(
        _l("Next steps agreed with the EIT"),
        description=_l("Who does what by when."),
        validators=[Optional(), Length(max=10_000)],
    )
    action_ids = SelectMultipleField(
        _l("Improvement actions followed up at this visit"),
        coerce=db_id,
        choices=[],
        # The service checks the actions against the chosen enterprise's plan.
        validate_choice=False,
        description=_l("Tick the actions of the enterprise's current plan that you checked."),
    )

    def fill_choices(self, enterprises: list[tuple[int, str]], locale: str) -> "VisitForm":
        """The enterprises the user works with, (id, name), and the catalogue's modules."""
        self.enterprise_id.choices = as_choices(enterprises)
        self.module_slug.choices = as_choices([("", _("Choose a module")), *module_choices(locale)])
        return self
