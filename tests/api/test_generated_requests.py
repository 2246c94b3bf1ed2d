"""Requests generated from the OpenAPI document by schemathesis, valid and invalid alike: none
gets a server error, and every refusal is a 4xx that says why in JSON."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from score_app.auth import services as auth_services
from score_app.auth.models import User
from score_app.extensions import db
from tests.api.conftest import document

OPERATIONS = [
    (path, method.upper())
    for path, item in document()["paths"].items()
    for method in item
    if method != "parameters"
]
EXAMPLES = 25


@pytest.fixture
def admin_token(app, create_user, create_enterprise):
    """An admin's token (the widest scope), and an enterprise for generated ids to find."""
    create_enterprise(name="Generated Garments")
    admin = create_user("admin")
    with app.app_context():
        _token, plain = auth_services.create_token(db.session.get(User, admin.id), "fuzz")
    return plain


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_generated_request_gets_a_server_error(app, admin_token, path, method, mode):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {admin_token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        # The same examples on every run, so CI is repeatable; change EXAMPLES to explore more.
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )  # fmt: skip
    def check(case):
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        if response.status_code >= 400:
            body = response.json()
            assert body.get("error") or body.get("errors"), body

    check()
