"""Forms for a measurement period, one measurement's inputs, workflow reasons and checklists.

The period form's indicator rows are read by the view from the request, because which
indicators it shows depends on the page; WTForms covers the fixed fields.
"""

from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from score_app.forms import Form, as_choices
from score_app.i18n import lazy_gettext as _l
from score_app.kpis.models import Phase, Status

PHASE_LABELS = {Phase.BASELINE: _l("Baseline"), Phase.FOLLOW_UP: _l("Follow-up")}
STATUS_LABELS = {
    Status.DRAFT: _l("draft"),
    Status.SUBMITTED: _l("submitted"),
    Status.VERIFIED: _l("verified"),
}


def status_label(status) -> str:
    return str(STATUS_LABELS[Status(status)])


AUDIT_LABELS = {
    "create": _l("Created"),
    "edit": _l("Edited"),
    "submit": _l("Submitted"),
    "verify": _l("Verified"),
    "reopen": _l("Reopened"),
    # i18n: submitted figures returned to draft by the person reviewing them
    "send_back": _l("Sent back"),
    "delete": _l("Deleted"),
}


def audit_label(action) -> str:
    return str(AUDIT_LABELS[str(action)])


def phase_label(phase) -> str:
    return str(PHASE_LABELS[Phase(phase)])


class PeriodForm(Form):
    phase = RadioField(_l("Phase"), choices=as_choices(PHASE_LABELS.items()))
    period_start = DateField(_l("First day of the period"), validators=[InputRequired()])
    period_end = DateField(_l("Last day of the period"), validators=[InputRequired()])


class ReasonForm(Form):
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=500)])


class SendBackForm(Form):
    reason = TextAreaField(
        _l("Why are they sent back?"),
        description=_l("The people who entered them read this, correct them and submit again."),
        filters=[lambda text: text.strip() if text else text],
        validators=[
            DataRequired(message=_l("Say why the figures are sent back.")),
            Length(max=500),
        ],
    )


class CommentForm(Form):
    comment = TextAreaField(
        _l("Comment"),
        description=_l("Needed when a figure looks unusual: say why it is right."),
        validators=[Optional(), Length(max=2000)],
    )


class ChecklistForm(Form):
    phase = RadioField(_l("Phase"), choices=as_choices(PHASE_LABELS.items()))
    assessed_on = DateField(_l("Date of the assessment"), validators=[InputRequired()])
