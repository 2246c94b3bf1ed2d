"""Two app servers sharing PostgreSQL and Redis, as several machines do (tests/cluster/servers.py,
`make cluster`): what one server saves or counts, the other shows or applies. Runs wherever
PostgreSQL and Redis are reachable (CI has both); the servers start once for the module."""

import http.cookiejar
import io
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from PIL import Image
from redis import Redis
from redis.exceptions import RedisError

from tests.cluster import servers

BASE_URL = os.environ.get(
    "SCORE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASE_URL = (
    sa.make_url(BASE_URL)
    .set(database=f"{sa.make_url(BASE_URL).database}_cluster")
    .render_as_string(hide_password=False)
)
REDIS_URL = os.environ.get("SCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
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
        yield {"urls": running.urls, **_people_and_plan()}
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
        found = {"owner": owner.email, "action": action.id}
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
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
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
    import json

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
