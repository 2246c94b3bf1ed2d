"""Before and after (DOMAIN.md section 5): absolute and relative change, and whether it improved."""

from dataclasses import dataclass

from score_app.kpis.definitions import Direction


@dataclass(frozen=True)
class Change:
    before: float
    after: float
    absolute: float  # after - before; percentage points for % indicators
    relative: float | None  # % of before; None when before is 0 (undefined)
    improved: bool
    is_unchanged: bool  # the change rounds to zero at the indicator's decimals


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
