"""Forms for starting a plan, an action, and an evidence photo.

Amounts and targets are text fields: the service reads them strictly in the user's locale.
"""

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from score_app.catalog.indicators import INDICATORS
from score_app.catalog.services import module_choices
from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import gettext as _
from score_app.i18n import lazy_gettext as _l
from score_app.plans.models import ActionStatus

ACTION_STATUS_LABELS = {
    ActionStatus.PLANNED: _l("planned"),
    ActionStatus.IN_PROGRESS: _l("in progress"),
    ActionStatus.DONE: _l("done"),
    ActionStatus.VERIFIED: _l("verified"),
}


def action_status_label(status) -> str:
    return str(ACTION_STATUS_LABELS[ActionStatus(status)])


class PlanForm(Form):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    started_on = DateField(_l("Start date"), validators=[Optional()])
    carry_over = BooleanField(_l("Move the unfinished actions of the current plan to this one"))


class ActionForm(Form):
    problem = TextAreaField(
        _l("Problem"),
        description=_l("What goes wrong, where, and how often."),
        validators=[Optional(), Length(max=2000)],
    )
    root_cause = TextAreaField(
        _l("Root cause"),
        description=_l("Why it happens, as the EIT found it."),
        validators=[Optional(), Length(max=2000)],
    )
    action = TextAreaField(
        _l("Action"),
        description=_l("What will be done."),
        validators=[Optional(), Length(max=2000)],
    )
    responsible = StringField(
        _l("Responsible person"),
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "people", "autocomplete": "off"},
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[])
    module_slug = SelectField(_l("Module"), choices=[])
    indicator = SelectField(_l("Indicator targeted"), choices=[])
    target_value = StringField(
        _l("Target value"), description=_l("The value of the indicator the action aims for.")
    )
    estimated_cost = StringField(_l("Estimated cost"))
    realised_savings = StringField(
        _l("Savings realised"), description=_l("What the action has saved so far.")
    )

    def fill_choices(self, statuses, locale: str) -> "ActionForm":
        """The statuses an editor sets, the catalogue's modules and the indicators."""
        self.status.choices = as_choices(
            (status.value, ACTION_STATUS_LABELS[status]) for status in statuses
        )
        self.module_slug.choices = as_choices([("", _("No module")), *module_choices(locale)])
        self.indicator.choices = as_choices(
            [("", _("No indicator")), *((i.code, i.name) for i in INDICATORS)]
        )
        return self


# A phone offers its camera and gallery; photo-resize.js makes the picture small before it is sent.
PHOTO_INPUT = {"accept": "image/*", "data-resize": "1600"}


class PhotoForm(Form):
    # The view puts the size limit in the description.
    photo = FileField(_l("Photo"), render_kw=PHOTO_INPUT)
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=200)])


class NewActionForm(ActionForm):
    """A new action, with a first evidence photo if there is one already."""

    # The view puts the size limit in the description.
    photo = FileField(_l("Photo (optional)"), render_kw=PHOTO_INPUT)
    caption = StringField(_l("Caption of the photo"), validators=[Optional(), Length(max=200)])
