"""One pure function per indicator (docs/domain.md, 'Indicators'), from raw inputs to the
derived value.

Inputs are assumed checked (checks.py): non-negative, and a denominator above zero.
Percentages are on a 0-100 scale.
"""

from dataclasses import dataclass

PER_100 = 100
PER_MILLION_HOURS = 1_000_000
# 100 full-time workers x 40 hours x 50 weeks.
PER_100_FULL_TIME_YEARS = 200_000


def operating_efficiency(minutes_produced: float, minutes_attended: float) -> float:
    """Standard minutes of good output / operator minutes attended x 100.
    Unit %; higher is better."""
    return minutes_produced / minutes_attended * PER_100


def absenteeism_rate(absent_person_days: float, scheduled_person_days: float) -> float:
    """Unplanned absent person-days / scheduled person-days x 100. Unit %; lower is better."""
    return absent_person_days / scheduled_person_days * PER_100


def defect_rate(defective_units: float, inspected_units: float) -> float:
    """Defective units / inspected units x 100. Unit %; lower is better."""
    return defective_units / inspected_units * PER_100


def dhu(defects_found: float, inspected_units: float) -> float:
    """Defects found / inspected units x 100; a unit can carry several defects.
    Unit: defects per hundred units; lower is better."""
    return defects_found / inspected_units * PER_100


def ltifr(lost_time_injuries: float, hours_worked: float) -> float:
    """Lost-time injuries x 1,000,000 / hours worked. Unit: per million hours; lower is better."""
    return lost_time_injuries * PER_MILLION_HOURS / hours_worked


def recordable_incident_rate(recordable_incidents: float, hours_worked: float) -> float:
    """Recordable incidents x 200,000 / hours worked.
    Unit: per 100 full-time workers a year; lower is better."""
    return recordable_incidents * PER_100_FULL_TIME_YEARS / hours_worked


def lost_day_rate(lost_days: float, hours_worked: float) -> float:
    """Days lost x 200,000 / hours worked. Days lost are calendar days, from the day after the
    injury to the day before the return to work (ILO, 16th ICLS 1998; OSHA), like the factor.
    Unit: days per 100 full-time workers a year; lower is better."""
    return lost_days * PER_100_FULL_TIME_YEARS / hours_worked


def osh_incidents(accidents: float, near_misses: float) -> float:
    """The number of accidents; near misses are shown beside it (more reports is good).
    Unit: count; lower is better."""
    return accidents


def staff_turnover(separations: float, average_headcount: float) -> float:
    """Workers who left / average headcount x 100. Unit %; lower is better."""
    return separations / average_headcount * PER_100


def labour_productivity(output_units: float, worker_hours: float) -> float:
    """Output units / worker hours. Unit: units per hour; higher is better."""
    return output_units / worker_hours


def energy_intensity(energy_kwh: float, output_units: float) -> float:
    """kWh used / output units. Unit: kWh per unit; lower is better."""
    return energy_kwh / output_units


def waste_per_unit(waste_kg: float, output_units: float) -> float:
    """kg of waste / output units. Unit: kg per unit; lower is better."""
    return waste_kg / output_units


def on_time_delivery(orders_on_time: float, orders_delivered: float) -> float:
    """Orders delivered on time / orders delivered x 100. Unit %; higher is better."""
    return orders_on_time / orders_delivered * PER_100


FORMULAS = {
    function.__name__: function
    for function in (
        operating_efficiency,
        absenteeism_rate,
        defect_rate,
        dhu,
        ltifr,
        recordable_incident_rate,
        lost_day_rate,
        osh_incidents,
        staff_turnover,
        labour_productivity,
        energy_intensity,
        waste_per_unit,
        on_time_delivery,
    )
}


def compute(code: str, inputs: dict[str, float]) -> float:
    """The indicator's value from its named raw inputs."""
    return FORMULAS[code](**inputs)


@dataclass(frozen=True)
class Shape:
    """An indicator's formula as data: numerator / denominator x factor (no denominator: the
    numerator alone). Pages send it to the browser, which shows each value as it is typed."""

    numerator: str
    denominator: str | None
    factor: float = 1


SHAPES = {
    "operating_efficiency": Shape("minutes_produced", "minutes_attended", PER_100),
    "absenteeism_rate": Shape("absent_person_days", "scheduled_person_days", PER_100),
    "defect_rate": Shape("defective_units", "inspected_units", PER_100),
    "dhu": Shape("defects_found", "inspected_units", PER_100),
    "ltifr": Shape("lost_time_injuries", "hours_worked", PER_MILLION_HOURS),
    "recordable_incident_rate": Shape(
        "recordable_incidents", "hours_worked", PER_100_FULL_TIME_YEARS
    ),
    "lost_day_rate": Shape("lost_days", "hours_worked", PER_100_FULL_TIME_YEARS),
    "osh_incidents": Shape("accidents", None),
    "staff_turnover": Shape("separations", "average_headcount", PER_100),
    "labour_productivity": Shape("output_units", "worker_hours"),
    "energy_intensity": Shape("energy_kwh", "output_units"),
    "waste_per_unit": Shape("waste_kg", "output_units"),
    "on_time_delivery": Shape("orders_on_time", "orders_delivered", PER_100),
}


def compute_by_shape(code: str, inputs: dict[str, float]) -> float:
    """The value by the indicator's shape: what the browser computes, for tests to hold
    against `compute`."""
    shape = SHAPES[code]
    value = inputs[shape.numerator] * shape.factor
    return value / inputs[shape.denominator] if shape.denominator else value
