"""The app's form parts: its select writes each option as WTForms' own select does, escaped."""

from wtforms import Form as PlainForm
from wtforms import SelectField as WTFormsSelectField
from wtforms.fields.choices import SelectChoice

from score_app.forms import SelectField, as_choices

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
