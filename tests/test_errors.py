"""Error pages in the user's language, JSON errors for the API, and nothing half-saved."""

import html
import sqlite3

import pytest
import sqlalchemy as sa
from psycopg.errors import DeadlockDetected
from sqlalchemy import func, select

from score_app.auth.models import User
from score_app.auth.services import create_token
from score_app.documents.services import Document
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.i18n import gettext, in_locale
from score_app.kpis.models import Measurement, MeasurementAudit
from score_app.pdf import render_pdf
from tests.conftest import saved_meanwhile, sign_in
from tests.kpis.conftest import period_form
from tests.programme.conftest import check, csv_bytes, row


def test_unknown_page_is_a_404_page_in_the_users_language(client_as):
    response = client_as("trainer", preferred_locale="es").get("/no-such-page")
    assert response.status_code == 404
    assert '<html lang="es">' in response.get_data(True)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json


def test_a_server_error_shows_the_500_page_and_keeps_nothing(make_app, create_user):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/explode")
    def explode():
        db.session.add(Enterprise(name="Half", name_folded="half", country="GH", sector="other"))
        db.session.flush()
        raise RuntimeError("boom")

    client = sign_in(app.test_client(), create_user("admin"))
    response = client.get("/explode")
    assert response.status_code == 500
    assert "Your last change was not saved." in response.get_data(True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


@pytest.mark.committing
def test_a_save_that_met_another_unforeseen_is_a_409_and_keeps_nothing(
    make_app, create_user, create_enterprise
):
    """A use case that does not expect someone else's save at the same moment (no
    first_save_wins) still keeps nothing and says why, instead of a 500."""
    app = make_app()
    enterprise = create_enterprise(product="Shirts")

    @app.post("/retitle")
    def retitle():
        db.session.get(Enterprise, enterprise.id).product = "Trousers"
        db.session.commit()
        return "saved"

    client = sign_in(app.test_client(), create_user("admin"))
    theirs = (
        sa.update(Enterprise)
        .where(Enterprise.id == enterprise.id)
        .values(product="Caps", version=Enterprise.version + 1)
    )
    with saved_meanwhile(theirs):
        response = client.post("/retitle")
    assert response.status_code == 409
    assert "Someone else changed this after you opened the page" in response.get_data(True)
    with app.app_context():
        assert db.session.get(Enterprise, enterprise.id).product == "Caps"


def test_ids_and_page_numbers_too_large_for_the_database_are_not_found(
    client_as, create_enterprise
):
    client = client_as("admin")
    huge = "99999999999999999999"
    assert client.get(f"/enterprises/{huge}").status_code == 404
    assert client.get(f"/enterprises?page={huge}").status_code == 200
    assert client.get("/enterprises?page=2147483648").status_code == 200
    assert (
        client.get(f"/enterprises/{create_enterprise().id}/indicators?follow_up={huge}").status_code
        == 200
    )


def test_a_save_broken_off_for_another_is_a_409_page_or_json_never_a_503(make_app, create_user):
    """PostgreSQL's deadlock_detected or serialization_failure, wherever no service turned it
    into an edit conflict already: someone else's save came first."""
    app = make_app()

    @app.post("/collide")
    @app.post("/api/v1/collide")
    def collide():
        db.session.add(Enterprise(name="Half", name_folded="half", country="GH", sector="other"))
        db.session.flush()
        raise sa.exc.OperationalError("UPDATE enterprises ...", {}, DeadlockDetected("deadlock"))

    client = sign_in(app.test_client(), create_user("admin", preferred_locale="fr"))
    changed = _in_locale(app, "fr", CHANGED_ELSEWHERE)
    page = client.post("/collide")
    assert page.status_code == 409 and changed in html.unescape(page.get_data(True))
    api = client.post("/api/v1/collide")
    assert api.status_code == 409 and api.json == {"error": changed}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


CHANGED_ELSEWHERE = (
    "Someone else changed this after you opened the page, so nothing was done. "
    "Check what it says now and try again."
)


# The database going away: a 503 in the user's language, nothing half-saved, and recovery.


def _unreachable(database_url: str, tmp_path) -> str:
    """The same database at an address where nothing answers."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return str(url.set(database=str(tmp_path / "no-such-folder" / "score.db")))
    return url.set(port=1).render_as_string(hide_password=False)


def _cut(app, dbapi_connection) -> None:
    """Lose a connection as a network cut or a database restart would: PostgreSQL ends the
    server process behind it; SQLite's handle is closed under the app."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.close()
        return
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.NullPool)
    with engine.connect() as admin:
        pid = dbapi_connection.info.backend_pid
        admin.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    engine.dispose()


def _in_locale(app, locale: str, message: str) -> str:
    with app.test_request_context(), in_locale(locale):
        return gettext(message)


UNAVAILABLE = (
    "The service is unavailable for a moment. Your last change was not saved. "
    "Try again in a minute."
)


