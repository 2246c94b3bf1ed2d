"""The programme filters as a form to show them (parse_filters reads them), and the upload of a
measurement file."""

from flask_wtf.file import FileField
from wtforms import DateField, StringField
from wtforms.validators import Optional

from score_app.forms import Form, SelectField, as_choices
from score_app.i18n import lazy_gettext as _l


class FiltersForm(Form):
    """Shown on GET pages: no CSRF token, the names `parse_filters` reads."""

    class Meta:
        csrf = False

    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    sector = SelectField(_l("Sector"), choices=[], validate_choice=False)
    cohort = StringField(_l("Cohort"))
    module = SelectField(_l("Module"), choices=[], validate_choice=False)
    period_from = DateField(_l("Periods from"), name="from", validators=[Optional()])
    period_to = DateField(_l("Periods to"), name="to", validators=[Optional()])

    def fill_choices(self, countries, sectors, modules) -> "FiltersForm":
        """Offer these (code, name) pairs, each list after an 'all' choice."""
        self.country.choices = as_choices([("", _l("All countries")), *countries])
        self.sector.choices = as_choices([("", _l("All sectors")), *sectors])
        self.module.choices = as_choices([("", _l("All modules")), *modules])
        return self


class ImportForm(Form):
    # The view puts the size limit in the description.
    file = FileField(_l("Measurement file (CSV or XLSX)"))
