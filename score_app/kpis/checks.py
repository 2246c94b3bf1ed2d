"""The rules a measurement must pass (docs/domain.md, 'Checks on a measurement'): hard errors,
and plausibility warnings that can be saved with a comment.

A warning is kept with its measurement as what it found (a code and its figures), not as a
sentence: `warning_text` writes it in the reader's language, its numbers as the reader's locale
writes them, whoever saved it and in whatever language."""

from datetime import date

from babel.numbers import format_decimal

from score_app.catalog.indicators import BY_CODE, Indicator
from score_app.i18n import format_number, ngettext, parse_number
from score_app.i18n import gettext as _
from score_app.kpis.compare import PER_DAYS, needs_per_days, per_days

MAX_CHANGE_FROM_BASELINE = 0.5
MAX_HOURS_PER_WORKER_MONTH = 300
# Counts are compared per 30 days when periods differ (a 28-day February against a 31-day
# March is normal); only periods that differ by more than half are worth a comment.
MAX_PERIOD_LENGTH_GAP = 0.5
DAYS_PER_MONTH = 365.25 / 12


MAX_INPUT = 1e12


def check_inputs(indicator: Indicator, raw: dict, locale: str = "en") -> dict[str, float]:
    """The inputs as numbers, or a dict of field messages raised as ValueError's argument."""
    values, errors = {}, {}
    for spec in indicator.inputs:
        given = raw.get(spec.name)
        if given is None or (isinstance(given, str) and not given.strip()):
            errors[spec.name] = _("Enter a number.")
            continue
        parsed = parse_number(given, locale)
        number = None if parsed is None else float(parsed)
        # The typed number decides: 400 digits are a number, too large (its float is infinite).
        if number is None or not parsed.is_finite():
            errors[spec.name] = _(
                "Enter a number written like %(example)s.",
                example=format_decimal(1250.5, locale=locale),
            )
        elif number > MAX_INPUT:
            errors[spec.name] = _("This is too large for a factory figure: check it.")
        elif number < 0:
            errors[spec.name] = _("Cannot be negative.")
        elif spec.is_count and not number.is_integer():
            errors[spec.name] = _("Must be a whole number: this is a count.")
        elif spec.step and not (number / spec.step).is_integer():
            errors[spec.name] = _(
                "Enter whole or half days, like %(whole)s or %(half)s.",
                whole=format_decimal(12, locale=locale),
                half=format_decimal(12.5, locale=locale),
            )
        else:
            values[spec.name] = number
    for name in set(raw) - {spec.name for spec in indicator.inputs}:
        errors[name] = _("Not an input of this indicator.")
    part, whole = indicator.inputs
    if indicator.has_denominator and values.get(whole.name) == 0:
        errors[whole.name] = _(
            "Must be more than zero: %(indicator)s is undefined when it is 0.",
            indicator=indicator.name,
        )
    elif (
        indicator.is_part_of_whole
        and part.name in values
        and whole.name in values
        and values[part.name] > values[whole.name]
    ):
        errors[part.name] = _("Cannot be more than %(whole)s.", whole=whole.label.lower())
    if errors:
        raise ValueError(errors)
    return values


def check_period(start: date | None, end: date | None, today: date) -> dict[str, str]:
    errors = {}
    if start is None:
        errors["period_start"] = _("Enter the first day of the period.")
    if end is None:
        errors["period_end"] = _("Enter the last day of the period.")
    elif start is not None and end < start:
        errors["period_end"] = _("The last day must be on or after the first day.")
    elif end > today:
        errors["period_end"] = _("The period cannot end in the future.")
    return errors


# What a warning found, by its code; each is stored as {"code": ..., and its figures}.
ABOVE_MAX, FAR_FROM_BASELINE, HOURS_PER_WORKER, PERIOD_LENGTHS = (
    "above_max", "far_from_baseline", "hours_per_worker", "period_lengths",
)  # fmt: skip


def plausibility_warnings(
    indicator: Indicator,
    value: float,
    inputs: dict[str, float],
    *,
    baseline_value: float | None,
    workers: int,
    period_days: int,
    baseline_days: int | None,
) -> list[dict]:
    """What looks unlikely about a measurement; each needs a comment before it is saved.

    `baseline_value` and `baseline_days` are those of the baseline a follow-up is compared with
    (None for a baseline). A count over a period of another length than its baseline's is
    compared per 30 days, as its before/after is.
    """
    warnings = []
    if indicator.plausible_max is not None and value > indicator.plausible_max:
        warnings.append({"code": ABOVE_MAX, "indicator": indicator.code})
    if baseline_value and baseline_days:
        before, after = baseline_value, value
        if needs_per_days(indicator, baseline_days, period_days):
            before, after = per_days(before, baseline_days), per_days(after, period_days)
        if abs(after - before) / before > MAX_CHANGE_FROM_BASELINE:
            warnings.append({"code": FAR_FROM_BASELINE})
    hours = next((inputs[s.name] for s in indicator.inputs if s.is_hours_worked), None)
    months = period_days / DAYS_PER_MONTH
    if hours is not None and workers and hours / workers / months > MAX_HOURS_PER_WORKER_MONTH:
        warnings.append({"code": HOURS_PER_WORKER, "hours": hours, "workers": workers})
    if (
        baseline_days
        and needs_per_days(indicator, baseline_days, period_days)
        and abs(period_days - baseline_days) / baseline_days > MAX_PERIOD_LENGTH_GAP
    ):
        warnings.append({"code": PERIOD_LENGTHS, "days": period_days, "baseline": baseline_days})
    return warnings


def warning_text(warning: dict | str) -> str:
    """A stored warning in the reader's language; one kept as a sentence (as warnings were
    before they were kept as codes) is shown as it was written."""
    if isinstance(warning, str):
        return warning
    code = warning.get("code")
    if code == ABOVE_MAX:
        indicator = BY_CODE[warning["indicator"]]
        return _(
            "%(indicator)s above %(max)s is unusual: check the inputs.",
            indicator=indicator.name,
            max=format_number(indicator.plausible_max),
        )
    if code == FAR_FROM_BASELINE:
        return _("This differs from the baseline by more than half.")
    if code == HOURS_PER_WORKER:
        return _(
            "%(hours)s hours for %(workers)s workers is more than %(limit)s hours per worker a "
            "month.",
            hours=format_number(warning["hours"]),
            workers=format_number(warning["workers"]),
            limit=format_number(MAX_HOURS_PER_WORKER_MONTH),
        )
    return _(
        "Periods of very different lengths are hard to compare, even per %(per)s days: "
        "%(this)s here, %(baseline)s at baseline.",
        per=PER_DAYS,
        this=_days(warning["days"]),
        baseline=_days(warning["baseline"]),
    )


def warnings_text(warnings: list) -> str:
    """A measurement's warnings as one text, for a message."""
    return " ".join(warning_text(warning) for warning in warnings)


def _days(count: int) -> str:
    return ngettext("%(days)s day", "%(days)s days", count, days=format_number(count))
