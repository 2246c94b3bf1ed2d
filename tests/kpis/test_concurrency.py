"""Writes of one enterprise's figures at the same moment, as two people's requests on their own
connections: one waits for the other, a save from a version changed meanwhile is an edit
conflict (409, or the page's own message), and none ends in a deadlock shown as an outage (503)."""

import re
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from psycopg.errors import DeadlockDetected, SerializationFailure
from sqlalchemy import func, select

from score_app.auth import services as auth_services
from score_app.auth.models import User
from score_app.extensions import db
from score_app.kpis import services
from score_app.kpis.models import AuditAction, Measurement, MeasurementAudit, Status
from tests.conftest import conflict_table, seen_version, sign_in
from tests.kpis.conftest import period_form
from tests.programme.conftest import add_measurement, check, csv_bytes, row

# Each request of a race runs in a thread, on a connection, of its own.
pytestmark = pytest.mark.committing

TRIES = 15  # the same moment, again and again: a deadlock showed in 11 tries of 15
CHANGED = "Someone else changed this after you opened the page"
EDITED_MEANWHILE = "Someone else changed this while you were editing it"
DELETED = "Someone else deleted this measurement meanwhile"
CHANGED_PERIOD = "Nothing was saved: figures are already saved for this period."
CHANGED_API = "Someone else changed this measurement since the version you sent"
CHANGED_IMPORT = "someone changed some of these figures while the file was being saved"


def _writes(statement: str) -> bool:
    """A statement that writes, or locks rows for writing (PostgreSQL's FOR ... UPDATE)."""
    return statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) or bool(
        re.search(r"\bFOR (NO KEY )?UPDATE\b", statement)
    )


def at_the_same_moment(app, *requests):
    """Make each request (a function with a client of its own) in a thread of its own, so on a
    connection of its own, and let none go on past its first write, or its first lock for one,
    until every other has come that far too: each has read what it changes before any of them
    writes. The responses, in the order of `requests`."""
    barrier = threading.Barrier(len(requests), timeout=20)
    lined_up = threading.local()
    responses, failures = [None] * len(requests), []

    def wait_once():
        if not getattr(lined_up, "done", False):
            lined_up.done = True
            barrier.wait()

    def before_write(_conn, _cursor, statement, *_args):
        if _writes(statement):
            wait_once()

    def run(index, request):
        try:
            responses[index] = request()
            responses[index].get_data()  # a streamed page does its work as it is read
        except Exception as error:  # told to the test below
            failures.append(error)
        finally:
            wait_once()  # a request that wrote nothing lets the others go on

    engine = _engine(app)
    sa.event.listen(engine, "before_cursor_execute", before_write)
    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(requests)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_write)
    assert not failures, failures
    return responses


def _engine(app) -> sa.Engine:
    with app.app_context():
        return db.engine


def _edit(defective: int, version: int) -> dict:
    return {"version": version, "defective_units": defective, "inspected_units": "1500"}


def _stored(app, measurement_id: int) -> tuple | None:
    with app.app_context():
        measurement = db.session.get(Measurement, measurement_id)
        if measurement is None:
            return None
        return (measurement.input_1, measurement.status.value, measurement.version)


def _audit_actions(app, measurement_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(MeasurementAudit.action)
                .where(MeasurementAudit.measurement_id == measurement_id)
                .order_by(MeasurementAudit.id)
            )
        )


def test_two_edits_at_the_same_moment_save_one_and_show_the_other_both_versions(
    app, figures_world, draft
):
    owner, trainer = figures_world["clients"]["owner"], figures_world["clients"]["trainer"]
    url = f"/measurements/{draft}/edit"
    for attempt in range(TRIES):
        version = int(seen_version(owner, url))
        typed = (100 + 2 * attempt, 101 + 2 * attempt)
        responses = at_the_same_moment(
            app,
            lambda v=version, n=typed[0]: owner.post(url, data=_edit(n, v)),
            lambda v=version, n=typed[1]: trainer.post(url, data=_edit(n, v)),
        )
        codes = [response.status_code for response in responses]
        assert sorted(codes) == [302, 409], f"try {attempt + 1}: {codes}"
        saved, refused = typed[codes.index(302)], typed[codes.index(409)]
        page = responses[codes.index(409)].get_data(True)
        assert EDITED_MEANWHILE in page
        assert conflict_table(page)["Defective units"] == (str(saved), str(refused), True)
        assert _stored(app, draft) == (saved, "draft", version + 1)
    assert _audit_actions(app, draft) == [AuditAction.CREATE] + [AuditAction.EDIT] * TRIES


def test_two_people_entering_figures_of_one_enterprise_at_the_same_moment_both_save(
    app, figures_world
):
    """Each new row refers to the enterprise whose figures the other save waits for."""
    owner, trainer = figures_world["clients"]["owner"], figures_world["clients"]["trainer"]
    url = f"/enterprises/{figures_world['enterprise'].id}/measurements/new"
    owners = {"defect_rate": {"defective_units": "45", "inspected_units": "1500"}}
    trainers = {"absenteeism_rate": {"absent_person_days": "30", "scheduled_person_days": "1000"}}
    for attempt in range(TRIES):
        day = date(2023, 1, 1) + timedelta(days=attempt)
        period = {"phase": "follow_up" if attempt else "baseline", "start": day, "end": day}
        responses = at_the_same_moment(
            app,
            lambda p=period: owner.post(url, data=period_form(**p, **owners)),
            lambda p=period: trainer.post(url, data=period_form(**p, **trainers)),
        )
        assert [r.status_code for r in responses] == [302, 302], f"try {attempt + 1}"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Measurement)) == 2 * TRIES


