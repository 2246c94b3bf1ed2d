"""Cycles (docs/domain.md, 'Cycles' and 'Before and after'): a baseline is the reference for the
follow-ups that start after it ends, until the next baseline of the same indicator starts a new
cycle; the before/after shown is the latest cycle whose baseline and a follow-up are submitted or
verified. Pure rules over anything with a period (`period_start`, `period_end`) and, for pairing, a
`phase` and a `status`. A cycle's members are decided by every baseline, drafts included, so a
follow-up never joins an older cycle because its own baseline is still a draft."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol


class Dated(Protocol):
    period_start: date
    period_end: date


def _order(figure: Dated) -> tuple[date, date]:
    return figure.period_start, figure.period_end


def cycle_baseline(baselines: Sequence[Dated], follow_up_start: date) -> Any:
    """The baseline a follow-up starting on `follow_up_start` is compared with: the latest that
    ended before that day, or None."""
    earlier = [b for b in baselines if b.period_end < follow_up_start]
    return max(earlier, key=_order, default=None)


def first_baseline_end(baselines: Sequence[Dated], follow_up_start: date) -> date | None:
    """The last day of the indicator's first baseline when a follow-up starting on
    `follow_up_start` would come before it (an error), else None."""
    if not baselines or cycle_baseline(baselines, follow_up_start) is not None:
        return None
    return min(baselines, key=_order).period_end


@dataclass
class Cycle:
    baseline: Any  # None for follow-ups taken before any baseline
    follow_ups: list = field(default_factory=list)  # in period order


def cycles(figures: Sequence[Dated]) -> list[Cycle]:
    """One indicator's figures in cycles, oldest first; each follow-up joins the cycle of the
    latest baseline that ended before it starts (follow-ups before any baseline form a first
    cycle without one)."""
    ordered = sorted(figures, key=_order)
    baselines = [f for f in ordered if f.phase == "baseline"]
    by_baseline: dict[int, Cycle] = {id(b): Cycle(b) for b in baselines}
    orphans = Cycle(None)
    for figure in ordered:
        if figure.phase != "baseline":
            baseline = cycle_baseline(baselines, figure.period_start)
            (by_baseline[id(baseline)] if baseline else orphans).follow_ups.append(figure)
    found = list(by_baseline.values())
    return [orphans, *found] if orphans.follow_ups else found


@dataclass(frozen=True)
class Pair:
    """What an indicator's before/after shows."""

    baseline: Any
    follow_up: Any
    number: int | None  # the follow-up's number among the reported ones of its cycle
    follow_ups: int  # reported follow-ups in the cycle shown
    cycle_number: int  # the shown cycle's number among those with a baseline (0: none)
    newer_baseline: Any  # a reported baseline after the shown cycle, with no follow-up yet


def is_result(figure) -> bool:
    """Submitted or verified: a draft is still being typed and is no result."""
    return figure.status != "draft"


def current_pair(figures: Sequence[Dated], chosen: int | None = None) -> Pair:
    """The before/after of one indicator's figures (with a `status`, drafts included: they
    place follow-ups in their cycles, but are never compared).

    The latest complete cycle (a reported baseline with a reported follow-up): its baseline and
    its latest (or `chosen`-th) reported follow-up. Without one, the latest reported baseline
    alone; failing that, the latest reported follow-up alone (its cycle has no reported
    baseline).
    """
    found = cycles(figures)
    with_baseline = [c for c in found if c.baseline is not None]
    reported = [c for c in with_baseline if is_result(c.baseline)]
    complete = [c for c in reported if any(map(is_result, c.follow_ups))]
    if complete:
        shown = complete[-1]
    elif reported:
        shown = reported[-1]
    else:
        follow_ups = [f for c in found for f in c.follow_ups if is_result(f)]
        latest = follow_ups[-1] if follow_ups else None
        return Pair(None, latest, None, 0, 0, None)
    follow_ups = [f for f in shown.follow_ups if is_result(f)]
    if chosen is None:
        number = len(follow_ups) or None
    else:
        number = chosen if 1 <= chosen <= len(follow_ups) else None
    return Pair(
        baseline=shown.baseline,
        follow_up=follow_ups[number - 1] if number else None,
        number=number,
        follow_ups=len(follow_ups),
        cycle_number=with_baseline.index(shown) + 1,
        newer_baseline=reported[-1].baseline if reported[-1] is not shown else None,
    )
