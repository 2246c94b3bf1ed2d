"""Before and after (docs/domain.md, 'Before and after'): absolute and relative change, and
whether it improved."""

from dataclasses import dataclass

from score_app.catalog.indicators import Direction, Indicator

# Counts that grow with the period are compared over this many days when the periods differ.
PER_DAYS = 30


@dataclass(frozen=True)
class Change:
    before: float
    after: float
    absolute: float  # after - before; percentage points for % indicators
    relative: float | None  # % of before; None when before is 0 (undefined)
    improved: bool
    is_unchanged: bool  # the change rounds to zero at the indicator's decimals
    per_days: int | None = None  # set when both values were brought to counts per PER_DAYS days


def change_margin(decimals: int) -> float:
    """The smallest change that shows at the indicator's decimals: below it, nothing moved."""
    return 0.5 * 10**-decimals


def compare(before: float, after: float, direction: Direction, decimals: int) -> Change:
    """Compare two values of one indicator; a change that rounds to zero is no change."""
    absolute = after - before
    relative = absolute / before * 100 if before else None
    moved = abs(absolute) > change_margin(decimals)
    better = absolute > 0 if direction == Direction.HIGHER else absolute < 0
    return Change(
        before, after, absolute, relative, improved=moved and better, is_unchanged=not moved
    )


def needs_per_days(definition: Indicator, before_days: int, after_days: int) -> bool:
    """A count (no denominator) over periods of different lengths: compare it per PER_DAYS days.
    Rates and ratios do not depend on the period's length."""
    return not definition.has_denominator and before_days != after_days


def per_days(value: float, days: int) -> float:
    return value * PER_DAYS / days


def compare_figures(definition: Indicator, before, after) -> Change:
    """Compare a baseline with a follow-up (anything with `value` and `period_days`); counts
    over periods of different lengths are compared per PER_DAYS days, one decimal finer."""
    if not needs_per_days(definition, before.period_days, after.period_days):
        return compare(before.value, after.value, definition.direction, definition.decimals)
    change = compare(
        per_days(before.value, before.period_days),
        per_days(after.value, after.period_days),
        definition.direction,
        definition.decimals + 1,
    )
    return Change(**{**change.__dict__, "per_days": PER_DAYS})
