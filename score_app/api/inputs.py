"""Turning a JSON body into form input: type checks first, then the same form the pages use."""

from datetime import date

from flask import request
from werkzeug.datastructures import MultiDict

from score_app.exceptions import InvalidInput
from score_app.forms import out_of_range
from score_app.i18n import gettext as _

# JSON field -> expected JSON type ("date" is a string written YYYY-MM-DD, "number" a whole or
# decimal number, "object" any JSON object, dict an object of named numbers).
ENTERPRISE_FIELDS = {
    "name": str,
    "country": str,
    "region": str,
    "sector": str,
    "product": str,
    "workers_women": int,
    "workers_men": int,
    "joined_on": "date",
    "cohort": str,
    "data_sharing_consent": bool,
}

# A change of an enterprise: the version its client last read, and the fields to change; those
# left out keep their stored values. Consent changes only in a change of nothing else.
ENTERPRISE_CHANGES = {"version": int, **ENTERPRISE_FIELDS}


MEASUREMENT_FIELDS = {
    "indicator": str,
    "phase": str,
    "period_start": "date",
    "period_end": "date",
    "inputs": dict,
    "comment": str,
}

# A change of a measurement: the version its client last read, and the fields to change; those
# left out keep their stored values, and only the comment can be blanked with null.
MEASUREMENT_CHANGES = {
    "version": int,
    "inputs": dict,
    "comment": str,
    "period_start": "date",
    "period_end": "date",
}
BLANKABLE_CHANGES = ("comment",)

# A device registering for offline sync: a name its user recognises it by, such as "Blue tablet".
DEVICE_FIELDS = {"label": str}

# A step of a measurement's workflow (submit, verify, reopen, delete): the version its client
# last read, and why, for reopening and deleting.
STEP_FIELDS = {"version": int}
REASONED_STEP_FIELDS = {"version": int, "reason": str}

# Null leaves a text, date or object field blank; a number or true/false must be given.
NON_NULL_TYPES = (int, bool)

# Every whole number the API takes is stored in, or compared with, an INTEGER column.
INTEGER_RANGE = (-(2**31), 2**31 - 1)


def read_object() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput({"body": _("Send a JSON object in the request body.")})
    return body


def _not_a_date() -> str:
    return _("Must be a date written YYYY-MM-DD.")


def _type_problem(expected, value) -> str | None:
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return _("Must be a whole number.")
        return out_of_range(value, *INTEGER_RANGE)
    if expected is bool and not isinstance(value, bool):
        return _("Must be true or false.")
    if expected in (str, "date") and not isinstance(value, str):
        return _not_a_date() if expected == "date" else _("Must be text.")
    if expected is dict and not isinstance(value, dict):
        return _("Must be an object of named numbers.")
    if expected == "object" and not isinstance(value, dict):
        return _("Must be a JSON object.")
    if expected is list and not isinstance(value, list):
        return _("Must be a list.")
    if expected == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return _("Must be a number.")
    return None


def _may_be_null(name: str, expected, nullable: tuple[str, ...] | None) -> bool:
    return expected not in NON_NULL_TYPES if nullable is None else name in nullable


def check_types(
    body: dict,
    fields: dict,
    *,
    required: tuple[str, ...] = (),
    nullable: tuple[str, ...] | None = None,
) -> None:
    """Refuse unknown fields, values of the wrong JSON type and required fields left out, naming
    each field. Null is accepted for the `nullable` fields, by default every text, date or
    object field."""
    errors = {name: _("This field is required.") for name in required if name not in body}
    for name, value in body.items():
        if name not in fields:
            errors[name] = _("Unknown field.")
        elif value is not None or not _may_be_null(name, fields[name], nullable):
            problem = _type_problem(fields[name], value)
            if problem:
                errors[name] = problem
    if errors:
        raise InvalidInput(errors)


def parse_dates(body: dict, names: tuple[str, ...]) -> tuple[dict, dict[str, str]]:
    """YYYY-MM-DD dates from the body; a missing one is left for the use case to report."""
    dates, errors = {}, {}
    for name in names:
        text = body.get(name)
        try:
            dates[name] = date.fromisoformat(text) if text else None
        except ValueError:
            dates[name] = None
            errors[name] = _not_a_date()
    return dates, errors


def changed_dates(body: dict, names: tuple[str, ...]) -> tuple[dict, dict[str, str]]:
    """The dates a change gives, each a real YYYY-MM-DD date (an empty one is refused too); the
    dates it leaves out are not in the result, so that the stored ones stay."""
    dates, _errors = parse_dates(body, tuple(name for name in names if name in body))
    return dates, {name: _not_a_date() for name, day in dates.items() if day is None}


def numeric_inputs(inputs: dict | None) -> tuple[dict, dict[str, str]]:
    """Inputs must be JSON numbers; text such as "12" is refused rather than guessed.

    Returns the inputs with each wrongly typed one blanked, and a message for each of those.
    """
    clean, errors = {}, {}
    for name, value in (inputs or {}).items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors[f"inputs.{name}"] = _("Must be a number.")
            value = None
        clean[name] = value
    return clean, errors


def as_formdata(values: dict) -> MultiDict:
    """JSON values as a browser would post them: booleans as a ticked box or nothing."""
    data = MultiDict()
    for name, value in values.items():
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "y"
        elif isinstance(value, date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def form_errors(form) -> dict[str, str]:
    return {name: messages[0] for name, messages in form.errors.items()}
