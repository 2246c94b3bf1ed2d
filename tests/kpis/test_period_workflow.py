"""Whole periods at once: submit every draft of a period, the verification queue, the review of
one period, verifying it or sending it back, and nobody verifying figures they entered."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from score_app.extensions import db
from score_app.kpis import services
from score_app.kpis.models import Measurement, MeasurementAudit, Phase, Status
from tests.conftest import post_seen, sign_in
from tests.kpis.conftest import period_form

DEFECTS = {"defective_units": "45", "inspected_units": "1500"}
ABSENCE = {"absent_person_days": "40", "scheduled_person_days": "1000"}
EFFICIENCY = {"minutes_produced": "6310", "minutes_attended": "10000"}
JANUARY = "baseline/2025-01-01/2025-01-31"
CHANGED_ELSEWHERE = "Someone else changed this after you opened the page, so nothing was done."
NOT_YOURS = "so someone else must verify them"


def _enterprise_url(world, rest: str = "") -> str:
    return f"/enterprises/{world['enterprise'].id}{rest}"


def _period_url(world, action: str = "", period: str = JANUARY) -> str:
    return _enterprise_url(world, f"/periods/{period}{action and '/' + action}")


def _enter(world, role="owner", phase="baseline", start="2025-01-01", end="2025-01-31", **rows):
    rows = rows or {"defect_rate": DEFECTS, "absenteeism_rate": ABSENCE}
    response = world["clients"][role].post(
        _enterprise_url(world, "/measurements/new"), data=period_form(phase, start, end, **rows)
    )
    assert response.status_code == 302, response.get_data(True)


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to `action`, as a browser sends them."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"the page has no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[1]))


def _post_as_shown(client, page: str, action: str, **data):
    """Post a period's form with the fields its page shows now."""
    fields = form_fields(client.get(page).get_data(True), action)
    return client.post(action, data={**fields, **data})


def _submit(world, role="owner"):
    return _post_as_shown(
        world["clients"][role],
        _enterprise_url(world, "/measurements"),
        _period_url(world, "submit"),
    )


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        return {m.indicator: m.status.value for m in db.session.scalars(select(Measurement))}


def _audit(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(MeasurementAudit).order_by(MeasurementAudit.id))
        return [(r.indicator, r.action.value, r.reason) for r in rows]


def _id_of(app, indicator: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Measurement.id).where(Measurement.indicator == indicator))


def test_submit_this_period_submits_every_draft_in_one_post(app, figures_world):
    _enter(
        figures_world, defect_rate=DEFECTS, absenteeism_rate=ABSENCE,
        operating_efficiency=EFFICIENCY,
    )  # fmt: skip
    page = figures_world["clients"]["owner"].get(_enterprise_url(figures_world, "/measurements"))
    assert "Sends its 3 drafts for verification, all together." in page.get_data(True)

    response = _submit(figures_world)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/measurements")
    assert set(_statuses(app).values()) == {"submitted"}
    submits = [(code, action) for code, action, _r in _audit(app) if action == "submit"]
    assert sorted(submits) == sorted((code, "submit") for code in _statuses(app))
    with app.app_context():  # submitted figures count in programme results at once
        assert all(db.session.scalars(select(Measurement.is_latest)))
    followed = figures_world["clients"]["owner"].get(response.headers["Location"]).get_data(True)
    assert "3 measurements submitted for verification." in followed
    assert "Submit this period" not in followed


def test_a_draft_changed_since_the_page_opened_stops_the_whole_period(app, figures_world):
    _enter(figures_world)
    owner, trainer = figures_world["clients"]["owner"], figures_world["clients"]["trainer"]
    shown = form_fields(
        owner.get(_enterprise_url(figures_world, "/measurements")).get_data(True),
        _period_url(figures_world, "submit"),
    )
    defects = _id_of(app, "defect_rate")
    post_seen(
        trainer, f"/measurements/{defects}/edit",
        data={"defective_units": "30", "inspected_units": "1500"},
    )  # fmt: skip

    refused = owner.post(_period_url(figures_world, "submit"), data=shown)
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert CHANGED_ELSEWHERE in html
    assert "Changed since you opened the page: Defect rate." in html
    assert set(_statuses(app).values()) == {"draft"}  # not even the unchanged one
    assert [action for _c, action, _r in _audit(app)] == ["create", "create", "edit"]
    # The page shown again carries the stored versions: submitting now is knowing.
    assert (
        _post_as_shown(
            owner,
            _enterprise_url(figures_world, "/measurements"),
            _period_url(figures_world, "submit"),
        ).status_code
        == 302
    )
    assert set(_statuses(app).values()) == {"submitted"}


