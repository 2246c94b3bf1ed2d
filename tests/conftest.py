"""Fixtures: one app for the whole session on a migrated database (SQLite in memory-backed
storage, or PostgreSQL from SCORE_TEST_DATABASE_URL), each test in a transaction rolled back at
its end, a client per role, and factories for test data.

Every session of the test apps joins the test's transaction on one connection: what the app
commits is a savepoint released, what it rolls back a savepoint rolled back, and the end of the
test rolls everything back, so a test costs its own work, not the set-up's. A test whose rows must
be seen by another connection, thread or process (two requests racing, a connection cut or held,
a backup, the live server of tests/e2e) is marked `committing`: it commits for real and every
table is emptied after it."""

import email
import email.policy
import itertools
import os
import re
import shutil
import socket
import tempfile
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

from score_app import create_app
from score_app.auth.models import Role
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.extensions import db, limiter
from score_app.i18n import name_key
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
# SQLite's file in memory-backed storage: a commit need not wait for the disk.
FAST_FOLDER = Path("/dev/shm")


class NeedsCommitting(RuntimeError):
    """A test in a rolled-back transaction did what only real commits can serve."""

    def __init__(self, why: str):
        super().__init__(f"{why}. Mark the test @pytest.mark.committing (see tests/conftest.py).")


ITS_OWN_CONNECTION = "cannot see the test's rows, which are never committed"


class _Joined:
    """The connection whose transaction the running test's sessions join, if it has one, the
    thread that runs the test, and the apps on the test database."""

    connection: sa.Connection | None = None
    thread: int | None = None
    apps: "weakref.WeakSet" = weakref.WeakSet()


