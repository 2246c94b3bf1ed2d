"""Draft, submitted, verified: who moves a measurement, the lock, reopening, and the audit trail."""

import re
from datetime import date

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from score_app.auth.models import User
from score_app.exceptions import EditConflict, InvalidInput
from score_app.extensions import db
from score_app.kpis import services
from score_app.kpis.models import Measurement, MeasurementAudit
from tests.conftest import (
    VERSION_FIELD,
    conflict_table,
    post_seen,
    saved_meanwhile,
    seen_version,
    submit_drafts,
)
from tests.kpis.conftest import period_form


def _state(app, measurement_id):
    with app.app_context():
        m = db.session.get(Measurement, measurement_id)
        return None if m is None else (m.status.value, m.value)


def _audit(app, measurement_id):
    with app.app_context():
        rows = db.session.scalars(
            select(MeasurementAudit)
            .where(MeasurementAudit.measurement_id == measurement_id)
            .order_by(MeasurementAudit.id)
        )
        return [
            (r.action.value, r.old_value, r.new_value, r.old_status, r.new_status, r.reason)
            for r in rows
        ]


def test_owner_submits_and_trainer_verifies(app, figures_world, draft):
    clients = figures_world["clients"]
    post_seen(clients["owner"], f"/measurements/{draft}/submit")
    post_seen(clients["trainer"], f"/measurements/{draft}/verify")
    assert _state(app, draft) == ("verified", 3.0)


def test_nobody_verifies_their_own_figures(app, figures_world):
    trainer = figures_world["clients"]["trainer"]
    trainer.post(
        f"/enterprises/{figures_world['enterprise'].id}/measurements/new",
        data=period_form(defect_rate={"defective_units": "45", "inspected_units": "1500"}),
    )
    with app.app_context():
        measurement_id = db.session.scalar(select(Measurement.id))
    post_seen(trainer, f"/measurements/{measurement_id}/submit")
    page = post_seen(
        trainer, f"/measurements/{measurement_id}/verify", follow_redirects=True
    ).get_data(True)
    assert "Someone other than the person who entered the figures must verify them." in page
    assert _state(app, measurement_id)[0] == "submitted"


def test_a_draft_cannot_be_verified_and_owners_cannot_verify(app, figures_world, draft):
    post_seen(figures_world["clients"]["trainer"], f"/measurements/{draft}/verify")
    assert _state(app, draft)[0] == "draft"
    post_seen(figures_world["clients"]["owner"], f"/measurements/{draft}/submit")
    assert (
        post_seen(figures_world["clients"]["owner"], f"/measurements/{draft}/verify").status_code
        == 403
    )


def test_verified_is_locked_until_staff_reopen_with_a_reason(app, figures_world, draft):
    clients = figures_world["clients"]
    post_seen(clients["owner"], f"/measurements/{draft}/submit")
    post_seen(clients["staff"], f"/measurements/{draft}/verify")
    edit = post_seen(
        clients["owner"],
        f"/measurements/{draft}/edit",
        data={"defective_units": "30", "inspected_units": "1500"},
    )
    assert "A verified measurement is locked" in edit.get_data(True)
    assert _state(app, draft) == ("verified", 3.0)
    refused = clients["trainer"].post(f"/measurements/{draft}/reopen", data={"reason": "x"})
    assert refused.status_code == 403
    post_seen(clients["staff"], f"/measurements/{draft}/reopen", data={"reason": ""})
    assert _state(app, draft)[0] == "verified"
    post_seen(
        clients["staff"],
        f"/measurements/{draft}/reopen",
        data={"reason": "Inspection count was wrong"},
    )
    assert _state(app, draft)[0] == "draft"
    post_seen(
        clients["owner"],
        f"/measurements/{draft}/edit",
        data={"defective_units": "30", "inspected_units": "1500"},
    )
    assert _state(app, draft) == ("draft", 2.0)


