"""The app's form parts: its select writes each option as WTForms' own select does, escaped,
and every whole number has a range that holds for numbers of any size."""

import importlib
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form as PlainForm
from wtforms import IntegerField
from wtforms import SelectField as WTFormsSelectField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField

import score_app
from score_app.forms import Form, SelectField, WholeNumberRange, as_choices

HOSTILE = '<script>alert(1)</script>"><b>&bold</b>'
CHOICES = [
    ("", "All countries"),
    ("GH", "Ghana"),
    (HOSTILE, HOSTILE),
    ("7", 'Côte d\'Ivoire & "friends"'),
]


class _Ours(PlainForm):
    country = SelectField(choices=as_choices(CHOICES))
    number = SelectField(choices=as_choices([(1, "one"), (2, "two")]), coerce=int)
    answer = SelectField(choices=as_choices([(True, "Yes"), (False, "No")]), coerce=bool)


class _Theirs(PlainForm):
    country = WTFormsSelectField(choices=as_choices(CHOICES))
    number = WTFormsSelectField(choices=as_choices([(1, "one"), (2, "two")]), coerce=int)
    answer = WTFormsSelectField(choices=as_choices([(True, "Yes"), (False, "No")]), coerce=bool)


def test_options_are_written_as_wtforms_writes_them():
    for data in ({}, {"country": HOSTILE, "number": 2, "answer": True}, {"country": "GH"}):
        ours, theirs = _Ours(data=data), _Theirs(data=data)
        for name in ("country", "number", "answer"):
            assert ours[name]() == theirs[name](), (name, data)
    assert "<script>" not in _Ours(data={"country": HOSTILE}).country()


def test_an_option_with_its_own_attributes_is_left_to_wtforms():
    choices = [SelectChoice("GH", "Ghana", render_kw={"disabled": True}), SelectChoice("ZA", "ZA")]
    ours = _Ours(data={"country": "ZA"})
    theirs = _Theirs(data={"country": "ZA"})
    ours.country.choices = theirs.country.choices = choices
    assert ours.country() == theirs.country()
    assert '<option disabled value="GH">' in ours.country()


def _forms(form_class=Form):
    for subclass in form_class.__subclasses__():
        yield subclass
        yield from _forms(subclass)


def _whole_number_fields():
    """Every IntegerField of every form of the app (the forms.py of each package)."""
    for module in sorted(Path(score_app.__file__).parent.glob("*/forms.py")):
        importlib.import_module(f"score_app.{module.parent.name}.forms")
    return [
        pytest.param(field, id=f"{form.__name__}.{name}")
        for form in sorted(set(_forms()), key=lambda form: form.__name__)
        for name in dir(form)
        if isinstance(field := getattr(form, name), UnboundField)
        and issubclass(field.field_class, IntegerField)
    ]


@pytest.mark.parametrize("field", _whole_number_fields())
def test_every_whole_number_field_has_a_range_that_holds_for_any_size(field):
    """WTForms' own NumberRange overflows on a number of 400 digits (a server error)."""
    validators = field.kwargs.get("validators", ())
    assert any(isinstance(validator, WholeNumberRange) for validator in validators)


def test_a_whole_number_of_any_size_is_refused_with_the_limit_it_crossed(app):
    class Workers(Form):
        count = IntegerField(validators=[WholeNumberRange(min=0, max=1_000_000)])

    cases = {"9" * 400: "at most 1,000,000", "-" + "9" * 400: "at least 0", "12": None}
    with app.test_request_context():
        for typed, refusal in cases.items():
            form = Workers(formdata=MultiDict({"count": typed}), meta={"csrf": False})
            assert form.validate() is (refusal is None)
            assert [refusal in error for error in form.count.errors] == ([True] if refusal else [])
