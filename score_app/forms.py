"""The base of every form: WTForms' built-in messages translated from the app's own catalogue."""

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

# WTForms' own messages that our forms can show, listed so every supported language has them.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid date value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Invalid email address."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
)


class _CatalogueTranslations:
    """WTForms asks this object; it answers from the catalogue of the request's locale."""

    def gettext(self, message: str) -> str:
        return get_translations().gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


def as_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select field."""
    return [SelectChoice(value, label) for value, label in pairs]


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _CatalogueTranslations()
