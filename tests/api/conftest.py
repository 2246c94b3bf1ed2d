"""API test helpers: clients that send a bearer token."""

import pytest

from score_app.auth import services as auth_services
from score_app.auth.models import User
from score_app.extensions import db


@pytest.fixture
def api_as(app, create_user):
    """A function giving a client that sends a new user's token, for a role."""

    def make(role, **fields):
        user = create_user(role, **fields)
        with app.app_context():
            _token, plain = auth_services.create_token(db.session.get(User, user.id), "test")
        return _Api(app.test_client(), {"Authorization": f"Bearer {plain}"})

    return make


class _Api:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def __getattr__(self, method):
        def call(path, headers=None, **kwargs):
            headers = {**self.headers, **(headers or {})}
            return getattr(self.client, method)(path, headers=headers, **kwargs)

        return call
