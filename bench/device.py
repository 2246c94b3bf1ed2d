"""A trainer's tablet for the offline benchmarks: the app on a SQLite file, the trainer the
benchmark follows, signed in, and their device registered for sync."""

from flask import Flask
from flask.testing import FlaskClient

from score_app import create_app
from score_app.auth.models import Role, User
from score_app.users import services as user_services

EMAIL, PASSWORD = "trainer@example.org", "bench-password-1"


def app_on_sqlite(folder: str) -> Flask:
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
            "WTF_CSRF_ENABLED": False,  # the test client posts without a form page
        }
    )


def add_trainer(enterprise_ids: list[int]) -> User:
    """The trainer assigned to the benchmark's enterprises (inside an app context)."""
    return user_services.create_user(
        email=EMAIL, full_name="Trainer", role=Role.TRAINER, password=PASSWORD,
        enterprise_ids=enterprise_ids,
    )  # fmt: skip


def trainer_device(app: Flask) -> tuple[FlaskClient, str]:
    """The trainer's signed-in client and the sync token of their device."""
    client = app.test_client()
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    token = client.post("/api/v1/devices", json={"label": "Bench tablet"}).get_json()["token"]
    return client, token
