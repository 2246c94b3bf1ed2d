"""Turning a JSON body into form input: type checks first, then the same form the pages use."""

from datetime import date

from flask import request
from werkzeug.datastructures import MultiDict

from score_app.errors import InvalidInput
from score_app.i18n import gettext as _

# JSON field -> expected JSON type ("date" is a string written YYYY-MM-DD).
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


MEASUREMENT_FIELDS = {
    "indicator": str,
    "phase": str,
    "period_start": "date",
    "period_end": "date",
    "inputs": dict,
    "comment": str,
}

# Null leaves a text, date or object field blank; a number or true/false must be given.
NON_NULL_TYPES = (int, bool)


def read_object() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput({"body": _("Send a JSON object in the request body.")})
    return body


def _type_problem(expected, value) -> str | None:
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        return _("Must be a whole number.")
    if expected is bool and not isinstance(value, bool):
        return _("Must be true or false.")
    if expected in (str, "date") and not isinstance(value, str):
        return _("Must be a date written YYYY-MM-DD.") if expected == "date" else _("Must be text.")
    if expected is dict and not isinstance(value, dict):
        return _("Must be an object of named numbers.")
    return None


def check_types(body: dict, fields: dict) -> None:
    """Refuse unknown fields and values of the wrong JSON type, naming each field."""
    errors = {}
    for name, value in body.items():
        if name not in fields:
            errors[name] = _("Unknown field.")
        elif value is not None or fields[name] in NON_NULL_TYPES:
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
            errors[name] = _("Must be a date written YYYY-MM-DD.")
    return dates, errors


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