def test_every_change_is_in_the_audit_trail_and_the_history_page(app, figures_world, draft):
    clients = figures_world["clients"]
    post_seen(
        clients["owner"],
        f"/measurements/{draft}/edit",
        data={"defective_units": "30", "inspected_units": "1500", "comment": "Recounted"},
    )
    post_seen(clients["owner"], f"/measurements/{draft}/submit")
    post_seen(clients["trainer"], f"/measurements/{draft}/verify")
    assert _audit(app, draft) == [
        ("create", None, 3.0, None, "draft", ""),
        ("edit", 3.0, 2.0, "draft", "draft", "Recounted"),
        ("submit", None, 2.0, "draft", "submitted", ""),
        ("verify", None, 2.0, "submitted", "verified", ""),
    ]
    page = clients["staff"].get(f"/measurements/{draft}").get_data(True)
    assert "Recounted" in page and page.count("<tr>") >= 5


def test_deleting_needs_a_reason_and_keeps_the_history(app, figures_world, draft):
    owner = figures_world["clients"]["owner"]
    post_seen(owner, f"/measurements/{draft}/delete", data={"reason": ""})
    assert _state(app, draft) is not None
    post_seen(owner, f"/measurements/{draft}/delete", data={"reason": "Entered twice"})
    assert _state(app, draft) is None
    assert _audit(app, draft)[-1] == ("delete", 3.0, None, "draft", None, "Entered twice")
    page = figures_world["clients"]["staff"].get(
        f"/enterprises/{figures_world['enterprise'].id}/history"
    )
    text = page.get_data(True)
    assert "Deleted" in text and "Entered twice" in text and "Created" in text
    assert f"/measurements/{draft}" not in text  # no link to what no longer exists


def test_results_page_shows_change_raw_counts_status_and_a_chart(app, figures_world, draft):
    owner = figures_world["clients"]["owner"]
    enterprise_id = figures_world["enterprise"].id
    owner.post(
        f"/enterprises/{enterprise_id}/measurements/new",
        data=period_form(
            phase="follow_up", start="2025-06-01", end="2025-06-30",
            defect_rate={"defective_units": "30", "inspected_units": "1500"},
        ),
    )  # fmt: skip
    page = owner.get(f"/enterprises/{enterprise_id}/indicators").get_data(True)
    assert "Improved" not in page and "Drafts, not results yet" in page  # both still drafts
    submit_drafts(app, enterprise_id)
    page = owner.get(f"/enterprises/{enterprise_id}/indicators").get_data(True)
    assert "Improved" in page
    assert "-1.0 points" in page and "-33.3 %" in page
    assert "Defective units: 45" in page and "Units inspected: 1,500" in page
    assert "Jun 1, 2025 \u2013 Jun 30, 2025 (30 days)" in page
    assert "<svg" in page
    # The chart is drawn without a script: the only ones are the offline status bar's.
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all("offline" in tag for tag in scripts), scripts
    assert "status-submitted" in page and "not results yet" not in page


def test_programme_staff_do_not_see_figures_without_the_enterprises_consent(
    app, client_as, create_enterprise, create_user
):
    from tests.conftest import sign_in

    private = create_enterprise(country="GH", data_sharing_consent=False)
    trainer = sign_in(app.test_client(), create_user("trainer", enterprises=[private]))
    trainer.post(
        f"/enterprises/{private.id}/measurements/new",
        data=period_form(defect_rate={"defective_units": "45", "inspected_units": "1500"}),
    )
    with app.app_context():
        measurement_id = db.session.scalar(select(Measurement.id))
    staff = client_as("programme_staff", countries=["GH"])
    for path in (
        f"/enterprises/{private.id}/indicators",
        f"/enterprises/{private.id}/measurements",
        f"/enterprises/{private.id}/checklist",
        f"/measurements/{measurement_id}",
    ):
        response = staff.get(path)
        assert response.status_code == 403
        assert "has not agreed to share its figures" in response.get_data(True)
    assert staff.get(f"/enterprises/{private.id}").status_code == 200  # the profile stays visible
    assert trainer.get(f"/enterprises/{private.id}/indicators").status_code == 200


def test_editing_a_submitted_figure_sends_it_back_to_draft(app, figures_world, draft):
    owner = figures_world["clients"]["owner"]
    post_seen(owner, f"/measurements/{draft}/submit")
    post_seen(
        owner,
        f"/measurements/{draft}/edit",
        data={"defective_units": "30", "inspected_units": "1500"},
    )
    assert _state(app, draft) == ("draft", 2.0)


