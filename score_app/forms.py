"""The base of every form: WTForms' built-in messages translated from the app's own catalogue,
the range of a whole number, what a form shows when someone else saved the record first, and a
service's refusals on it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    widgets,
)
from wtforms import SelectField as _SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, ValidationError

from score_app.exceptions import EditConflict, InvalidInput
from score_app.extensions import db
from score_app.i18n import (
    current_locale_code,
    format_day,
    format_number,
    lazy_ngettext,
    parse_number,
    translations,
)
from score_app.i18n import gettext as _
from score_app.i18n import lazy_gettext as _l

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
        return translations().gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations().ngettext(singular, plural, n)


class _Select(widgets.Select):
    """WTForms' select, each plain option written straight out: WTForms builds every option's
    attributes through a general formatter, some 20 µs an option, so a list of the world's
    countries took 5 ms to show."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')


class SelectField(_SelectField):
    """The select field of every form (WTForms' own, with the faster options above)."""

    widget = _Select()


def as_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select field."""
    return [SelectChoice(value, label) for value, label in pairs]


def out_of_range(number: int | None, minimum: int | None, maximum: int | None) -> str | None:
    """Why a whole number is refused, its limit written in the user's language ("Number must be
    at most 1,000,000."), or None when it is within the limits given (or no number at all)."""
    if number is None:
        return None
    if minimum is not None and number < minimum:
        return _("Number must be at least %(min)s.", min=format_number(minimum))
    if maximum is not None and number > maximum:
        return _("Number must be at most %(max)s.", max=format_number(maximum))
    return None


class WholeNumberRange(NumberRange):
    """The range of every whole-number field: WTForms' own passes the number through float, which
    a number of 400 digits overflows (a server error); this one compares whole numbers of any
    size and says which limit was crossed."""

    def __call__(self, form, field):
        problem = out_of_range(field.data, self.min, self.max)
        if problem:
            raise ValidationError(problem)


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _CatalogueTranslations()


@dataclass(frozen=True)
class ConflictRow:
    """One field of a record two users changed: the stored text and the user's own."""

    label: str
    theirs: str
    yours: str

    @property
    def differs(self) -> bool:
        """Numbers are compared as numbers in the user's language ('1200.50' is 1200.5)."""
        locale = current_locale_code()
        numbers = (
            parse_number(self.theirs.strip(), locale),
            parse_number(self.yours.strip(), locale),
        )
        if None not in numbers:
            return numbers[0] != numbers[1]
        return self.theirs.strip() != self.yours.strip()


@dataclass(frozen=True)
class Conflict:
    """A refused save (exceptions.EditConflict): who saved the stored version and when, and both
    versions field by field. The form keeps what the user typed and now carries the stored
    version, so saving again replaces it knowingly."""

    saved_by: object  # the User, or None when the account is gone
    saved_at: datetime
    rows: list[ConflictRow]


def _labels(field) -> dict:
    return {choice.value: str(choice.label) for choice in field.choices}


def _shown(field) -> str:
    """A field's value as the user reads it: a choice's label (the chosen ones in the list's
    order), yes or no, a date in their language, the filled entries of a list in order."""
    if isinstance(field, SelectMultipleField):
        chosen = set(field.data or ())
        return ", ".join(label for value, label in _labels(field).items() if value in chosen)
    if isinstance(field, _SelectField):  # radio buttons too
        return _labels(field).get(field.data, field.data or "")
    if isinstance(field, BooleanField):
        return _("Yes") if field.data else _("No")
    if isinstance(field, FieldList):
        filled = sorted((entry for entry in field if entry.data), key=lambda entry: entry.data)
        return ", ".join(_shown(entry) for entry in filled)
    if isinstance(field, DateField) and field.data:
        return format_day(field.data)
    return field._value()


def _compared(field) -> bool:
    """Fields a person reads on the form; a password is never shown back."""
    return field.name != "csrf_token" and not isinstance(field, PasswordField | HiddenField)


def conflict_rows(stored: FlaskForm, typed: FlaskForm) -> list[ConflictRow]:
    """Every field of two copies of one form: the stored record's and the user's."""
    return [
        ConflictRow(str(field.label.text), _shown(field), _shown(typed[field.name]))
        for field in stored
        if _compared(field)
    ]


def stored_beside_typed(record, stored: FlaskForm, typed: FlaskForm) -> Conflict:
    """A refused save of a record that keeps who saved it last and when (extensions.Edited):
    its form filled from the stored record beside the form the user sent."""
    return Conflict(record.updated_by, record.updated_at, conflict_rows(stored, typed))


def seen_version() -> int | None:
    """The version of the record the user's page was made from: the `version` hidden field that
    every form changing a versioned record carries (the `version_field` macro)."""
    return request.form.get("version", type=int)


def show_on_form(form, error: InvalidInput) -> None:
    """Put a service's field messages on the form's fields; others go above the form."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def save_form(form, save: Callable[[], object], conflict: Callable[[], object]):
    """Run `save()`, the use case of a valid form, which returns the record it saved; as every
    edit page does. Its field messages go on the form (InvalidInput). A save made on another
    version than the stored one (EditConflict) keeps nothing and gives `conflict()`, built once
    the stored record is read again: the stored version beside what the user typed
    (forms.Conflict), for the page to show with a 409; with no stored version to show (a new
    record met a change of what it refers to), the general 409 page. Returns (the saved record,
    None), else (None, the conflict or None)."""
    try:
        return save(), None
    except InvalidInput as error:
        db.session.rollback()
        show_on_form(form, error)
        return None, None
    except EditConflict:
        db.session.rollback()
        shown = conflict()
        if shown is None:
            raise
        return None, shown
