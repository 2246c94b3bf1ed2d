"""The indicator contract (docs/domain.md, 'Indicators'): codes, names, units, directions and
raw inputs.

Pages, the API, imports and exports all read these definitions; nothing else lists indicators.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from score_app.i18n import lazy_gettext as _l


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    unit: str
    # The smallest step between two values: 1 for counts, 0.5 for person-days (a factory's
    # attendance register marks a worker absent for half a shift as half a day), None for
    # amounts such as hours or kilograms, which take any number.
    step: float | None

    @property
    def is_count(self) -> bool:
        """Counts are whole numbers."""
        return self.step == 1

    @property
    def is_hours_worked(self) -> bool:
        return self.name in ("hours_worked", "worker_hours")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    direction: Direction
    inputs: tuple[Input, ...]
    is_core: bool = False
    # The first input is a part of the second (defective units of inspected units...).
    is_part_of_whole: bool = False
    # The second input divides the first; False only for a plain count (OSH incidents).
    has_denominator: bool = True
    # Above this the value is warned about (saved only with a comment).
    plausible_max: float | None = None

    # Worked out once: a translated unit is compared, and pages ask for each some ten times.
    @cached_property
    def is_percentage(self) -> bool:
        return self.unit == "%"

    @cached_property
    def decimals(self) -> int:
        """Decimals shown, and the precision below which a change counts as none."""
        if not self.has_denominator:
            return 0
        return 1 if self.is_percentage else 2


_COUNT = _l("count")


def _count(name, label, unit=_COUNT):
    return Input(name, label, unit, step=1)


def _person_days(name, label, unit):
    return Input(name, label, unit, step=0.5)


def _amount(name, label, unit):
    return Input(name, label, unit, step=None)


_HOURS_WORKED = _amount("hours_worked", _l("Hours worked"), _l("hours"))
_OUTPUT_UNITS = _count("output_units", _l("Output"), _l("units"))
_INSPECTED = _count("inspected_units", _l("Units inspected"), _l("units"))
_PER_200K = _l("per 100 full-time workers a year")

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "operating_efficiency",
        _l("Operating efficiency"),
        "%",
        Direction.HIGHER,
        (
            _amount("minutes_produced", _l("Standard minutes produced"), _l("minutes")),
            _amount("minutes_attended", _l("Minutes attended"), _l("minutes")),
        ),
        is_core=True,
        plausible_max=150,
    ),
    Indicator(
        "absenteeism_rate",
        _l("Absenteeism rate"),
        "%",
        Direction.LOWER,
        (
            _person_days("absent_person_days", _l("Unplanned absent person-days"), _l("days")),
            _person_days("scheduled_person_days", _l("Scheduled person-days"), _l("days")),
        ),
        is_core=True,
        is_part_of_whole=True,
    ),
    Indicator(
        "defect_rate",
        _l("Defect rate"),
        "%",
        Direction.LOWER,
        (_count("defective_units", _l("Defective units"), _l("units")), _INSPECTED),
        is_core=True,
        is_part_of_whole=True,
    ),
    Indicator(
        "dhu",
        _l("Defects per hundred units"),
        _l("defects per 100 units"),
        Direction.LOWER,
        (_count("defects_found", _l("Defects found"), _l("defects")), _INSPECTED),
    ),
    Indicator(
        "ltifr",
        _l("Lost-time injury frequency rate"),
        _l("per million hours"),
        Direction.LOWER,
        (_count("lost_time_injuries", _l("Lost-time injuries"), _l("injuries")), _HOURS_WORKED),
    ),
    Indicator(
        "recordable_incident_rate",
        _l("Recordable incident rate"),
        _PER_200K,
        Direction.LOWER,
        (_count("recordable_incidents", _l("Recordable incidents")), _HOURS_WORKED),
    ),
    Indicator(
        "lost_day_rate",
        _l("Lost day rate"),
        _l("days per 100 full-time workers a year"),
        Direction.LOWER,
        (_count("lost_days", _l("Days lost"), _l("days")), _HOURS_WORKED),
    ),
    Indicator(
        "osh_incidents",
        _l("OSH incidents"),
        _l("accidents"),
        Direction.LOWER,
        (_count("accidents", _l("Accidents")), _count("near_misses", _l("Near misses reported"))),
        is_core=True,
        has_denominator=False,
    ),
    Indicator(
        "staff_turnover",
        _l("Staff turnover"),
        "%",
        Direction.LOWER,
        (
            _count("separations", _l("Workers who left"), _l("workers")),
            _amount("average_headcount", _l("Average headcount"), _l("workers")),
        ),
    ),
    Indicator(
        "labour_productivity",
        _l("Labour productivity"),
        _l("units per hour"),
        Direction.HIGHER,
        (_OUTPUT_UNITS, _amount("worker_hours", _l("Worker hours"), _l("hours"))),
    ),
    Indicator(
        "energy_intensity",
        _l("Energy intensity"),
        _l("kWh per unit"),
        Direction.LOWER,
        (_amount("energy_kwh", _l("Energy used"), "kWh"), _OUTPUT_UNITS),
    ),
    Indicator(
        "waste_per_unit",
        _l("Waste per unit"),
        _l("kg per unit"),
        Direction.LOWER,
        (_amount("waste_kg", _l("Waste"), "kg"), _OUTPUT_UNITS),
    ),
    Indicator(
        "on_time_delivery",
        _l("On-time delivery"),
        "%",
        Direction.HIGHER,
        (
            _count("orders_on_time", _l("Orders delivered on time"), _l("orders")),
            _count("orders_delivered", _l("Orders delivered"), _l("orders")),
        ),
        is_part_of_whole=True,
    ),
)

BY_CODE = {indicator.code: indicator for indicator in INDICATORS}