def test_the_edit_form_shows_stored_figures_in_full(app, figures_world):
    owner = figures_world["clients"]["owner"]
    owner.post(
        f"/enterprises/{figures_world['enterprise'].id}/measurements/new",
        data=period_form(energy_intensity={"energy_kwh": "1234.567", "output_units": "1000"}),
    )
    with app.app_context():
        measurement_id = db.session.scalar(select(Measurement.id))
    page = owner.get(f"/measurements/{measurement_id}/edit").get_data(True)
    assert 'value="1234.567"' in page


def test_checklist_counts_practices_adopted_since_the_baseline(app, figures_world):
    owner = figures_world["clients"]["owner"]
    url = f"/enterprises/{figures_world['enterprise'].id}/checklist"
    owner.post(url, data={"phase": "baseline", "assessed_on": "2025-01-31", "present": ["wc-01"]})
    early = owner.post(url, data={"phase": "follow_up", "assessed_on": "2025-01-15", "present": []})
    assert "A follow-up comes after the baseline" in early.get_data(True)
    owner.post(
        url, data={"phase": "follow_up", "assessed_on": "2025-06-30", "present": ["wc-01", "wc-04"]}
    )
    page = owner.get(url).get_data(True)
    assert "1 practice adopted since the baseline" in page
    assert "wc-04" not in page.split("adopted since the baseline")[1].split("</ul>")[0]


def test_figures_stored_for_the_period_are_replaced_only_once_seen_and_go_back_to_draft(
    app, figures_world, draft
):
    owner = figures_world["clients"]["owner"]
    post_seen(owner, f"/measurements/{draft}/submit")
    url = f"/enterprises/{figures_world['enterprise'].id}/measurements/new"
    mine = period_form(defect_rate={"defective_units": "30", "inspected_units": "1500"})

    unseen = owner.post(url, data=mine)
    html = unseen.get_data(True)
    assert unseen.status_code == 409
    assert "Figures are already saved for this period" in html
    assert "Nothing was saved: figures are already saved for this period." in html  # on top
    assert ">45<" in html and 'value="30"' in html  # the stored figure beside the typed one
    assert _state(app, draft) == ("submitted", 3.0)  # nothing replaced unseen

    version = re.search(r'name="defect_rate-version" value="(\d+)"', html).group(1)
    assert owner.post(url, data={**mine, "defect_rate-version": version}).status_code == 302
    assert _state(app, draft) == ("draft", 2.0)


def _latest(app):
    with app.app_context():
        rows = db.session.execute(
            select(Measurement.phase, Measurement.period_start, Measurement.is_latest).order_by(
                Measurement.phase, Measurement.period_start
            )
        ).all()
        return [(phase.value, str(start), latest) for phase, start, latest in rows]


def _id_of(app, start: date) -> int:
    with app.app_context():
        return db.session.scalar(select(Measurement.id).where(Measurement.period_start == start))


def test_every_write_keeps_the_latest_reported_measurement_of_each_phase_marked(app, figures_world):
    owner = figures_world["clients"]["owner"]
    url = f"/enterprises/{figures_world['enterprise'].id}/measurements/new"
    figures = {"defect_rate": {"defective_units": "40", "inspected_units": "1500"}}
    owner.post(url, data=period_form(**figures))
    for start, end in (("2025-04-01", "2025-04-30"), ("2025-07-01", "2025-07-31")):
        owner.post(url, data=period_form("follow_up", start, end, **figures))
    # Drafts are still being typed: none counts yet.
    assert [latest for *_r, latest in _latest(app)] == [False, False, False]
    jan, apr, jul = (_id_of(app, date(2025, month, 1)) for month in (1, 4, 7))
    for measurement_id in (jan, apr):
        post_seen(owner, f"/measurements/{measurement_id}/submit")
    assert _latest(app) == [
        ("baseline", "2025-01-01", True),
        ("follow_up", "2025-04-01", True),
        ("follow_up", "2025-07-01", False),
    ]
    post_seen(owner, f"/measurements/{jul}/submit")
    assert [latest for *_r, latest in _latest(app)] == [True, False, True]
    post_seen(
        owner,
        f"/measurements/{jul}/edit",
        data={"defective_units": "30", "inspected_units": "1500", "comment": "Recounted"},
    )  # an edit sends it back to draft
    assert [latest for *_r, latest in _latest(app)] == [True, True, False]
    post_seen(owner, f"/measurements/{apr}/delete", data={"reason": "Entered twice"})
    assert _latest(app) == [("baseline", "2025-01-01", True), ("follow_up", "2025-07-01", False)]


