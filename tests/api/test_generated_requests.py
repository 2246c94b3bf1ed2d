"""Requests generated from the OpenAPI document by schemathesis, valid and invalid alike, and
the crafted ones of issue 15 (numbers of 400 digits, NUL characters, url_for's own names as
query arguments), and a device's sync operations of every kind with those values in every
field: none gets a server error, and every refusal is a 4xx that says why in JSON."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from score_app.api import sync
from score_app.api.inputs import (
    DEVICE_FIELDS,
    ENTERPRISE_CHANGES,
    MEASUREMENT_CHANGES,
    MEASUREMENT_FIELDS,
    REASONED_STEP_FIELDS,
)
from score_app.auth import services as auth_services
from score_app.auth.models import User
from score_app.extensions import db
from tests.api.conftest import document
from tests.api.test_measurements_api import BASELINE

OPERATIONS = [
    (path, method.upper())
    for path, item in document()["paths"].items()
    for method in item
    if method != "parameters"
]
EXAMPLES = 25


@pytest.fixture
def admin_token(app, create_user, create_enterprise):
    """An admin's device token (the widest scope, and it syncs), and an enterprise for
    generated ids to find."""
    create_enterprise(name="Generated Garments")
    admin = create_user("admin")
    with app.app_context():
        user = db.session.get(User, admin.id)
        _token, plain = auth_services.create_token(user, "fuzz", is_device=True)
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


HUGE = 10**400
# Every JSON field the API reads, and values no field takes.
JSON_FIELDS = sorted({**ENTERPRISE_CHANGES, **MEASUREMENT_FIELDS, **MEASUREMENT_CHANGES,
                      **REASONED_STEP_FIELDS, **DEVICE_FIELDS, "operations": list})  # fmt: skip
CRAFTED_VALUES = (HUGE, -HUGE, 1e308, "A\x00B", "x" * 10_000, "/x\r\nSet-Cookie: a=b", [], {})
CRAFTED_ARGS = ({"endpoint": "x", "_external": "1", "_anchor": "a"}, {"page": str(HUGE)},
                {"per_page": "A\x00B"}, {"indicator": "\x00"})  # fmt: skip
CRAFTED_IDS = ("AB%00CD", str(HUGE), "-1")


def _bodies() -> list[dict]:
    """Each field with each crafted value, and a measurement whose inputs are 400 digits long."""
    crafted = [{name: value} for name in JSON_FIELDS for value in CRAFTED_VALUES]
    huge_inputs = {**BASELINE, "inputs": dict.fromkeys(BASELINE["inputs"], HUGE)}
    return [*crafted, huge_inputs, {**huge_inputs, "version": HUGE}]


def _crafted_calls(ids: dict):
    """(method, path, keyword arguments) of every crafted request to every operation."""
    server = document()["servers"][0]["url"]
    for template, method in OPERATIONS:
        path = server + template.format(**ids)
        for value in CRAFTED_IDS:
            yield method, server + re.sub(r"\{\w+\}", value, template), {}
        for args in CRAFTED_ARGS:
            yield method, path, {"query_string": args}
        if method in ("POST", "PATCH", "DELETE"):
            for body in _bodies():
                yield method, path, {"json": body}


def test_no_crafted_request_gets_a_server_error(app, admin_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin_token}"}
    enterprise_id = client.get("/api/v1/enterprises", headers=headers).get_json()["items"][0]["id"]
    created = client.post(
        f"/api/v1/enterprises/{enterprise_id}/measurements", json=BASELINE, headers=headers
    )
    ids = {"enterprise_id": enterprise_id, "measurement_id": created.get_json()["id"]}
    sent = 0
    for method, path, kwargs in _crafted_calls(ids):
        response = client.open(path, method=method, headers=headers, **kwargs)
        sent += 1
        assert response.status_code < 500, (method, path[:200], kwargs)
        if response.status_code >= 400:
            body = response.get_json()
            assert body.get("error") or body.get("errors"), (method, path[:200], body)
    assert sent >= len(OPERATIONS) * (len(CRAFTED_IDS) + len(CRAFTED_ARGS))


# A NUL character refuses a whole request before it is read (security.py): the sync's own
# crafted values leave it out, so that each batch is read.
SYNC_VALUES = (*(v for v in CRAFTED_VALUES if v != "A\x00B"), {"ref": "x"}, {"ref": HUGE})


def _crafted_operations(ids: dict) -> list[dict]:
    """An operation of each kind with each crafted value in each field of its payload (the
    others real), and each crafted value in each field of the operation itself."""
    real = {"enterprise_id": ids["enterprise_id"], "action_id": 1, "workshop_id": 1, "day_id": 1,
            "person_id": 1, "visit_id": 1, "entries": {"defect_rate": {"inputs": {}}}}  # fmt: skip
    base = {"base_version": None, "recorded_at": "2026-03-02T09:30:00Z"}
    operations = []
    for kind, spec in sync.KINDS.items():
        payload = {name: real[name] for name in spec.fields if name in real}
        for name in spec.fields:
            for value in SYNC_VALUES:
                crafted = {**payload, name: value}
                operations.append({**base, "kind": kind, "payload": crafted})
    for name in ("id", "kind", "payload", "base_version", "recorded_at"):
        for value in SYNC_VALUES:
            operation = {**base, "kind": "attendance", "payload": {}}
            operations.append({**operation, name: value})
    for number, operation in enumerate(operations):
        operation.setdefault("id", f"00000000-0000-4000-8000-{number:012d}")
    return operations


def test_no_crafted_operation_gets_a_server_error(app, admin_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin_token}"}
    enterprise_id = client.get("/api/v1/enterprises", headers=headers).get_json()["items"][0]["id"]
    operations = _crafted_operations({"enterprise_id": enterprise_id})
    batches = range(0, len(operations), sync.MAX_OPERATIONS // 4)
    for start in batches:
        batch = operations[start : start + sync.MAX_OPERATIONS // 4]
        response = client.post("/api/v1/sync", json={"operations": batch}, headers=headers)
        assert response.status_code == 200, response.get_data(True)[:300]
        results = response.get_json()["results"]
        assert len(results) == len(batch)
        for result in results:
            assert result.get("error") or result.get("errors") or result.get("record"), result
