"""Cycles: which baseline a follow-up is compared with, the before/after shown in every order in
which people enter figures, drafts kept out of results, and counts over periods of different
lengths."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from score_app.auth.models import User
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.kpis import services
from score_app.kpis.cycles import current_pair, cycle_baseline, cycles, first_baseline_end
from score_app.kpis.models import Measurement, Status
from score_app.programme import services as programme
from score_app.programme.filters import Filters
from tests.conftest import submit_drafts
from tests.kpis.conftest import period_form


@dataclass
class Figure:
    phase: str
    period_start: date
    period_end: date
    status: str = "submitted"


def month(phase: str, year: int, number: int) -> Figure:
    ends = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}
    return Figure(phase, date(year, number, 1), date(year, number, ends.get(number, 31)))


JAN_25, APR_25, NOV_26 = month("baseline", 2025, 1), month("follow_up", 2025, 4), month(
    "baseline", 2026, 11)  # fmt: skip


def test_a_follow_up_joins_the_latest_baseline_that_ended_before_it_starts():
    jul_25 = month("baseline", 2025, 7)
    assert cycle_baseline([JAN_25, jul_25], date(2025, 4, 1)) is JAN_25
    assert cycle_baseline([JAN_25, jul_25], date(2025, 8, 1)) is jul_25
    assert cycle_baseline([JAN_25, jul_25], date(2025, 7, 15)) is JAN_25  # inside July's period
    assert cycle_baseline([JAN_25], date(2025, 1, 31)) is None


def test_a_follow_up_before_the_first_baseline_is_named_with_that_baselines_last_day():
    assert first_baseline_end([JAN_25, NOV_26], date(2025, 1, 20)) == date(2025, 1, 31)
    assert first_baseline_end([JAN_25], date(2025, 2, 1)) is None
    assert first_baseline_end([], date(2020, 1, 1)) is None  # no baseline yet: nothing to break


def test_a_newer_baseline_without_follow_up_never_pairs_with_an_older_follow_up():
    pair = current_pair([JAN_25, APR_25, NOV_26])
    assert (pair.baseline, pair.follow_up, pair.newer_baseline) == (JAN_25, APR_25, NOV_26)
    assert (pair.cycle_number, pair.number, pair.follow_ups) == (1, 1, 1)


def test_a_follow_up_of_the_new_cycle_makes_it_the_one_shown():
    dec_26 = month("follow_up", 2026, 12)
    pair = current_pair([JAN_25, APR_25, NOV_26, dec_26])
    assert (pair.baseline, pair.follow_up, pair.newer_baseline) == (NOV_26, dec_26, None)
    assert (pair.cycle_number, pair.number) == (2, 1)


def test_a_chosen_follow_up_is_counted_within_the_cycle_shown():
    jul_25 = month("follow_up", 2025, 7)
    figures = [JAN_25, APR_25, jul_25]
    assert current_pair(figures, 1).follow_up is APR_25
    assert current_pair(figures, 2).follow_up is jul_25
    assert current_pair(figures, 3).follow_up is None and current_pair(figures, 3).number is None


def test_follow_ups_before_any_baseline_form_a_cycle_without_one():
    early = month("follow_up", 2024, 11)
    found = cycles([early, JAN_25, APR_25])
    assert [(c.baseline, c.follow_ups) for c in found] == [(None, [early]), (JAN_25, [APR_25])]
    assert current_pair([early]).baseline is None and current_pair([early]).follow_up is early


def test_a_follow_up_whose_baseline_is_a_draft_never_joins_the_earlier_cycle():
    draft_baseline = Figure("baseline", date(2026, 1, 1), date(2026, 1, 31), "draft")
    march = month("follow_up", 2026, 3)
    pair = current_pair([JAN_25, APR_25, draft_baseline, march])
    # March belongs to January 2026's cycle, whose baseline is no result yet: the before/after
    # stays January 2025 -> April 2025, not January 2025 -> March 2026.
    assert (pair.baseline, pair.follow_up, pair.number) == (JAN_25, APR_25, 1)
    assert pair.newer_baseline is None
    only_draft_baselines = current_pair([draft_baseline, march])
    assert (only_draft_baselines.baseline, only_draft_baselines.follow_up) == (None, march)


def test_draft_follow_ups_are_not_counted_or_chosen():
    draft = Figure("follow_up", date(2025, 6, 1), date(2025, 6, 30), "draft")
    pair = current_pair([JAN_25, APR_25, draft])
    assert (pair.follow_up, pair.follow_ups) == (APR_25, 1)
    assert current_pair([JAN_25, draft]).follow_up is None


def test_a_baseline_alone_waits_for_its_follow_up():
    pair = current_pair([JAN_25, NOV_26])
    assert (pair.baseline, pair.follow_up, pair.newer_baseline) == (NOV_26, None, None)
    assert pair.cycle_number == 2


# The sequence that went wrong, through the services and the pages.

EFFICIENCY = ("operating_efficiency", ("minutes_produced", "minutes_attended"))
ABSENTEEISM = ("absenteeism_rate", ("absent_person_days", "scheduled_person_days"))


def _record(app, user_id, enterprise_id, code, names, phase, period, first, second, comment=""):
    with app.app_context():
        return services.record_measurement(
            db.session.get(User, user_id), db.session.get(Enterprise, enterprise_id),
            indicator=code, phase=phase, period_start=period.period_start,
            period_end=period.period_end, inputs=dict(zip(names, (first, second), strict=True)),
            comment=comment,
        ).id  # fmt: skip


@pytest.fixture
def accra(app, figures_world):
    """Accra's efficiency and absenteeism: a January 2025 baseline, an April 2025 follow-up
    (both submitted), then a November 2026 baseline of a new cycle."""
    enterprise_id = figures_world["enterprise"].id
    trainer = figures_world["users"]["trainer"].id
    for (code, names), (jan, apr, nov) in (
        (EFFICIENCY, ((61_000, 100_000), (63_500, 100_000), (49_100, 100_000))),
        (ABSENTEEISM, ((60, 1000), (45, 1000), (70, 1000))),
    ):
        _record(app, trainer, enterprise_id, code, names, "baseline", JAN_25, *jan)
        _record(app, trainer, enterprise_id, code, names, "follow_up", APR_25, *apr)
        submit_drafts(app, enterprise_id)
        _record(app, trainer, enterprise_id, code, names, "baseline", NOV_26, *nov)
    submit_drafts(app, enterprise_id)
    return figures_world


def test_a_later_baseline_keeps_the_before_after_of_the_earlier_cycle(app, accra):
    with app.app_context():
        rows = {r.indicator.code: r for r in services.comparison(accra["enterprise"].id)}
    efficiency, absenteeism = rows["operating_efficiency"], rows["absenteeism_rate"]
    assert (efficiency.baseline.value, efficiency.follow_up.value) == (61.0, 63.5)
    assert efficiency.change.improved and efficiency.change.absolute == pytest.approx(2.5)
    assert efficiency.newer_baseline.value == pytest.approx(49.1)
    assert absenteeism.change.improved  # 6.0 % -> 4.5 %: fell, which is better
    page = accra["clients"]["owner"].get(f"/enterprises/{accra['enterprise'].id}/indicators")
    text = page.get_data(True)
    assert "+2.5 points" in text and "+14.4" not in text and "Worse" not in text
    assert "New baseline, no follow-up yet: 49.1 for Nov 1, 2026" in text


def test_the_programme_marks_the_pair_of_the_latest_complete_cycle(app, accra):
    enterprise_id = accra["enterprise"].id

    def marked():
        with app.app_context():
            return sorted(
                (m.phase.value, m.period_start.isoformat())
                for m in db.session.scalars(
                    select(Measurement).where(
                        Measurement.is_latest.is_(True), Measurement.indicator == EFFICIENCY[0]
                    )
                )
            )

    assert marked() == [("baseline", "2025-01-01"), ("follow_up", "2025-04-01")]
    dec_26 = Figure("follow_up", date(2026, 12, 1), date(2026, 12, 3))
    trainer = accra["users"]["trainer"].id
    _record(app, trainer, enterprise_id, *EFFICIENCY, "follow_up", dec_26, 52_000, 100_000)
    assert marked() == [("baseline", "2025-01-01"), ("follow_up", "2025-04-01")]  # a draft
    submit_drafts(app, enterprise_id)
    assert marked() == [("baseline", "2026-11-01"), ("follow_up", "2026-12-01")]


def test_a_draft_follow_up_newer_than_the_submitted_one_is_shown_apart(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    trainer = figures_world["users"]["trainer"].id
    _record(app, trainer, enterprise_id, *EFFICIENCY, "baseline", JAN_25, 61_000, 100_000)
    _record(app, trainer, enterprise_id, *EFFICIENCY, "follow_up", APR_25, 63_500, 100_000)
    submit_drafts(app, enterprise_id)
    june = month("follow_up", 2025, 6)
    _record(app, trainer, enterprise_id, *EFFICIENCY, "follow_up", june, 40_000, 100_000,
            "Two lines stopped")  # fmt: skip
    with app.app_context():
        (row,) = services.comparison(enterprise_id)
        assert row.follow_up.period_start == APR_25.period_start
        assert [d.period_start for d in row.drafts] == [june.period_start]
        assert [m.status for m in row.series] == [Status.SUBMITTED, Status.SUBMITTED]
    text = figures_world["clients"]["owner"].get(f"/enterprises/{enterprise_id}/indicators")
    card = text.get_data(True)
    assert "+2.5 points" in card and "Draft, not a result yet" in card
    assert "-21.0 points" not in card  # the draft's 40.0 % is no result


def test_a_follow_up_before_the_first_baseline_is_refused_on_its_first_day(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    trainer = figures_world["users"]["trainer"].id
    _record(app, trainer, enterprise_id, *EFFICIENCY, "baseline", JAN_25, 61_000, 100_000)
    with pytest.raises(InvalidInput) as refused:
        _record(app, trainer, enterprise_id, *EFFICIENCY, "follow_up", month("x", 2024, 12),
                60_000, 100_000)  # fmt: skip
    assert refused.value.errors == {
        "period_start": "A follow-up must start after the indicator's first baseline, which "
        "ends on Jan 31, 2025."
    }
    page = figures_world["clients"]["trainer"].post(
        f"/enterprises/{enterprise_id}/measurements/new",
        data=period_form(
            phase="follow_up", start="2025-01-15", end="2025-02-14",
            operating_efficiency={"minutes_produced": "60000", "minutes_attended": "100000"},
        ),
    )  # fmt: skip
    assert page.status_code == 422
    assert "must start after the indicator&#39;s first baseline" in page.get_data(True)
    assert 'value="60000"' in page.get_data(True)  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Measurement)) == 1


def test_a_rate_over_a_31_day_month_against_a_28_day_february_needs_no_comment(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    trainer = figures_world["users"]["trainer"].id
    february, march = month("baseline", 2025, 2), month("follow_up", 2025, 3)
    _record(app, trainer, enterprise_id, *ABSENTEEISM, "baseline", february, 56, 1120)
    _record(app, trainer, enterprise_id, *ABSENTEEISM, "follow_up", march, 49, 1240)  # no comment
    submit_drafts(app, enterprise_id)
    with app.app_context():
        (row,) = services.comparison(enterprise_id)
        assert row.change.per_days is None and row.follow_up.warnings == []


def test_a_count_over_periods_of_different_lengths_is_compared_per_30_days(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    trainer = figures_world["users"]["trainer"].id
    incidents = ("osh_incidents", ("accidents", "near_misses"))
    february, march = month("baseline", 2025, 2), month("follow_up", 2025, 3)
    _record(app, trainer, enterprise_id, *incidents, "baseline", february, 3, 2)
    _record(app, trainer, enterprise_id, *incidents, "follow_up", march, 3, 9)  # no comment
    submit_drafts(app, enterprise_id)
    with app.app_context():
        (row,) = services.comparison(enterprise_id)
    # 3 accidents in 28 days is 3.2 per 30 days; 3 in 31 days is 2.9: fewer, so improved.
    assert row.change.per_days == 30 and row.change.improved
    assert row.change.before == pytest.approx(3.214, abs=0.001)
    card = figures_world["clients"]["owner"].get(f"/enterprises/{enterprise_id}/indicators")
    text = card.get_data(True)
    assert "Compared per 30 days, as the two periods differ in length: 3.2 before, 2.9 after." in (
        text
    )
    assert "Accidents: 3" in text and "(28 days)" in text and "(31 days)" in text


def test_a_second_baseline_is_saved_only_once_the_new_cycle_is_confirmed(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    trainer = figures_world["clients"]["trainer"]
    _record(app, figures_world["users"]["owner"].id, enterprise_id, *EFFICIENCY, "baseline",
            JAN_25, 61_000, 100_000)  # fmt: skip
    url = f"/enterprises/{enterprise_id}/measurements/new"
    form = period_form(
        phase="baseline", start="2026-11-01", end="2026-11-30",
        operating_efficiency={"minutes_produced": "49100", "minutes_attended": "100000"},
    )  # fmt: skip
    checked = trainer.post(url, data={**form, "action": "check"}).get_data(True)
    assert "This baseline starts a new cycle" in checked
    assert "Operating efficiency already has a baseline for Jan 1, 2025" in checked
    refused = trainer.post(url, data=form)
    page = refused.get_data(True)
    assert refused.status_code == 422
    assert "Confirm that this baseline starts a new cycle, or choose follow-up." in page
    assert 'value="49100"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Measurement)) == 1
    saved = trainer.post(url, data={**form, "new_cycle": "1"})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Measurement)) == 2


def test_a_baseline_of_the_same_period_or_a_follow_up_asks_for_no_confirmation(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    trainer = figures_world["clients"]["trainer"]
    _record(app, figures_world["users"]["owner"].id, enterprise_id, *EFFICIENCY, "baseline",
            JAN_25, 61_000, 100_000)  # fmt: skip
    url = f"/enterprises/{enterprise_id}/measurements/new"
    other = {"absenteeism_rate": {"absent_person_days": "40", "scheduled_person_days": "1000"}}
    first_of_its_kind = trainer.post(url, data=period_form(phase="baseline", **other))
    assert first_of_its_kind.status_code == 302  # absenteeism had no baseline yet
    follow_up = period_form(
        phase="follow_up", start="2025-04-01", end="2025-04-30",
        operating_efficiency={"minutes_produced": "63500", "minutes_attended": "100000"},
    )  # fmt: skip
    assert trainer.post(url, data=follow_up).status_code == 302


# The programme reads the pair marked by every write; it must be the pair the pages show.

SEQUENCES = {
    "a second cycle's baseline in draft": [
        ("baseline", JAN_25, "verified"), ("follow_up", APR_25, "submitted"),
        ("baseline", month("b", 2025, 10), "draft"),
        ("follow_up", month("f", 2025, 11), "submitted"),
    ],
    "a follow-up before any baseline, then a baseline": [
        ("follow_up", month("f", 2024, 11), "submitted"), ("baseline", JAN_25, "submitted"),
    ],
    "a follow-up alone": [("follow_up", APR_25, "submitted")],
    "a newer baseline without follow-up": [
        ("baseline", JAN_25, "verified"), ("follow_up", APR_25, "verified"),
        ("baseline", NOV_26, "submitted"),
    ],
    "a draft follow-up only": [("baseline", JAN_25, "submitted"), ("follow_up", APR_25, "draft")],
    "a draft baseline only": [("baseline", JAN_25, "draft"), ("follow_up", APR_25, "submitted")],
    "two complete cycles": [
        ("baseline", JAN_25, "verified"), ("follow_up", APR_25, "verified"),
        ("baseline", month("b", 2025, 10), "submitted"),
        ("follow_up", month("f", 2025, 11), "submitted"),
        ("follow_up", month("f", 2025, 12), "draft"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", SEQUENCES)
def test_the_marked_pair_is_the_pair_the_pages_show(app, figures_world, name):
    enterprise_id = figures_world["enterprise"].id
    with app.app_context():
        for phase, period, status in SEQUENCES[name]:
            db.session.add(
                Measurement(
                    enterprise_id=enterprise_id, indicator="defect_rate", phase=phase,
                    period_start=period.period_start, period_end=period.period_end,
                    input_1=10, input_2=1000, value=1.0, status=status,
                )
            )  # fmt: skip
        services.refresh_latest({(enterprise_id, "defect_rate")})
        db.session.commit()
        (row,) = services.comparison(enterprise_id)
        shown = {m.id for m in (row.baseline, row.follow_up) if m is not None}
        marked = set(db.session.scalars(select(Measurement.id).where(Measurement.is_latest)))
        assert marked == shown
        # Programme results with a period range pick the pair on the spot, by the same rule.
        staff = db.session.get(User, figures_world["users"]["staff"].id)
        whole, ranged = (
            programme.figures(staff, Filters(**given)).results[0]
            for given in ({}, {"period_from": date(2020, 1, 1)})
        )
        counted = ("n", "n_baseline_only", "n_follow_up_only", "baseline_mean", "follow_up_mean")
        assert [getattr(ranged, c) for c in counted] == [getattr(whole, c) for c in counted]
        assert (whole.n, whole.n_baseline_only, whole.n_follow_up_only) == (
            int(bool(row.baseline and row.follow_up)),
            int(bool(row.baseline and not row.follow_up)),
            int(bool(row.follow_up and not row.baseline)),
        )


def test_a_baseline_inserted_before_follow_ups_names_those_it_takes_over(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    owner = figures_world["users"]["owner"].id
    _record(app, owner, enterprise_id, *EFFICIENCY, "baseline", JAN_25, 60_000, 100_000)
    for number in (3, 6):
        _record(app, owner, enterprise_id, *EFFICIENCY, "follow_up", month("f", 2025, number),
                64_000, 100_000)  # fmt: skip
    page = figures_world["clients"]["trainer"].post(
        f"/enterprises/{enterprise_id}/measurements/new",
        data=period_form(
            phase="baseline", start="2025-02-01", end="2025-02-28", action="check",
            operating_efficiency={"minutes_produced": "69000", "minutes_attended": "100000"},
        ),
    ).get_data(True)  # fmt: skip
    assert "Its follow-ups of Mar 1, 2025 and Jun 1, 2025 will be compared with this" in page


def test_correcting_a_stored_baseline_of_a_second_cycle_asks_no_confirmation(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    owner = figures_world["users"]["owner"].id
    _record(app, owner, enterprise_id, *EFFICIENCY, "baseline", JAN_25, 60_000, 100_000)
    _record(app, owner, enterprise_id, *EFFICIENCY, "baseline", NOV_26, 49_000, 100_000)
    with app.app_context():
        stored = db.session.scalar(
            select(Measurement).where(Measurement.period_start == NOV_26.period_start)
        )
        version = stored.version
    corrected = figures_world["clients"]["owner"].post(
        f"/enterprises/{enterprise_id}/measurements/new",
        data=period_form(
            phase="baseline", start="2026-11-01", end="2026-11-30",
            operating_efficiency={"minutes_produced": "49100", "minutes_attended": "100000"},
        ) | {"operating_efficiency-version": version},
    )  # fmt: skip
    assert corrected.status_code == 302


def test_a_baseline_with_follow_ups_is_neither_deleted_nor_moved(app, figures_world):
    enterprise_id = figures_world["enterprise"].id
    owner_id = figures_world["users"]["owner"].id
    baseline = _record(app, owner_id, enterprise_id, *EFFICIENCY, "baseline", JAN_25, 60, 100)
    follow_up = _record(app, owner_id, enterprise_id, *EFFICIENCY, "follow_up", APR_25, 62, 100)
    with app.app_context():
        owner = db.session.get(User, owner_id)
        stored = db.session.get(Measurement, baseline)
        with pytest.raises(InvalidInput) as refused:
            services.delete_measurement(owner, stored, "Typed twice", seen_version=stored.version)
        assert refused.value.errors == {
            "status": "This baseline is the reference of 1 follow-up: delete or move it first, "
            "or correct this baseline's figures instead."
        }
        db.session.rollback()
        stored = db.session.get(Measurement, baseline)
        with pytest.raises(InvalidInput) as moved:
            services.update_measurement(
                owner, stored, stored.inputs, "", seen_version=stored.version,
                period_start=date(2025, 5, 1), period_end=date(2025, 5, 31),
            )  # fmt: skip
        assert "reference of 1 follow-up" in moved.value.errors["period_start"]
        db.session.rollback()
        # Its figures can still be corrected, and so can its follow-up's.
        stored = db.session.get(Measurement, baseline)
        services.update_measurement(
            owner, stored, {"minutes_produced": 59, "minutes_attended": 100}, "",
            seen_version=stored.version,
        )  # fmt: skip
        later = db.session.get(Measurement, follow_up)
        services.delete_measurement(owner, later, "Wrong month", seen_version=later.version)
        stored = db.session.get(Measurement, baseline)
        services.delete_measurement(owner, stored, "Typed twice", seen_version=stored.version)
        assert db.session.scalar(select(db.func.count()).select_from(Measurement)) == 0