def _edit(client, measurement_id, version, defective, comment=""):
    return client.post(
        f"/measurements/{measurement_id}/edit",
        data={"version": version, "defective_units": defective, "inspected_units": "1500",
              "comment": comment},
    )  # fmt: skip


def test_a_save_from_an_older_page_is_refused_showing_both_versions(app, figures_world, draft):
    owner, trainer = figures_world["clients"]["owner"], figures_world["clients"]["trainer"]
    page = f"/measurements/{draft}/edit"
    owners_version = seen_version(owner, page)
    assert _edit(trainer, draft, seen_version(trainer, page), "30", "Recounted").status_code == 302

    refused = _edit(owner, draft, owners_version, "60", "Night shift included")
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert "Someone else changed this while you were editing it" in html
    assert f"{figures_world['users']['trainer'].full_name} saved a new version" in html
    table = conflict_table(html)
    assert table["Defective units"] == ("30", "60", True)
    assert table["Units inspected"] == ("1500", "1500", False)
    assert table["Comment"] == ("Recounted", "Night shift included", True)
    assert 'name="defective_units" value="60"' in html  # what the owner typed is kept
    assert _state(app, draft) == ("draft", 2.0)  # the trainer's figures stand

    # Saving again from the conflict page replaces them knowingly.
    again = _edit(owner, draft, VERSION_FIELD.search(html).group(1), "60", "Night shift included")
    assert again.status_code == 302
    assert _state(app, draft) == ("draft", 4.0)
    assert [row[0] for row in _audit(app, draft)] == ["create", "edit", "edit"]


def test_a_conflict_with_figures_verified_meanwhile_offers_no_save(app, figures_world, draft):
    owner, clients = figures_world["clients"]["owner"], figures_world["clients"]
    owners_version = seen_version(owner, f"/measurements/{draft}/edit")
    post_seen(owner, f"/measurements/{draft}/submit")
    post_seen(clients["trainer"], f"/measurements/{draft}/verify")

    html = _edit(owner, draft, owners_version, "60").get_data(True)
    assert conflict_table(html)["Status"] == ("verified", "draft", True)
    assert "A verified measurement is locked; programme staff can reopen it." in html
    assert "Save my version" not in html
    assert _state(app, draft) == ("verified", 3.0)


@pytest.mark.committing
def test_a_measurement_deleted_while_it_was_saved_says_so(app, figures_world, draft):
    owner = figures_world["clients"]["owner"]
    version = seen_version(owner, f"/measurements/{draft}/edit")
    deleted = delete(Measurement).where(Measurement.id == draft)
    with saved_meanwhile(deleted, when=lambda session: any(
        isinstance(obj, Measurement) for obj in session.dirty
    )):  # fmt: skip
        page = _edit(owner, draft, version, "60")
    assert page.status_code == 302
    assert page.headers["Location"].endswith("/measurements")
    followed = owner.get(page.headers["Location"]).get_data(True)
    assert "Someone else deleted this measurement meanwhile" in followed
    assert _state(app, draft) is None


def test_verifying_figures_changed_since_the_page_was_opened_is_refused(app, figures_world, draft):
    owner, trainer = figures_world["clients"]["owner"], figures_world["clients"]["trainer"]
    post_seen(owner, f"/measurements/{draft}/submit")
    verifiers_version = seen_version(trainer, f"/measurements/{draft}")
    post_seen(owner, f"/measurements/{draft}/edit", data={"defective_units": "90",
                                                          "inspected_units": "1500"})  # fmt: skip
    post_seen(owner, f"/measurements/{draft}/submit")

    refused = trainer.post(
        f"/measurements/{draft}/verify", data={"version": verifiers_version}, follow_redirects=True
    )
    assert "Someone else changed this after you opened the page" in refused.get_data(True)
    assert _state(app, draft) == ("submitted", 6.0)  # not verified unseen


@pytest.mark.committing
def test_two_saves_at_the_same_moment_keep_the_first(app, figures_world, draft):
    """Both read version 1; the later UPDATE finds the version changed and is refused whole."""
    with app.app_context():
        mine = db.session.get(Measurement, draft)  # read before the other save commits
        with Session(db.engine) as other:
            theirs = other.get(Measurement, draft)
            theirs.input_1, theirs.value = 30, 2.0
            other.commit()
        owner = db.session.get(User, figures_world["users"]["owner"].id)
        with pytest.raises(EditConflict):
            services.update_measurement(
                owner, mine, {"defective_units": "60", "inspected_units": "1500"}, "",
                seen_version=1,
            )  # fmt: skip
    assert _state(app, draft) == ("draft", 2.0)
    assert [row[0] for row in _audit(app, draft)] == ["create"]  # no audit row of the refusal