def test_an_unreachable_database_gives_a_503_in_the_users_language(
    app, make_app, database_url, tmp_path, create_user
):
    user = create_user("trainer", full_name="Kofi Mensah")
    client = sign_in(app.test_client(), user)
    client.post("/locale", data={"locale": "fr"})
    down = make_app(SQLALCHEMY_DATABASE_URI=_unreachable(database_url, tmp_path))
    visitor = down.test_client()
    visitor.set_cookie("session", client.get_cookie("session").value)

    response = visitor.get("/enterprises")
    page = html.unescape(response.get_data(True))  # "n'a" is written n&#39;a in the page
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert '<html lang="fr">' in page and "Aller au contenu" in page
    assert _in_locale(app, "fr", UNAVAILABLE) in page
    assert "Kofi Mensah" not in page  # the user menu would need the database

    api = visitor.get(
        "/api/v1/enterprises", headers={"Authorization": "Bearer x", "Accept-Language": "es"}
    )
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.json == {"error": _in_locale(app, "es", UNAVAILABLE)}


@pytest.mark.committing
def test_a_request_that_finds_every_connection_busy_gets_a_503(make_app, create_user):
    busy = make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.1}
    )
    client = sign_in(busy.test_client(), create_user("trainer"))
    client.post("/locale", data={"locale": "es"})
    with _engine(busy).connect():  # the pool's only connection, held elsewhere
        page = client.get("/enterprises")
        api = client.get(
            "/api/v1/enterprises", headers={"Authorization": "Bearer x", "Accept-Language": "fr"}
        )
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert '<html lang="es">' in page.get_data(True)
    assert html.escape(_in_locale(busy, "es", UNAVAILABLE)) in page.get_data(True)
    assert api.status_code == 503 and api.json == {"error": _in_locale(busy, "fr", UNAVAILABLE)}
    assert client.get("/enterprises").status_code == 200  # the connection is free again


@pytest.mark.committing
def test_connections_lost_between_requests_are_replaced_unnoticed(app, client_as):
    client = client_as("admin")
    pooled = []
    engine = _engine(app)
    sa.event.listen(engine, "connect", lambda conn, _record: pooled.append(conn))
    engine.dispose()
    assert client.get("/enterprises").status_code == 200
    assert pooled
    for connection in pooled:
        _cut(app, connection)
    # The pool checks each connection before lending it (pool_pre_ping) and opens a new one.
    assert client.get("/enterprises").status_code == 200


