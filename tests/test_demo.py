"""The demo: several countries and sectors, every role, and each role sees what it may."""

import html

import pytest
from sqlalchemy import select

from score_app import demo
from score_app.auth.models import Role, User
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.plans.models import ActionStatus, PlanAction
from tests.conftest import committed


@pytest.fixture(scope="module")
def loaded_demo(shared_app):
    """The demo, loaded into the empty database and committed once for the module: each test
    runs over it in a transaction of its own, rolled back at its end."""
    with committed(shared_app):
        with shared_app.app_context():
            demo.load()
        yield


@pytest.fixture
def demo_app(app, loaded_demo):
    return app


def _sign_in(app, email):
    client = app.test_client()
    client.post("/login", data={"email": email, "password": demo.PASSWORD})
    return client


def test_demo_covers_countries_sectors_and_every_role(demo_app):
    with demo_app.app_context():
        enterprises = db.session.scalars(select(Enterprise)).all()
        roles = set(db.session.scalars(select(User.role)))
    assert len(enterprises) >= 8
    assert len({e.country for e in enterprises}) >= 3
    assert len({e.sector for e in enterprises}) >= 5
    assert roles == set(Role)
    assert any(not e.name.isascii() for e in enterprises)
    assert any(len(word) > 40 for e in enterprises for word in e.name.split())


def _names(keys):
    return {name for key, name, *_rest in demo.ENTERPRISES if key in keys}


ALL_KEYS = {key for key, *_rest in demo.ENTERPRISES}
GHANA_AND_SOUTH_AFRICA = {
    key for key, _n, country, *_r in demo.ENTERPRISES if country in ("GH", "ZA")
}


@pytest.mark.parametrize(
    ("email", "keys"),
    [
        ("admin@example.org", ALL_KEYS),
        ("staff@example.org", GHANA_AND_SOUTH_AFRICA),
        ("trainer@example.org", {"accra", "kumasi", "tema", "ethekwini"}),
        ("trainer.vn@example.org", {"saigon", "binhduong", "mekong"}),
        ("owner@example.org", {"saigon"}),
        ("owner.ma@example.org", {"atlas"}),
    ],
)
def test_each_demo_login_sees_exactly_its_own_enterprises(demo_app, email, keys):
    page = _sign_in(demo_app, email).get("/enterprises").get_data(True)
    shown = {name for name in _names(ALL_KEYS) if html.escape(name) in page}
    assert shown == _names(keys)


def _snapshot() -> list:
    from score_app.kpis.models import Measurement
    from score_app.training.models import Certificate

    rows = [
        [(e.name, e.country, e.workers_women) for e in db.session.scalars(select(Enterprise))],
        [(c.code, c.participant_name) for c in db.session.scalars(select(Certificate))],
        [
            (m.enterprise.name, m.indicator, m.phase, m.period_start, m.value, m.status)
            for m in db.session.scalars(select(Measurement))
        ],
    ]
    return [sorted(part, key=repr) for part in rows]  # the database may return any order


def test_demo_is_deterministic(demo_app):
    with demo_app.app_context():
        first = _snapshot()  # the demo as loaded into the empty database
        demo.erase_all()
        demo.load()
        second = _snapshot()
    assert first == second
    assert first[1][0][0].startswith("DEMO-GH25-")


def test_demo_trains_people_with_attendance_and_certificates(demo_app):
    from score_app.training.models import Certificate, Visit, Workshop

    with demo_app.app_context():
        workshops = db.session.scalars(select(Workshop)).all()
        certified = set(db.session.scalars(select(Certificate.participant_name)))
        visits = db.session.scalars(select(Visit)).all()
    ghana_people = {name for key, name, *_r in demo.PEOPLE if key in {"accra", "kumasi", "tema"}}
    assert len(workshops) == 2
    assert certified == ghana_people - set(demo.ABSENT_ON_DAY_2)
    assert len(visits) == len(demo.VISITS)


def test_demo_plans_give_owners_something_late_and_something_due_this_week(demo_app):
    home = html.unescape(_sign_in(demo_app, "owner@example.org").get("/").get_data(True))
    assert "Quá hạn (1)" in home  # overdue, in the owner's Vietnamese
    assert "Thay kim theo lịch và kiểm tra đầu ca" in home
    assert "Lập đường dây báo vắng và họp nhóm hằng ngày" in home
    with demo_app.app_context():
        statuses = set(db.session.scalars(select(PlanAction.status)))
        atlas = db.session.scalar(select(Enterprise.id).where(Enterprise.country == "MA"))
    plan_page = _sign_in(demo_app, "owner.ma@example.org").get(f"/enterprises/{atlas}/plan")
    page = html.unescape(plan_page.get_data(True))
    assert statuses == set(ActionStatus)
    assert "Plan d'amélioration 2025" in page and "Installer les carters" in page
