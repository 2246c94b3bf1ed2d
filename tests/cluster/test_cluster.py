"""Two app servers sharing PostgreSQL and Redis, as several machines do (tests/cluster/servers.py,
`make cluster`): what one server saves or counts, the other shows or applies. Runs wherever
PostgreSQL and Redis are reachable (CI has both); the servers start once for the module."""

import calendar
import html
import http.cookiejar
import io
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from redis import Redis
from redis.exceptions import RedisError

from score_app.programme.spreadsheets import MEDIA_TYPES
from tests.cluster import servers
from tests.programme.conftest import csv_bytes, row, xlsx_bytes

BASE_URL = os.environ.get(
    "SCORE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASE_URL = (
    sa.make_url(BASE_URL)
    .set(database=f"{sa.make_url(BASE_URL).database}_cluster")
    .render_as_string(hide_password=False)
)
REDIS_URL = os.environ.get("SCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# A job's page reads as done once it shows the job's report (or its failure).
DONE = re.compile(r'data-state="(finished|failed)"')
PASSWORD = "cluster-password-1"
FAILURES = 5  # SCORE_LOGIN_LOCKOUT_FAILURES's default
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _reachable() -> str | None:
    """Why the cluster cannot run here, or None."""
    try:
        servers.postgres.create_if_missing(DATABASE_URL)
    except sa.exc.OperationalError:
        return f"PostgreSQL is not reachable at {BASE_URL}"
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisError:
        return f"Redis is not reachable at {REDIS_URL}"
    return None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = _reachable()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL and Redis: {missing}")
        pytest.skip(missing)
    # Two app servers of one gunicorn worker each: within one server nothing is shared either.
    running = servers.start(
        DATABASE_URL,
        REDIS_URL,
        [_free_port(), _free_port()],
        workers=1,
        empty=True,
        settings={"SCORE_LOGIN_RATE_LIMIT": "1000 per minute"},
    )
    try:
        yield {"urls": running.urls, "running": running, **_people_and_plan()}
    finally:
        running.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _people_and_plan() -> dict:
    """An enterprise, its owner with a plan of one action, written through the services into
    the cluster's database."""
    from score_app import create_app
    from score_app.auth.models import Role, User
    from score_app.enterprises.models import Enterprise
    from score_app.extensions import db
    from score_app.plans import services as plan_services
    from score_app.users import services as user_services
    from tests.plans.conftest import action_fields, service_fields

    app = create_app({"SQLALCHEMY_DATABASE_URI": DATABASE_URL, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        enterprise = Enterprise(name="Tema Textiles", name_folded="tema textiles", country="GH",
                                sector="textiles", data_sharing_consent=True)  # fmt: skip
        db.session.add(enterprise)
        db.session.commit()
        owner = user_services.create_user(
            # Sign-in counts stay in Redis for minutes: each run has an account of its own.
            email=f"owner-{uuid.uuid4().hex[:12]}@cluster.example.org", full_name="Ama Owusu",
            role=Role.ENTERPRISE_OWNER,
            password=PASSWORD, countries=[], enterprise_ids=[enterprise.id],
        )  # fmt: skip
        owner = db.session.get(User, owner.id)
        plan = plan_services.start_plan(
            owner, enterprise, title="Plan", started_on=date(2025, 2, 1), carry_over=False,
            seen_current=None,
        )  # fmt: skip
        action = plan_services.add_action(owner, plan, service_fields(action_fields()))
        staff = user_services.create_user(
            email=f"staff-{uuid.uuid4().hex[:12]}@cluster.example.org", full_name="Kofi Mensah",
            role=Role.PROGRAMME_STAFF, password=PASSWORD, countries=["GH"], enterprise_ids=[],
        )  # fmt: skip
        found = {
            "owner": owner.email,
            "action": action.id,
            "staff": staff.email,
            "enterprise": enterprise.id,
        }
        db.engine.dispose()
    return found


class Browser:
    """A visitor with one cookie jar, who may send each request to either server."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, url: str):
        return self._open(urllib.request.Request(url))

    def post(self, url: str, fields: dict, files: dict | None = None):
        if files:
            body, content_type = _multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        return self._open(urllib.request.Request(url, body, {"Content-Type": content_type}))

    def token(self, url: str) -> str:
        return CSRF.search(self.get(url)[1].decode()).group(1)

    def sign_in(self, server: str, email: str, password: str) -> int:
        token = self.token(f"{server}/login")
        status, _ = self.post(
            f"{server}/login", {"csrf_token": token, "email": email, "password": password}
        )
        return status

    def _open(self, request) -> tuple[int, bytes]:
        """(status, body); a redirect's target is kept in `last_location`."""
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            self.last_location = error.headers.get("Location")
            return error.code, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def _health(url: str) -> tuple[int, dict]:
    status, body = Browser().get(f"{url}/health")
    return status, json.loads(body)


def test_each_server_is_healthy_and_names_database_redis_and_worker(cluster):
    for url in cluster["urls"]:
        deadline = time.monotonic() + 15  # the worker registers itself a moment after starting
        status, answer = _health(url)
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.3)
            status, answer = _health(url)
        assert status == 200, answer
        assert answer == {"status": "up", "database": "up", "redis": "up", "worker": "up"}


def test_a_photo_uploaded_through_one_server_is_shown_through_the_other(cluster):
    first, second = cluster["urls"]
    owner = Browser()
    assert owner.sign_in(first, cluster["owner"], PASSWORD) == 302
    action_page = f"{first}/actions/{cluster['action']}"
    status, _ = owner.post(
        f"{action_page}/photos",
        {"csrf_token": owner.token(action_page), "caption": "New guard on the press"},
        {"photo": ("guard.png", _photo(), "image/png")},
    )
    assert status == 302
    status, page = owner.get(f"{second}/actions/{cluster['action']}")
    assert status == 200
    assert "New guard on the press" in page.decode()
    photo_path = re.search(r'src="(/photos/\d+)"', page.decode()).group(1)
    status, picture = owner.get(f"{second}{photo_path}")
    assert status == 200
    assert Image.open(io.BytesIO(picture)).size == (40, 30)


def test_sign_in_failures_on_both_servers_pause_the_account_on_either(cluster):
    first, second = cluster["urls"]
    visitor = Browser()
    for n in range(FAILURES):
        server = (first, second)[n % 2]  # three failures on one, two on the other
        assert visitor.sign_in(server, cluster["owner"], "wrong password") == 200
    assert visitor.sign_in(second, cluster["owner"], PASSWORD) == 429
    assert visitor.sign_in(first, cluster["owner"], PASSWORD) == 429


def _monthly_rows(enterprise_id: int, months: int) -> list[list]:
    """A baseline of the defect rate for each month from January 2021."""
    rows = []
    for n in range(months):
        year, month = 2021 + n // 12, n % 12 + 1
        last = calendar.monthrange(year, month)[1]
        rows.append(
            row(enterprise_id, start=f"{year}-{month:02}-01", end=f"{year}-{month:02}-{last}",
                inputs=(str(20 + n % 7), "1000"))
        )  # fmt: skip
    return rows


def _daily_rows(enterprise_id: int, days: int) -> list[list]:
    first = date(2001, 1, 1)
    return [
        row(enterprise_id, start=str(day), end=str(day))
        for day in (first + timedelta(days=n) for n in range(days))
    ]


def _upload_and_check(browser: Browser, server: str, data: bytes, filename: str) -> tuple:
    """Upload a file through `server` and start its check there: (token, job path)."""
    kind = filename.rsplit(".", 1)[1]
    form = f"{server}/programme/imports"
    status, _ = browser.post(
        form, {"csrf_token": browser.token(form)}, {"file": (filename, data, MEDIA_TYPES[kind])}
    )
    assert status == 303
    token = browser.last_location.rsplit("/", 1)[1]
    status, _ = browser.get(f"{server}/programme/imports/{token}")
    assert status == 303
    return token, urllib.parse.urlsplit(browser.last_location).path


def _finished_page(browser: Browser, server: str, job_path: str, seconds: float = 120) -> str:
    """The job's page through `server` once the job is done."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, page = browser.get(f"{server}{job_path}")
        assert status == 200
        if DONE.search(page.decode()):
            return html.unescape(page.decode())
        time.sleep(0.3)
    pytest.fail(f"{job_path} was not done after {seconds} s")


def _save(browser: Browser, server: str, token: str, job_path: str) -> str:
    """Save the checked import from its check's page on `server`: the save job's path."""
    status, _ = browser.post(
        f"{server}/programme/imports/{token}/save",
        {"csrf_token": browser.token(f"{server}{job_path}")},
    )
    assert status == 303
    return urllib.parse.urlsplit(browser.last_location).path


def _in_database(query: str, **values):
    engine = sa.create_engine(DATABASE_URL)
    try:
        with engine.begin() as connection:
            return connection.execute(sa.text(query), values).scalar()
    finally:
        engine.dispose()


def _figures(enterprise_id: int) -> tuple[int, int]:
    """(measurements, their audit rows) of the enterprise."""
    measurements = _in_database(
        "select count(*) from measurements where enterprise_id = :id", id=enterprise_id
    )
    audits = _in_database(
        "select count(*) from measurement_audit a join measurements m on m.id = a.measurement_id"
        " where m.enterprise_id = :id",
        id=enterprise_id,
    )
    return measurements, audits


def _clear_figures(enterprise_id: int) -> None:
    engine = sa.create_engine(DATABASE_URL)
    with engine.begin() as connection:
        for statement in (
            "delete from measurement_audit where measurement_id in "
            "(select id from measurements where enterprise_id = :id)",
            "delete from measurements where enterprise_id = :id",
        ):
            connection.execute(sa.text(statement), {"id": enterprise_id})
    engine.dispose()


def _staff_with_no_figures_yet(cluster) -> Browser:
    """Programme staff signed in through the first server, the enterprise's figures cleared."""
    _clear_figures(cluster["enterprise"])
    staff = Browser()
    assert staff.sign_in(cluster["urls"][0], cluster["staff"], PASSWORD) == 302
    return staff


def _import_files_kept(token: str) -> int:
    """How many of the import's files wait in the database."""
    return _in_database(
        "select count(*) from stored_files where name like :name", name=f"imports/{token}.%"
    )


def test_an_import_checked_through_one_server_is_saved_through_the_other_once(cluster):
    first, second = cluster["urls"]
    enterprise = cluster["enterprise"]
    staff = _staff_with_no_figures_yet(cluster)
    data = xlsx_bytes(_monthly_rows(enterprise, 40))
    token, check_job = _upload_and_check(staff, first, data, "monthly.xlsx")
    checked = _finished_page(staff, second, check_job)
    assert "40 rows are ready" in checked
    assert "40 rows are ready" in _finished_page(staff, first, check_job)
    # The upload and what its check found wait in the database, for every server.
    assert _import_files_kept(token) == 2
    save_job = _save(staff, second, token, check_job)
    for server in (first, second):
        saved = _finished_page(staff, server, save_job)
        assert "Saved: 40 new measurements, 0 changed, 0 unchanged." in saved
        assert "ran again" not in saved
    assert _figures(enterprise) == (40, 40)
    assert _import_files_kept(token) == 0  # the save took them with the rows it wrote

    # Saving again, through either server, shows the saved import and writes nothing.
    staff.post(
        f"{first}/programme/imports/{token}/save", {"csrf_token": staff.token(f"{first}{save_job}")}
    )
    assert _figures(enterprise) == (40, 40)


def test_a_worker_killed_mid_save_and_started_again_finishes_the_import_once(cluster):
    first, second = cluster["urls"]
    enterprise = cluster["enterprise"]
    staff = _staff_with_no_figures_yet(cluster)
    token, check_job = _upload_and_check(
        staff, first, csv_bytes(_daily_rows(enterprise, 3000)), "daily.csv"
    )
    assert "3,000 rows are ready" in _finished_page(staff, second, check_job)
    # Without what the check found the save checks every row again, in two passes, and the
    # second writes as it goes: the worker is killed there.
    _in_database(
        "delete from stored_files where name = :name returning name",
        name=f"imports/{token}.checked.jsonl",
    )
    save_job = _save(staff, second, token, check_job)
    job_id = int(save_job.rsplit("/", 1)[1])

    _kill_while_writing(cluster["running"], job_id)
    status, page = staff.get(f"{first}{save_job}")
    assert status == 200 and "Working on it" in page.decode()
    shown = re.search(r'<progress id="job-progress" max="\d+" value="(\d+)"', page.decode())
    assert int(shown.group(1)) >= 1000, "the other server shows how far the worker had got"
    assert _figures(enterprise) == (0, 0), "nothing of the killed save was kept"

    cluster["running"].start_worker()
    for server in (first, second):
        saved = _finished_page(staff, server, save_job, seconds=300)
        assert "Saved: 3,000 new measurements" in saved
        assert "This work was cut short (the server doing it stopped) and ran again" in saved
    assert _figures(enterprise) == (3000, 3000), "each row saved once, with one audit row"
    assert _in_database("select attempts from jobs where id = :id", id=job_id) == 2


def _kill_while_writing(running: servers.Cluster, job_id: int) -> None:
    """Wait until the save's second pass (the one that writes) is 1,000 rows in, then SIGKILL
    the worker."""
    redis = Redis.from_url(REDIS_URL)
    deadline, highest, writing = time.monotonic() + 180, 0, False
    try:
        while time.monotonic() < deadline:
            raw = redis.get(f"score:job:{job_id}:progress")
            if raw is not None:
                done = json.loads(raw)[0]
                writing = writing or done < highest  # the count started again: second pass
                highest = max(highest, done)
                if writing and done >= 1000:
                    return
            time.sleep(0.005)
        pytest.fail("the worker never got into the save's second pass")
    finally:
        running.kill_worker()