@pytest.mark.committing
def test_a_connection_lost_while_saving_a_period_saves_nothing(app, create_enterprise, create_user):
    enterprise = create_enterprise()
    owner = create_user("enterprise_owner", enterprises=[enterprise], preferred_locale="fr")
    client = sign_in(app.test_client(), owner)
    url = f"/enterprises/{enterprise.id}/measurements/new"
    form = period_form(
        operating_efficiency={"minutes_produced": "6310", "minutes_attended": "10000"},
        defect_rate={"defective_units": "45", "inspected_units": "1500"},
    )
    inserts = []

    def cut_at_second_measurement(conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO measurements "):
            inserts.append(statement)
            if len(inserts) == 2:
                _cut(app, conn.connection.dbapi_connection)

    engine = _engine(app)
    sa.event.listen(engine, "before_cursor_execute", cut_at_second_measurement)
    response = client.post(url, data=form)
    sa.event.remove(engine, "before_cursor_execute", cut_at_second_measurement)

    assert len(inserts) == 2
    assert response.status_code == 503 and '<html lang="fr">' in response.get_data(True)
    assert _count(app, Measurement) == 0 and _count(app, MeasurementAudit) == 0
    assert client.post(url, data=form).status_code == 302
    assert _count(app, Measurement) == 2 and _count(app, MeasurementAudit) == 2


def _request_connection():
    """The connection of the request's session, as the request is being answered."""
    return db.session.connection().connection.dbapi_connection


def _signed_in_as_french_owner(app, create_enterprise, create_user):
    """(an enterprise, its owner's client, the owner), the owner reading French."""
    enterprise = create_enterprise()
    owner = create_user("enterprise_owner", enterprises=[enterprise], preferred_locale="fr")
    return enterprise, sign_in(app.test_client(), owner), owner


def _is_the_503_page(app, response, locale: str) -> bool:
    page = html.unescape(response.get_data(True))
    return (
        response.status_code == 503
        and response.headers["Retry-After"] == "30"
        and response.mimetype == "text/html"
        and f'<html lang="{locale}">' in page
        and _in_locale(app, locale, UNAVAILABLE) in page
        and "default-src 'self'" in response.headers["Content-Security-Policy"]
    )


@pytest.mark.committing
def test_a_connection_lost_while_the_plan_pdf_is_drawn_gives_the_503_page(
    app, create_enterprise, create_user, monkeypatch
):
    """The PDF is drawn after the last query: nothing meets the loss but the transaction's end,
    which used to fail once the answer was made (the server's bare 500)."""
    enterprise, owner, _user = _signed_in_as_french_owner(app, create_enterprise, create_user)
    drawn = []

    def cut_while_drawing(document):
        _cut(app, _request_connection())
        drawn.append(document.filename)
        return render_pdf(document.html)

    monkeypatch.setattr(Document, "pdf", cut_while_drawing)
    response = owner.get(f"/enterprises/{enterprise.id}/plan.pdf")
    assert drawn and _is_the_503_page(app, response, "fr")
    monkeypatch.undo()
    again = owner.get(f"/enterprises/{enterprise.id}/plan.pdf")  # the pool has recovered
    assert again.status_code == 200 and again.mimetype == "application/pdf"


@pytest.mark.committing
def test_a_connection_lost_once_the_answer_is_made_gives_a_503_page_or_json(
    make_app, create_enterprise, create_user
):
    app = make_app()
    lost = []

    @app.after_request
    def cut_after_the_view(response):  # runs before the app's own after_request hooks
        if lost == ["cut"]:
            _cut(app, _request_connection())
            lost.append("done")
        return response

    enterprise, owner, user = _signed_in_as_french_owner(app, create_enterprise, create_user)
    with app.app_context():
        _token, plain = create_token(db.session.get(User, user.id), "phone")
    api = {"Authorization": f"Bearer {plain}", "Accept-Language": "es"}
    lost.append("cut")
    page = owner.get(f"/enterprises/{enterprise.id}")
    assert lost == ["cut", "done"] and _is_the_503_page(app, page, "fr")
    lost[:] = ["cut"]
    answer = owner.get(f"/api/v1/enterprises/{enterprise.id}", headers=api)
    assert lost == ["cut", "done"]
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert answer.json == {"error": _in_locale(app, "es", UNAVAILABLE)}
    assert owner.get(f"/enterprises/{enterprise.id}").status_code == 200
    assert owner.get(f"/api/v1/enterprises/{enterprise.id}", headers=api).status_code == 200


def test_an_error_page_that_needs_the_lost_database_is_the_503(
    app, make_app, database_url, tmp_path, create_user
):
    """A 404 shows the signed-in user's menu in their language: both need the database."""
    client = sign_in(app.test_client(), create_user("trainer", full_name="Kofi Mensah"))
    client.post("/locale", data={"locale": "fr"})
    down = make_app(SQLALCHEMY_DATABASE_URI=_unreachable(database_url, tmp_path))
    visitor = down.test_client()
    visitor.set_cookie("session", client.get_cookie("session").value)

    page = visitor.get("/no-such-page")
    assert _is_the_503_page(app, page, "fr") and "Kofi Mensah" not in page.get_data(True)
    api = visitor.get("/api/v1/no-such-thing")
    assert api.status_code == 503 and api.json == {"error": _in_locale(app, "fr", UNAVAILABLE)}


@pytest.mark.committing
def test_a_connection_lost_while_an_import_is_saved_says_so_on_its_page_and_saves_nothing(
    app, create_enterprise, create_user, tmp_path
):
    """The import's page is sent as the file is read, so it began as a 200: it says what the
    503 page would, and the file can be saved again."""
    app.config["SCORE_IMPORT_DIR"] = str(tmp_path / "imports")
    enterprise = create_enterprise()
    staff = sign_in(
        app.test_client(), create_user("programme_staff", countries=["GH"], preferred_locale="fr")
    )
    rows = [row(enterprise.id), row(enterprise.id, start="2025-02-01", end="2025-02-28")]
    _page, token = check(staff, csv_bytes(rows))
    before = (_count(app, Measurement), _count(app, MeasurementAudit))
    inserts = []

    def cut_at_the_first_insert(conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO measurements ") and not inserts:
            inserts.append(statement)
            _cut(app, conn.connection.dbapi_connection)

    engine = _engine(app)
    sa.event.listen(engine, "before_cursor_execute", cut_at_the_first_insert)
    try:
        response = staff.post(f"/programme/imports/{token}/save", follow_redirects=True)
        page = html.unescape(response.get_data(True))
    finally:
        sa.event.remove(engine, "before_cursor_execute", cut_at_the_first_insert)

    assert inserts and response.status_code == 200
    assert _in_locale(app, "fr", UNAVAILABLE) in page
    assert (_count(app, Measurement), _count(app, MeasurementAudit)) == before
    again = staff.post(f"/programme/imports/{token}/save", follow_redirects=True)
    again = html.unescape(again.get_data(True))
    assert _in_locale(app, "fr", UNAVAILABLE) not in again
    saved = (_count(app, Measurement), _count(app, MeasurementAudit))
    assert saved == (before[0] + 2, before[1] + 2)


def _engine(app) -> sa.Engine:
    with app.app_context():
        return db.engine


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))