def _update_as_owner(app, figures_world, measurement_id, defective="45", **period):
    """The owner's new figures (and period, if given) for a measurement, through the service."""
    with app.app_context():
        measurement = db.session.get(Measurement, measurement_id)
        owner = db.session.get(User, figures_world["users"]["owner"].id)
        try:
            services.update_measurement(
                owner, measurement, {"defective_units": defective, "inspected_units": "1500"},
                "Moved to its real month", seen_version=measurement.version, **period,
            )  # fmt: skip
        finally:
            db.session.rollback()


def _period(app, measurement_id):
    with app.app_context():
        m = db.session.get(Measurement, measurement_id)
        return (str(m.period_start), str(m.period_end), m.status.value, m.value)


def test_an_update_with_a_new_period_moves_the_figure_back_to_draft_with_an_audit_row(
    app, figures_world, draft
):
    post_seen(figures_world["clients"]["owner"], f"/measurements/{draft}/submit")
    _update_as_owner(
        app, figures_world, draft, "30", period_start=date(2025, 2, 1), period_end=date(2025, 2, 28)
    )
    assert _period(app, draft) == ("2025-02-01", "2025-02-28", "draft", 2.0)
    assert _audit(app, draft)[-1] == (
        "edit", 3.0, 2.0, "submitted", "draft", "Moved to its real month",
    )  # fmt: skip


def test_an_update_keeps_the_stored_day_it_is_not_given(app, figures_world, draft):
    _update_as_owner(app, figures_world, draft, "30", period_end=date(2025, 1, 15))
    assert _period(app, draft) == ("2025-01-01", "2025-01-15", "draft", 2.0)


@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        ({"period_end": date(2024, 12, 31)}, "period_end", "on or after the first day"),
        ({"period_end": date(2999, 1, 31)}, "period_end", "cannot end in the future"),
        (
            {"period_start": date(2025, 2, 1), "period_end": date(2025, 2, 28)},
            "period_start",
            "already has a measurement for this phase and period",
        ),
    ],
)
def test_a_new_period_is_checked_as_on_entry_and_nothing_changes(
    app, figures_world, draft, period, field, message
):
    figures_world["clients"]["owner"].post(
        f"/enterprises/{figures_world['enterprise'].id}/measurements/new",
        data=period_form(
            start="2025-02-01", end="2025-02-28",
            defect_rate={"defective_units": "30", "inspected_units": "1500"},
        ) | {"new_cycle": "1"},  # a second baseline starts a new cycle
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        _update_as_owner(app, figures_world, draft, "30", **period)
    assert message in refused.value.errors[field]
    assert _period(app, draft) == ("2025-01-01", "2025-01-31", "draft", 3.0)
    assert [row[0] for row in _audit(app, draft)] == ["create"]


def test_a_figure_moved_to_a_new_period_still_needs_a_comment_for_a_warning(app, figures_world):
    owner = figures_world["clients"]["owner"]
    url = f"/enterprises/{figures_world['enterprise'].id}/measurements/new"
    figures = {"defect_rate": {"defective_units": "45", "inspected_units": "1500"}}
    owner.post(url, data=period_form(**figures))
    owner.post(url, data=period_form("follow_up", "2025-04-01", "2025-04-30", **figures))
    follow_up = _id_of(app, date(2025, 4, 1))
    with app.app_context():
        measurement = db.session.get(Measurement, follow_up)
        owner_user = db.session.get(User, figures_world["users"]["owner"].id)
        with pytest.raises(InvalidInput) as refused:
            services.update_measurement(
                owner_user, measurement, {"defective_units": "10", "inspected_units": "1500"}, "",
                seen_version=1, period_start=date(2025, 5, 1), period_end=date(2025, 5, 31),
            )  # fmt: skip
    assert "Add a comment" in refused.value.errors["comment"]
    assert _period(app, follow_up) == ("2025-04-01", "2025-04-30", "draft", 3.0)