# The owner edits a measurement (to 40 defective units) at the same moment as someone else
# writes it another way: what the other write stores when it is kept, and what its page says
# when it is refused.
THEIRS = {
    "period": ((50, "draft"), CHANGED_PERIOD),
    "submit": ((30, "submitted"), CHANGED),
    "delete": (None, CHANGED),
    "api_patch": ((50, "draft"), CHANGED_API),
    "import": ((50, "draft"), CHANGED_IMPORT),
}


@pytest.mark.parametrize("write", THEIRS)
def test_any_write_of_figures_at_the_same_moment_as_an_edit_keeps_one_and_tells_the_other(
    app, figures_world, tmp_path, write
):
    app.config["SCORE_IMPORT_DIR"] = str(tmp_path / "imports")
    owner = figures_world["clients"]["owner"]
    make_theirs = _their_writes(app, figures_world)[write]
    kept_if_theirs, their_refusal = THEIRS[write]
    for attempt in range(5):
        month = (date(2024, attempt + 1, 1), date(2024, attempt + 1, 28))
        with app.app_context():
            measurement_id = add_measurement(
                figures_world["enterprise"].id, period=month, inputs=(30, 1500),
                status=Status.DRAFT,
            )  # fmt: skip
        edit = f"/measurements/{measurement_id}/edit"
        version = int(seen_version(owner, edit))
        mine, theirs = at_the_same_moment(
            app,
            lambda u=edit, v=version: owner.post(u, data=_edit(40, v)),
            make_theirs(measurement_id, version, month),
        )
        stored = _stored(app, measurement_id)
        if mine.status_code == 302 and stored == (40, "draft", version + 1):  # mine was first
            assert their_refusal in theirs.get_data(True), f"try {attempt + 1}"
            continue
        assert stored == (None if kept_if_theirs is None else (*kept_if_theirs, version + 1))
        if write == "delete":  # my page says it is gone
            assert mine.status_code == 302 and mine.location.endswith("/measurements")
        else:
            assert mine.status_code == 409 and EDITED_MEANWHILE in mine.get_data(True)


def _their_writes(app, world) -> dict:
    """For each kind of write: a function of (measurement id, version, period) giving the
    request, made by someone other than the owner, that writes the measurement so."""
    trainer, enterprise_id = world["clients"]["trainer"], world["enterprise"].id
    staff = sign_in(app.test_client(), world["users"]["staff"])
    api, token = _api_client(app, world["users"]["trainer"])

    def period(_measurement_id, version, month):
        values = {"defective_units": "50", "inspected_units": "1500", "version": version}
        data = period_form(start=month[0], end=month[1], defect_rate=values) | {"new_cycle": "y"}
        return lambda: trainer.post(f"/enterprises/{enterprise_id}/measurements/new", data=data)

    def step(name, **fields):
        def make(measurement_id, version, _month):
            url = f"/measurements/{measurement_id}/{name}"
            data = {"version": version, **fields}
            return lambda: trainer.post(url, data=data, follow_redirects=True)

        return make

    def api_patch(measurement_id, version, _month):
        body = {"version": version, "inputs": {"defective_units": 50}}
        return lambda: api.patch(f"/api/v1/measurements/{measurement_id}", json=body, headers=token)

    def file_import(_measurement_id, _version, month):
        figures = row(enterprise_id, start=str(month[0]), end=str(month[1]), inputs=("50", "1500"))
        _page, saving = check(staff, csv_bytes([figures]))  # checked before the race
        return lambda: staff.post(f"/programme/imports/{saving}/save", follow_redirects=True)

    return {
        "period": period,
        "submit": step("submit"),
        "delete": step("delete", reason="Entered twice"),
        "api_patch": api_patch,
        "import": file_import,
    }


def _api_client(app, user):
    with app.app_context():
        _token, plain = auth_services.create_token(db.session.get(User, user.id), "test")
    return app.test_client(), {"Authorization": f"Bearer {plain}"}


@pytest.mark.parametrize("broken_off", [DeadlockDetected, SerializationFailure])
def test_a_save_the_database_breaks_off_for_another_is_an_edit_conflict_not_an_outage(
    app, figures_world, draft, tmp_path, monkeypatch, broken_off
):
    """PostgreSQL may still break a save off for another one at the same moment (a deadlock
    with a path that takes its locks otherwise, or a serialization failure): that is someone
    else's save, refused like any edit conflict, never "unavailable" (503)."""
    app.config["SCORE_IMPORT_DIR"] = str(tmp_path / "imports")
    staff = sign_in(app.test_client(), figures_world["users"]["staff"])
    _page, token = check(
        staff, csv_bytes([row(figures_world["enterprise"].id, inputs=("50", "1500"))])
    )
    api, headers = _api_client(app, figures_world["users"]["trainer"])

    def refresh_latest(_groups):
        message = f"{broken_off.__name__}: process 1 waits for ShareLock on transaction 2"
        raise sa.exc.OperationalError("UPDATE measurements ...", {}, broken_off(message))

    monkeypatch.setattr(services, "refresh_latest", refresh_latest)
    page = figures_world["clients"]["owner"].post(f"/measurements/{draft}/edit", data=_edit(60, 1))
    assert page.status_code == 409 and EDITED_MEANWHILE in page.get_data(True)
    answer = api.patch(
        f"/api/v1/measurements/{draft}", json={"version": 1, "comment": "x"}, headers=headers
    )
    assert answer.status_code == 409 and CHANGED_API in answer.json["error"]
    assert answer.json["current"]["version"] == 1
    saved = staff.post(f"/programme/imports/{token}/save", follow_redirects=True)
    assert CHANGED_IMPORT in saved.get_data(True)
    assert _stored(app, draft) == (45, "draft", 1)
    assert _audit_actions(app, draft) == [AuditAction.CREATE]
