"""Forms for a measurement period, one measurement's inputs, workflow reasons and checklists.

The period form's indicator rows are read by the view from the request, because which
indicators it shows depends on the page; WTForms covers the fixed fields.
"""

import calendar
import re
from datetime import date

from babel.dates import format_skeleton
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import current_locale_code
from score_app.i18n import gettext as _
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


# The month choice that reveals the two dates.
OTHER_PERIOD = "other"
MONTHS_OFFERED = 36
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_dates(value: str) -> tuple[date, date] | None:
    """The first and last day of a month written YYYY-MM, or None when it is not one."""
    found = _MONTH.match(value or "")
    if not found:
        return None
    year, month = int(found[1]), int(found[2])
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        return None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def last_full_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def month_choices(today: date, chosen: str | None = None) -> list[tuple[str, str]]:
    """The last full months, newest first, as the locale names them ("November 2026"), then
    "another period"; a month chosen further back stays in the list."""
    locale = current_locale_code()
    months = []
    year, month = map(int, last_full_month(today).split("-"))
    for _step in range(MONTHS_OFFERED):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    if chosen and chosen not in months and month_dates(chosen):
        months.append(chosen)
    return [
        (value, format_skeleton("yMMMM", month_dates(value)[0], locale=locale)) for value in months
    ] + [(OTHER_PERIOD, _("Another period (type its first and last day)"))]


class PeriodForm(Form):
    """A phase and a period: a month (one choice), or any first and last day."""

    phase = RadioField(_l("Phase"), choices=as_choices(PHASE_LABELS.items()))
    period_month = SelectField(_l("Period"), validate_choice=False)
    period_start = DateField(_l("First day of the period"), validators=[InputRequired()])
    period_end = DateField(_l("Last day of the period"), validators=[InputRequired()])

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or date.today()
        if self.period_month.data is None and not self.is_submitted():
            self.period_month.data = last_full_month(today)
        self.period_month.choices = month_choices(today, self.period_month.data)

    @property
    def is_month(self) -> bool:
        """True when the period is a month chosen from the list, not two typed days.
        A form posted without the month (an older page, a script) gives its days."""
        return self.period_month.data not in (None, "", OTHER_PERIOD)

    def validate(self, extra_validators=None) -> bool:
        if not self.is_month:
            return super().validate(extra_validators)
        days = month_dates(self.period_month.data)
        fields = (self.period_start, self.period_end)
        for field, day in zip(fields, days or (None, None), strict=True):
            field.data, field.raw_data = day, [day.isoformat() if day else "-"]
            field.process_errors = []  # the days left empty are not read
        is_valid = super().validate(extra_validators)
        if days is None:
            self.period_month.errors = [_("Choose a month from the list, or another period.")]
            self.period_start.errors, self.period_end.errors = [], []
            return False
        return is_valid


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
