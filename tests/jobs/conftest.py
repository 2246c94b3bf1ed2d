"""Jobs: a world of one enterprise and the people who import its figures, and Redis for the
tests that run a real queue (db 5, emptied around each test)."""

import os

import pytest
from redis import Redis
from redis.exceptions import RedisError

from tests.conftest import sign_in

REDIS_URL = os.environ.get("SCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def jobs_world(app, create_enterprise, create_user, tmp_path):
    app.config["SCORE_IMPORT_DIR"] = str(tmp_path / "imports")
    accra = create_enterprise(name="Accra Works", country="GH")
    users = {
        "staff": create_user("programme_staff", countries=["GH"]),
        "other_staff": create_user("programme_staff", countries=["GH"]),
        "admin": create_user("admin"),
        "staff_fr": create_user("programme_staff", countries=["GH"], preferred_locale="fr"),
    }
    return {"accra": accra, "users": users, "tmp": tmp_path}


def client_of(app, world, who: str):
    return sign_in(app.test_client(), world["users"][who])


@pytest.fixture
def redis_url():
    """Redis at db 5; a test that needs it fails, saying so, when it is not there (CI always
    has it at 127.0.0.1:6379)."""
    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except RedisError as error:
        pytest.fail(
            f"This test runs a real job queue and needs Redis at {REDIS_URL} "
            f"(set SCORE_TEST_REDIS_URL to use another): {error}"
        )
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()