class _TestSession(FlaskSession):
    """Flask-SQLAlchemy's session, joined to the test's transaction while one is open."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        connection = _Joined.connection
        joined = connection is not None and current_app._get_current_object() in _Joined.apps
        if bind is None and joined:
            if threading.get_ident() != _Joined.thread:
                raise NeedsCommitting(
                    f"The app ran in another thread, whose connection {ITS_OWN_CONNECTION}"
                )
            return connection
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


# A commit joins the open transaction as a savepoint of its own, released on commit and rolled
# back on rollback; the test's transaction stays open under it. Flask-SQLAlchemy makes its
# scoped session so, from the options it was created with.
db.session = db._make_scoped_session(
    {"class_": _TestSession, "join_transaction_mode": "create_savepoint"}
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "committing: the test commits for real, and the tables are emptied after it, because "
        "another connection, thread or process must see its rows",
    )


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    url = os.environ.get("SCORE_TEST_DATABASE_URL")
    if url:
        _empty_postgres(url)
        yield url
        return
    if not FAST_FOLDER.is_dir():
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
        return
    folder = tempfile.mkdtemp(prefix="score-tests-", dir=FAST_FOLDER)
    yield "sqlite:///" + str(Path(folder) / "test.db")
    shutil.rmtree(folder, ignore_errors=True)


def _build_app(database_url: str, **overrides):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    if app.config["SQLALCHEMY_DATABASE_URI"] == database_url:
        _Joined.apps.add(app)
        with app.app_context():
            engine = db.engine
        event.listen(engine, "checkout", _refuse_own_connections)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _commit_without_waiting_for_the_disk)
    return app


def _refuse_own_connections(_dbapi_connection, _record, _proxy) -> None:
    if _Joined.connection is not None:
        raise NeedsCommitting(
            f"The test opened a connection of its own, which {ITS_OWN_CONNECTION}"
        )


def _commit_without_waiting_for_the_disk(dbapi_connection, _record) -> None:
    """A commit returns before PostgreSQL has flushed it to disk: a crash could lose the last
    commits, which a test database does not mind."""
    dbapi_connection.execute("SET synchronous_commit = off")
    dbapi_connection.commit()


@pytest.fixture(scope="session")
def migrated_url(database_url) -> str:
    """The test database, built by the migrations exactly as production builds it."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def shared_app(migrated_url):
    """The one app of the session, for every test that needs no setting changed."""
    app = _build_app(migrated_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def _test_connection(shared_app):
    """The connection that holds each test's transaction. pysqlite would begin its own
    transactions, and SAVEPOINT with them, only before a write: it is told to leave that alone
    and the BEGIN is sent by hand (SQLAlchemy's recipe for savepoints on pysqlite)."""
    with shared_app.app_context():
        connection = db.engine.connect()
    if connection.dialect.name == "sqlite":
        connection.connection.dbapi_connection.isolation_level = None
    yield connection
    connection.close()


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@contextmanager
def committed(app):
    """Commit for real while the block runs, and empty every table after it."""
    try:
        yield
    finally:
        with app.app_context():
            _empty_tables()


SEQUENCES = sa.text(
    "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences"
    " WHERE schemaname = current_schema()"
)
SET_SEQUENCES = sa.text(
    "SELECT setval(CAST(name AS regclass), coalesce(value, 1), value IS NOT NULL)"
    " FROM unnest(CAST(:names AS text[]), CAST(:values AS bigint[])) AS s(name, value)"
)


class _SavepointWatch:
    """Each session's transaction is a savepoint, so one that another session's commit landed
    in, and that then rolls back, would take that commit with it, which a real commit would
    survive: such a test must commit for real (see NeedsCommitting). Savepoints end last
    opened first, or the database refuses."""

    EVENTS = ("savepoint", "release_savepoint", "rollback_savepoint")

    def __init__(self, connection):
        self.connection = connection
        self.holds_a_commit: list[bool] = []  # one per open savepoint, innermost last
        self.undone_commits = 0
        for name in self.EVENTS:
            event.listen(connection, name, getattr(self, name))

    def stop(self) -> None:
        for name in self.EVENTS:
            event.remove(self.connection, name, getattr(self, name))

    def savepoint(self, _connection, _name) -> None:
        self.holds_a_commit.append(False)

    def release_savepoint(self, _connection, _name, _context) -> None:
        if self.holds_a_commit:
            self.holds_a_commit.pop()
        if self.holds_a_commit:
            self.holds_a_commit[-1] = True

    def rollback_savepoint(self, _connection, _name, _context) -> None:
        if self.holds_a_commit and self.holds_a_commit.pop():
            self.undone_commits += 1


@contextmanager
def rolled_back(connection):
    """Join every session of the test apps to one transaction, rolled back after the block.
    PostgreSQL's sequences do not roll back: they are set back too, so ids count from where
    they did before the block, as the emptied tables of a committing test count from 1."""
    transaction = connection.begin()
    sequences = ()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
    else:
        sequences = connection.execute(SEQUENCES).all()
    _Joined.connection, _Joined.thread = connection, threading.get_ident()
    watch = _SavepointWatch(connection)
    try:
        yield
    finally:
        _Joined.connection = _Joined.thread = None
        watch.stop()
        transaction.rollback()
        if sequences:
            names, values = zip(*sequences, strict=True)
            connection.execute(SET_SEQUENCES, {"names": list(names), "values": list(values)})
            connection.rollback()  # setval is kept: sequences are outside transactions
    if watch.undone_commits:
        raise NeedsCommitting(
            "A session rolled back over another session's commit, which a real commit survives"
        )


@pytest.fixture
def isolated(request, shared_app, _test_connection):
    """The test's own database: a transaction rolled back at its end, or, for a test marked
    `committing`, real commits and every table emptied after it."""
    try:
        if request.node.get_closest_marker("committing"):
            with committed(shared_app):
                yield
        else:
            with rolled_back(_test_connection):
                yield
    finally:
        # Making an app initialises the one limiter object for it; the shared app gets it back.
        limiter.init_app(shared_app)


@pytest.fixture
def make_app(migrated_url, isolated):
    """Build an app on the test database with some settings changed."""
    apps = []

    def make(**overrides):
        app = _build_app(migrated_url, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(shared_app, isolated):
    """The shared app, with any setting a test changes put back after it."""
    config = dict(shared_app.config)
    yield shared_app
    shared_app.config.clear()
    shared_app.config.update(config)


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


def enterprise_factory(app):
    """A function that saves an enterprise with sensible defaults, numbered by its calls."""
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
            enterprise = Enterprise(name_folded=name_key(values["name"]), **values)
            db.session.add(enterprise)
            db.session.commit()
            return _detached(enterprise)

    return make


def user_factory(app):
    """A function that saves a user of a role, with the test password, numbered by its calls."""
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
def create_enterprise(app):
    return enterprise_factory(app)


@pytest.fixture
def create_user(app):
    return user_factory(app)


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


class _Mailbox:
    """An SMTP server's handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox() -> Iterator[_Mailbox]:
    """A real SMTP server on this machine for the test, and the messages it received."""
    box = _Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=_free_port())
    server.start()
    box.port = server.port
    yield box
    server.stop()


@pytest.fixture
def mail_app(make_app, mailbox):
    """An app that sends its mails to the test's SMTP server, its links under a public URL."""
    return make_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=mailbox.port, SCORE_PUBLIC_URL="https://score.test"
    )


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


def job_document(client, url: str):
    """A document that a background job makes: ask for it and, when its address answers with
    the job's page (303; with no queue configured the job has run by then), download the job's
    file from that page. Any other answer is returned as it is."""
    response = client.get(url)
    if response.status_code != 303:
        return response
    page = client.get(response.location)
    assert page.status_code == 200
    found = re.search(r'href="(/jobs/\d+/file)"', page.get_data(True))
    assert found, page.get_data(True)
    return client.get(found.group(1))
