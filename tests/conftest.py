"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL from SCORE_TEST_DATABASE_URL),
emptied after every test, a client per role, and factories for test data."""

import itertools
import os
import re
from contextlib import contextmanager
from datetime import date

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from score_app import create_app
from score_app.auth.models import Role
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.i18n import fold
from score_app.kpis.models import Measurement, Phase
from score_app.users import services as user_services

PASSWORD = "correct-horse-battery"
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # A fast hash keeps hundreds of sign-ins quick; production keeps scrypt.
    "SCORE_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("SCORE_TEST_DATABASE_URL")
    if url:
        _empty_postgres(url)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def migrated_url(database_url) -> str:
    """The test database, built by the migrations exactly as production builds it."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def make_app(migrated_url):
    """Build an app on the test database with some settings changed."""
    apps = []

    def make(**overrides):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_url, **overrides})
        apps.append(app)
        return app

    yield make
    with apps[0].app_context():
        _empty_tables()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _detached(obj):
    """The saved object with its columns loaded, usable after the app context closes."""
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def create_enterprise(app):
    numbers = itertools.count(1)

    def make(**fields):
        n = next(numbers)
        values = {
            "name": f"Enterprise {n}",
            "country": "GH",
            "region": "Greater Accra",
            "sector": "garments",
            "product": "Shirts",
            "workers_women": 60,
            "workers_men": 40,
            "joined_on": date(2025, 1, 6),
            "cohort": "GH-2025-A",
            "data_sharing_consent": True,
            **fields,
        }
        with app.app_context():
            enterprise = Enterprise(name_folded=fold(values["name"]), **values)
            db.session.add(enterprise)
            db.session.commit()
            return _detached(enterprise)

    return make


@pytest.fixture
def create_user(app):
    numbers = itertools.count(1)

    def make(role="trainer", *, enterprises=(), countries=(), **fields):
        n = next(numbers)
        values = {
            "email": f"{role}{n}@example.org",
            "full_name": f"{role.replace('_', ' ').title()} {n}",
            "password": PASSWORD,
            **fields,
        }
        with app.app_context():
            user = user_services.create_user(
                role=Role(role),
                countries=countries,
                enterprise_ids=[e.id for e in enterprises],
                **values,
            )
            return _detached(user)

    return make


@pytest.fixture
def create_person(app):
    numbers = itertools.count(1)

    def make(enterprise, full_name=None, sex="female", job_role="worker"):
        with app.app_context():
            person = enterprise_services.add_person(
                db.session.get(Enterprise, enterprise.id),
                full_name or f"Person {next(numbers)}",
                sex,
                job_role,
            )
            return person.id

    return make


def sign_in(client, user, password=PASSWORD, **fields):
    """Sign in through the login form (with `fields` besides, such as a CSRF token)."""
    data = {"email": user.email, "password": password, **fields}
    response = client.post("/login", data=data)
    assert response.status_code == 302, "sign-in failed"
    return client


@contextmanager
def saved_meanwhile(statement, when=lambda session: True):
    """Another user's save landing between this request's reading and its writing: `statement`
    runs, committed, in a connection of its own just before the first flush `when` accepts."""
    done = []

    def before_flush(session, _context, _instances):
        if not done and when(session):
            done.append(statement)
            with db.engine.begin() as other:
                other.execute(statement)

    event.listen(Session, "before_flush", before_flush)
    try:
        yield done
    finally:
        event.remove(Session, "before_flush", before_flush)
    assert done, "the other save never ran"


def january_baseline_meanwhile(enterprise_id: int, indicator: str, inputs: tuple, value: float):
    """Someone else's January 2025 baseline of an indicator, saved just before this request
    inserts its own: the two saves of one period at the same moment."""
    theirs = sa.insert(Measurement).values(
        enterprise_id=enterprise_id, indicator=indicator, phase=Phase.BASELINE,
        period_start=date(2025, 1, 1), period_end=date(2025, 1, 31), input_1=inputs[0],
        input_2=inputs[1], value=value,
    )  # fmt: skip
    return saved_meanwhile(
        theirs, when=lambda session: any(isinstance(obj, Measurement) for obj in session.new)
    )


def submit_drafts(app, enterprise_id: int) -> None:
    """Submit every draft of an enterprise, each by whoever entered it, through the service."""
    from score_app.kpis import services as kpi_services
    from score_app.kpis.models import Status

    with app.app_context():
        drafts = db.session.scalars(
            sa.select(Measurement).where(
                Measurement.enterprise_id == enterprise_id, Measurement.status == Status.DRAFT
            )
        ).all()
        for measurement in drafts:
            kpi_services.submit_measurement(
                measurement.entered_by, measurement, seen_version=measurement.version
            )


CONFLICT_ROW = re.compile(
    r'<tr( class="differs")?><th scope="row">([^<]+?)(?: <span[^>]*>[^<]*</span>)?</th>'
    r'<td class="prewrap"[^>]*>([^<]*)</td><td class="prewrap"[^>]*>([^<]*)</td></tr>'
)


def conflict_table(html: str) -> dict[str, tuple[str, str, bool]]:
    """The both-versions table of a conflict: label -> (theirs, yours, marked different)."""
    return {
        label.strip(): (theirs, yours, bool(differs))
        for differs, label, theirs, yours in CONFLICT_ROW.findall(html)
    }


VERSION_FIELD = re.compile(r'name="version" value="(\d+)"')


def seen_version(client, page: str) -> str:
    """The version of a record that its page's forms send back, read off the page."""
    response = client.get(page)
    match = VERSION_FIELD.search(response.get_data(as_text=True))
    assert match, f"{page} ({response.status_code}) has no version field"
    return match.group(1)


def post_seen(client, url: str, data: dict | None = None, **kwargs):
    """Post a form of a versioned record as a browser does, with the version its page shows:
    the form's own page when `url` is one (`.../edit`, `/admin/users/1`, `/account`), else the
    record's page that holds the button (`/actions/1/move` -> `/actions/1`)."""
    shown = VERSION_FIELD.search(client.get(url).get_data(as_text=True))
    version = shown.group(1) if shown else seen_version(client, url.rsplit("/", 1)[0])
    return client.post(url, data={"version": version, **(data or {})}, **kwargs)


@pytest.fixture
def client_as(app, create_user):
    """A signed-in client for a role (or a given user)."""

    def make(role_or_user, **fields):
        user = (
            create_user(role_or_user, **fields) if isinstance(role_or_user, str) else role_or_user
        )
        return sign_in(app.test_client(), user)

    return make
