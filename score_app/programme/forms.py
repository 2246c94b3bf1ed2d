"""The programme filters as a form to show them (parse_filters reads them), and the upload of a
measurement file."""

from flask_wtf.file import FileField
from wtforms import DateField, TextAreaField
from wtforms.validators import Optional

from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import lazy_gettext as _l
from score_app.programme.spreadsheets import MEDIA_TYPES


class FiltersForm(Form):
    """Shown on GET pages: no CSRF token, the names `parse_filters` reads."""

    class Meta:
        csrf = False

    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    sector = SelectField(_l("Sector"), choices=[], validate_choice=False)
    cohort = SelectField(_l("Cohort"), choices=[], validate_choice=False)
    module = SelectField(_l("Module"), choices=[], validate_choice=False)
    period_from = DateField(_l("Periods from"), name="from", validators=[Optional()])
    period_to = DateField(_l("Periods to"), name="to", validators=[Optional()])

    def fill_choices(self, countries, sectors, cohorts, modules) -> "FiltersForm":
        """Offer these (code, name) pairs and cohorts, each list after an 'all' choice; a cohort
        asked for that no enterprise in view has stays chosen, so the page shows what it used."""
        self.country.choices = as_choices([("", _l("All countries")), *countries])
        self.sector.choices = as_choices([("", _l("All sectors")), *sectors])
        asked = (self.cohort.data or "").strip()
        offered = [*cohorts, asked] if asked and asked not in cohorts else cohorts
        self.cohort.choices = as_choices([("", _l("All cohorts")), *((c, c) for c in offered)])
        self.module.choices = as_choices([("", _l("All modules")), *modules])
        return self


# What the file chooser offers: the extensions, and the media types phones go by.
ACCEPTED = (".csv", ".xlsx", ".ods", "text/csv", MEDIA_TYPES["xlsx"], MEDIA_TYPES["ods"])


class NarrativeForm(Form):
    # The service checks the length, in the user's language.
    narrative = TextAreaField(
        _l("Narrative"),
        description=_l(
            "What the figures mean, what happened in the period, what comes next: printed at the "
            "start of your synthesis reports."
        ),
    )


class ImportForm(Form):
    # The view puts the size limit in the description.
    file = FileField(
        _l("Measurement file (CSV, XLSX or ODS)"),
        render_kw={"accept": ",".join(ACCEPTED)},
    )
