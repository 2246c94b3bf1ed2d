"""The enterprise profile and person forms; the view supplies the country and sector choices."""

from flask import current_app
from wtforms import DateField, IntegerField, RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional

from score_app.enterprises.models import JobRole, Sex
from score_app.forms import Form, SelectField, WholeNumberRange, as_choices
from score_app.i18n import gettext as _
from score_app.i18n import lazy_gettext as _l

SECTOR_LABELS = {
    "garments": _l("Garments"),
    "textiles": _l("Textiles"),
    "leather_footwear": _l("Leather and footwear"),
    "automotive_parts": _l("Automotive parts"),
    "wood_furniture": _l("Wood and furniture"),
    "food_processing": _l("Food processing"),
    "machinery": _l("Machinery"),
    "other": _l("Other"),
}


def sector_label(code: str) -> str:
    """The sector's name in the user's language; a sector added by configuration shows its code."""
    label = SECTOR_LABELS.get(code)
    return str(label) if label is not None else code.replace("_", " ").capitalize()


def sector_choices() -> list[tuple[str, str]]:
    return [(code, sector_label(code)) for code in current_app.config["SCORE_SECTORS"]]


def _workers_field(label):
    return IntegerField(
        label,
        validators=[InputRequired(), WholeNumberRange(min=0, max=1_000_000)],
        render_kw={"inputmode": "numeric", "min": 0},
    )


class EnterpriseForm(Form):
    """The profile. Consent is not part of it: it is given or withdrawn with its own button
    (views.change_consent), never as a side effect of saving the profile."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    country = SelectField(_l("Country"), validators=[InputRequired()], choices=[])
    region = StringField(_l("Region or province"), validators=[Optional(), Length(max=120)])
    sector = SelectField(_l("Sector"), validators=[InputRequired()], choices=[])
    product = StringField(_l("Main product"), validators=[Optional(), Length(max=200)])
    workers_women = _workers_field(_l("Women workers"))
    workers_men = _workers_field(_l("Men workers"))
    joined_on = DateField(_l("Date joined the programme"), validators=[Optional()])
    cohort = StringField(
        _l("Cohort"),
        description=_l("The enterprises trained together in one classroom round, e.g. GH-2026-A."),
        validators=[Optional(), Length(max=60)],
    )

    def fill_choices(
        self, countries: list[tuple[str, str]], current_sector: str | None = None
    ) -> "EnterpriseForm":
        """Offer these countries and the configured sectors, plus a sector no longer configured
        that the enterprise still has."""
        sectors = sector_choices()
        if current_sector and current_sector not in dict(sectors):
            sectors.append((current_sector, sector_label(current_sector)))
        self.country.choices = as_choices([("", _("Choose a country")), *countries])
        self.sector.choices = as_choices([("", _("Choose a sector")), *sectors])
        return self


SEX_LABELS = {Sex.FEMALE: _l("Woman"), Sex.MALE: _l("Man")}
JOB_ROLE_LABELS = {
    JobRole.MANAGER: _l("Manager"),
    JobRole.SUPERVISOR: _l("Supervisor"),
    JobRole.WORKER: _l("Worker"),
}


class PersonForm(Form):
    """Someone who works at the enterprise; walk-in forms add the enterprise to it."""

    full_name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    sex = RadioField(_l("Sex"), choices=as_choices(SEX_LABELS.items()))
    job_role = RadioField(_l("Role"), choices=as_choices(JOB_ROLE_LABELS.items()))