def test_a_draft_added_since_the_page_opened_is_not_submitted_unseen(app, figures_world):
    _enter(figures_world, defect_rate=DEFECTS)
    owner = figures_world["clients"]["owner"]
    shown = form_fields(
        owner.get(_enterprise_url(figures_world, "/measurements")).get_data(True),
        _period_url(figures_world, "submit"),
    )
    _enter(figures_world, role="trainer", absenteeism_rate=ABSENCE)
    refused = owner.post(_period_url(figures_world, "submit"), data=shown)
    assert refused.status_code == 409
    assert "Changed since you opened the page: Absenteeism rate." in refused.get_data(True)
    assert set(_statuses(app).values()) == {"draft"}


def test_another_user_verifies_the_whole_period_from_the_queue(app, figures_world):
    _enter(figures_world)
    _submit(figures_world)
    trainer = figures_world["clients"]["trainer"]
    queue = trainer.get("/measurements/to-verify").get_data(True)
    assert "1 period waits for verification" in queue
    assert f'href="{_period_url(figures_world)}"' in queue
    assert figures_world["users"]["owner"].full_name in queue  # who submitted

    review = trainer.get(_period_url(figures_world)).get_data(True)
    assert "2 figures wait for verification." in review
    assert "Defective units: 45 · Units inspected: 1,500" in review
    assert "Verify this period" in review and NOT_YOURS not in review

    response = _post_as_shown(
        trainer, _period_url(figures_world), _period_url(figures_world, "verify")
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/measurements/to-verify")
    assert set(_statuses(app).values()) == {"verified"}
    with app.app_context():
        verifiers = set(db.session.scalars(select(Measurement.verified_by_id)))
    assert verifiers == {figures_world["users"]["trainer"].id}
    assert [a for _c, a, _r in _audit(app)].count("verify") == 2
    after = trainer.get(response.headers["Location"]).get_data(True)
    assert "2 measurements of Accra Works verified." in after
    assert "No period waits for verification." in after


def test_whoever_entered_the_figures_sees_no_verify_button_and_a_forged_post_is_refused(
    app, figures_world
):
    _enter(figures_world, role="trainer")
    _submit(figures_world, role="trainer")
    trainer = figures_world["clients"]["trainer"]
    review = trainer.get(_period_url(figures_world)).get_data(True)
    assert "Verify this period" not in review
    assert f"You entered 2 of these figures, {NOT_YOURS}." in review
    assert "someone else must verify them" in trainer.get("/measurements/to-verify").get_data(True)
    one = trainer.get(f"/measurements/{_id_of(app, 'defect_rate')}").get_data(True)
    assert "You entered these figures, so someone else must verify them." in one
    assert "/verify" not in one

    versions = {f"version-{_id_of(app, c)}": "2" for c in ("defect_rate", "absenteeism_rate")}
    forged = trainer.post(_period_url(figures_world, "verify"), data=versions)
    assert forged.status_code == 422
    assert (
        "Someone other than the person who entered the figures must verify them."
        in forged.get_data(True)
    )
    assert set(_statuses(app).values()) == {"submitted"}


def test_verifying_figures_changed_after_the_review_opened_is_refused(app, figures_world):
    _enter(figures_world)
    _submit(figures_world)
    staff, owner = figures_world["clients"]["staff"], figures_world["clients"]["owner"]
    shown = form_fields(
        staff.get(_period_url(figures_world)).get_data(True), _period_url(figures_world, "verify")
    )
    defects = _id_of(app, "defect_rate")
    post_seen(
        owner, f"/measurements/{defects}/edit",
        data={"defective_units": "90", "inspected_units": "1500"},
    )  # fmt: skip
    post_seen(owner, f"/measurements/{defects}/submit")

    refused = staff.post(_period_url(figures_world, "verify"), data=shown)
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert CHANGED_ELSEWHERE in html and "Changed since you opened the page: Defect rate." in html
    assert set(_statuses(app).values()) == {"submitted"}
    assert "6.0" in html  # the review shown again has the new figure


def test_sending_back_needs_a_reason_and_returns_every_figure_to_draft(app, figures_world):
    _enter(figures_world)
    _submit(figures_world)
    staff = figures_world["clients"]["staff"]
    page, action = _period_url(figures_world), _period_url(figures_world, "send-back")

    for blank in ("", "   "):
        refused = _post_as_shown(staff, page, action, reason=blank)
        assert refused.status_code == 422
        html = refused.get_data(True)
        assert 'role="alert"><p>Say why the figures are sent back.' in html
        assert 'id="reason-error">Say why the figures are sent back.</p>' in html
        assert '<details class="card send-back" open>' in html
        assert set(_statuses(app).values()) == {"submitted"}

    response = _post_as_shown(staff, page, action, reason="Inspected units look like May's")
    assert response.status_code == 302
    assert set(_statuses(app).values()) == {"draft"}
    sent_back = [(c, r) for c, a, r in _audit(app) if a == "send_back"]
    assert sorted(sent_back) == [
        ("absenteeism_rate", "Inspected units look like May's"),
        ("defect_rate", "Inspected units look like May's"),
    ]
    with app.app_context():  # drafts are out of the programme results again
        assert not any(db.session.scalars(select(Measurement.is_latest)))
    followed = staff.get(response.headers["Location"]).get_data(True)
    assert "2 measurements of Accra Works sent back to draft." in followed
    history = staff.get(_enterprise_url(figures_world, "/history")).get_data(True)
    assert "Sent back: submitted \u2192 draft" in history


def test_a_verifier_returns_to_the_queue_with_its_filters(app, figures_world):
    _enter(figures_world)
    _submit(figures_world)
    staff = figures_world["clients"]["staff"]
    enterprise_id = figures_world["enterprise"].id
    queue = staff.get(f"/measurements/to-verify?enterprise={enterprise_id}&country=GH")
    link = re.search(r'href="([^"]*/periods/[^"]*)"', queue.get_data(True))[1].replace("&amp;", "&")
    assert link == f"{_period_url(figures_world)}?enterprise={enterprise_id}&country=GH"
    response = _post_as_shown(staff, link, _period_url(figures_world, "verify"))
    assert response.headers["Location"].endswith(
        f"/measurements/to-verify?enterprise={enterprise_id}&country=GH"
    )


def test_the_queue_filters_by_enterprise_and_country_within_the_users_scope(
    app, client_as, create_enterprise, create_user
):
    ghana = create_enterprise(name="Tema Garments", country="GH")
    accra = create_enterprise(name="Accra Shirts", country="GH")
    durban = create_enterprise(name="Durban Knits", country="ZA")
    private = create_enterprise(name="Kumasi Private", country="GH", data_sharing_consent=False)
    with app.app_context():
        for enterprise in (ghana, accra, durban, private):
            db.session.add(_submitted(enterprise.id))
        db.session.commit()
    admin = client_as("admin")

    def listed(client, query=""):
        html = client.get(f"/measurements/to-verify{query}").get_data(True)
        return sorted(re.findall(r'<td class="lead-cell">([^<]+?) <span', html))

    assert listed(admin) == ["Accra Shirts", "Durban Knits", "Kumasi Private", "Tema Garments"]
    assert listed(admin, "?country=za") == ["Durban Knits"]
    assert listed(admin, f"?enterprise={accra.id}") == ["Accra Shirts"]
    assert listed(admin, f"?enterprise={accra.id}&country=ZA") == []
    # Programme staff of Ghana: not South Africa, nor an enterprise that keeps its figures.
    staff = client_as("programme_staff", countries=["GH"])
    assert listed(staff) == ["Accra Shirts", "Tema Garments"]
    assert staff.get(f"/measurements/to-verify?enterprise={durban.id}").status_code == 404
    assert staff.get(f"/measurements/to-verify?enterprise={private.id}").status_code == 403
    trainer = sign_in(app.test_client(), create_user("trainer", enterprises=[ghana]))
    assert listed(trainer) == ["Tema Garments"]


def _submitted(enterprise_id: int, month: int = 1, indicator: str = "defect_rate") -> Measurement:
    return Measurement(
        enterprise_id=enterprise_id, indicator=indicator, phase=Phase.BASELINE,
        period_start=date(2025, month, 1), period_end=date(2025, month, 28), input_1=3,
        input_2=100, value=3.0, status=Status.SUBMITTED,
    )  # fmt: skip


def test_the_queue_lists_the_longest_waiting_period_first(app, create_enterprise, client_as):
    enterprise = create_enterprise()
    with app.app_context():
        for month, submitted_day in ((1, 20), (2, 3), (3, 11)):
            figure = _submitted(enterprise.id, month)
            figure.updated_at = datetime(2025, 6, submitted_day)
            db.session.add(figure)
        db.session.commit()
    html = client_as("admin").get("/measurements/to-verify").get_data(True)
    assert re.findall(r"/periods/baseline/2025-(\d\d)-01/", html) == ["02", "03", "01"]


def test_the_queue_is_paginated(make_app, create_enterprise, create_user):
    app = make_app(SCORE_PAGE_SIZE=2)
    enterprise = create_enterprise()
    with app.app_context():
        db.session.add_all(_submitted(enterprise.id, month) for month in range(1, 6))
        db.session.commit()
    admin = sign_in(app.test_client(), create_user("admin"))
    first = admin.get("/measurements/to-verify").get_data(True)
    assert "5 periods wait for verification" in first and "Page 1 of 3" in first
    assert first.count('<td class="lead-cell">') == 2
    last = admin.get("/measurements/to-verify?page=3").get_data(True)
    assert last.count('<td class="lead-cell">') == 1


def test_an_enterprise_out_of_scope_is_not_found(app, figures_world, create_enterprise, client_as):
    _enter(figures_world)
    _submit(figures_world)
    stranger = client_as("trainer", enterprises=[create_enterprise(name="Elsewhere")])
    assert stranger.get(_period_url(figures_world)).status_code == 404
    for action in ("submit", "verify", "send-back"):
        assert stranger.post(_period_url(figures_world, action)).status_code == 404
    assert (
        stranger.get(
            f"/measurements/to-verify?enterprise={figures_world['enterprise'].id}"
        ).status_code
        == 404
    )
    assert set(_statuses(app).values()) == {"submitted"}


@pytest.mark.parametrize(
    "period",
    [
        "baseline/2025-01-01/2025-13-01",  # no such month
        "baseline/yesterday/2025-01-31",
        "midline/2025-01-01/2025-01-31",  # no such phase
        "baseline/2025-01-31/2025-01-01",  # ends before it starts
        "baseline/2024-01-01/2024-01-31",  # no figures at all
    ],
)
def test_a_period_that_does_not_exist_is_not_found(app, figures_world, period):
    _enter(figures_world)
    staff, owner = figures_world["clients"]["staff"], figures_world["clients"]["owner"]
    assert staff.get(_period_url(figures_world, period=period)).status_code == 404
    if "2024" not in period:
        assert owner.post(_period_url(figures_world, "submit", period)).status_code == 404
        assert staff.post(_period_url(figures_world, "verify", period)).status_code == 404


def test_an_empty_period_or_forged_versions_say_so_without_an_error_page(app, figures_world):
    _enter(figures_world)
    owner, staff = figures_world["clients"]["owner"], figures_world["clients"]["staff"]
    nothing = owner.post(_period_url(figures_world, "submit", "baseline/2024-01-01/2024-01-31"))
    assert nothing.status_code == 422
    assert "This period has no drafts to submit." in nothing.get_data(True)
    forged = owner.post(
        _period_url(figures_world, "submit"),
        data={"version-x": "1", "version-99999999999": "1", f"version-{_id_of(app, 'dhu')}": "a"},
    )
    assert forged.status_code == 409
    nothing_to_verify = staff.post(_period_url(figures_world, "verify"))
    assert nothing_to_verify.status_code == 422
    assert "Nothing in this period waits for verification." in nothing_to_verify.get_data(True)
    assert staff.get(_period_url(figures_world)).status_code == 200  # drafts, listed apart
    for query in ("?enterprise=abc&country=%00x&page=-4", "?enterprise=99999999999", "?page=999"):
        assert staff.get(f"/measurements/to-verify{query}").status_code in (200, 400)
    assert set(_statuses(app).values()) == {"draft"}


def test_the_programme_page_sends_figures_to_verify_to_the_queue_of_that_enterprise(
    app, figures_world
):
    _enter(figures_world)
    staff = figures_world["clients"]["staff"]
    html = staff.get("/programme?country=GH").get_data(True)
    gap = html.split("Figures to verify")[1].split("</section>")[0]
    enterprise_id = figures_world["enterprise"].id
    assert f'href="/measurements/to-verify?country=GH&amp;enterprise={enterprise_id}"' in gap
    queue = staff.get(f"/measurements/to-verify?country=GH&enterprise={enterprise_id}")
    assert "Accra Works also has 2 draft figures, not submitted yet." in queue.get_data(True)


def test_home_counts_the_periods_to_verify_for_those_who_verify(app, figures_world):
    _enter(figures_world)
    _enter(figures_world, phase="follow_up", start="2025-06-01", end="2025-06-30",
           defect_rate=DEFECTS)  # fmt: skip
    _submit(figures_world)
    clients = figures_world["clients"]
    assert "Figures to verify</a>: 1 period waits" in clients["staff"].get("/").get_data(True)
    assert "Figures to verify" not in clients["owner"].get("/").get_data(True)


def test_home_counts_only_the_periods_the_user_can_verify(app, figures_world):
    _enter(figures_world, role="trainer")
    _submit(figures_world, role="trainer")
    clients = figures_world["clients"]
    assert "Figures to verify</a>: no period waits" in clients["trainer"].get("/").get_data(True)
    assert "Figures to verify</a>: 1 period waits" in clients["staff"].get("/").get_data(True)


def test_the_review_compares_a_follow_up_with_the_baseline_before_it(app, figures_world):
    _enter(figures_world, defect_rate=DEFECTS)
    _submit(figures_world)
    july = "follow_up/2025-07-01/2025-07-31"
    _enter(figures_world, phase="follow_up", start="2025-07-01", end="2025-07-31",
           defect_rate={"defective_units": "30", "inspected_units": "1500"})  # fmt: skip
    owner = figures_world["clients"]["owner"]
    _post_as_shown(
        owner, _enterprise_url(figures_world, "/measurements"),
        _period_url(figures_world, "submit", july),
    )  # fmt: skip
    review = figures_world["clients"]["staff"].get(_period_url(figures_world, period=july))
    html = review.get_data(True)
    assert "Baseline, Jan 1, 2025 \u2013 Jan 31, 2025: <span" in html
    assert '<span class="baseline-value">3.0&nbsp;%</span>' in html
    assert "Improved" in html and "-1.0 points" in html and "-33.3 %" in html


def test_baseline_for_takes_the_latest_reported_baseline_that_ended_before(app, figures_world):
    enterprise_id = figures_world["enterprise"].id

    def figure(phase, month, status, day=28):
        return Measurement(
            enterprise_id=enterprise_id, indicator="defect_rate", phase=phase,
            period_start=date(2025, month, 1), period_end=date(2025, month, day), input_1=3,
            input_2=100, value=float(month), status=status,
        )  # fmt: skip

    with app.app_context():
        january = figure(Phase.BASELINE, 1, Status.VERIFIED)
        march = figure(Phase.BASELINE, 3, Status.SUBMITTED)
        may_draft = figure(Phase.BASELINE, 5, Status.DRAFT)
        june_overlapping = figure(Phase.BASELINE, 6, Status.VERIFIED, day=30)
        june = figure(Phase.FOLLOW_UP, 6, Status.SUBMITTED, day=29)
        db.session.add_all([january, march, may_draft, june_overlapping, june])
        db.session.commit()
        assert services.baseline_for(june) == march
        assert services.baseline_for(march) is None  # a baseline has none
        february = figure(Phase.FOLLOW_UP, 2, Status.SUBMITTED)
        db.session.add(february)
        assert services.baseline_for(february) == january
