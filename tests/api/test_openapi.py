"""The OpenAPI document: valid 3.1, the same routes as the API, and real responses that match it."""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from score_app.api.openapi import openapi_document
from score_app.api.views import bp as api_bp
from tests.api.conftest import (
    ApiClient,
    api_factory,
    assert_documented,
    document,
    documented_path,
    request_schema_pointer,
    schema_errors,
)
from tests.api.test_enterprises_api import VALID
from tests.api.test_measurements_api import BASELINE
from tests.conftest import committed, enterprise_factory, sign_in, user_factory

SERVER = api_bp.url_prefix
SUMMARY = "/programme/summary"
FOLLOW_UP = {
    **BASELINE,
    "phase": "follow_up",
    "period_start": "2025-06-01",
    "period_end": "2025-06-30",
    "inputs": {"absent_person_days": 30, "scheduled_person_days": 1000},
}
DEFECTS = {
    **BASELINE,
    "indicator": "defect_rate",
    "inputs": {"defective_units": 3, "inspected_units": 100},
}
ON_TIME = {
    **BASELINE,
    "indicator": "on_time_delivery",
    "inputs": {"orders_on_time": 45, "orders_delivered": 50},
}


@dataclass(frozen=True)
class Case:
    role: str
    method: str
    # Under the server URL; {mine}, {private} and {other} stand for enterprise ids, {draft},
    # {submitted}, {verified}, {private_draft} and {elsewhere} for measurement ids (see `send`).
    path: str
    status: int
    body: dict | None = None

    def __str__(self):
        return f"{self.method} {self.path} as {self.role} -> {self.status}"

    @property
    def template(self) -> str:
        """The document's path that this case's path falls under."""
        return documented_path(self.method, SERVER + self.path.split("?")[0])


CASES = [
    Case("enterprise_owner", "GET", "/enterprises", 200),
    Case("admin", "GET", "/enterprises?country=GH&sector=garments&q=min&page=1&per_page=1", 200),
    Case("anonymous", "GET", "/enterprises", 401),
    Case("admin", "POST", "/enterprises", 201, VALID),
    Case("anonymous", "POST", "/enterprises", 401, VALID),
    Case("trainer", "POST", "/enterprises", 403, VALID),
    Case("admin", "POST", "/enterprises", 422, {}),
    Case("trainer", "GET", "/enterprises/{mine}", 200),
    Case("anonymous", "GET", "/enterprises/{mine}", 401),
    Case("trainer", "GET", "/enterprises/{other}", 404),
    Case(
        "trainer",
        "PATCH",
        "/enterprises/{mine}",
        200,
        {"version": 1, "name": "New name", "region": None},
    ),
    Case(
        "enterprise_owner",
        "PATCH",
        "/enterprises/{mine}",
        200,
        {"version": 1, "data_sharing_consent": False},
    ),
    Case("anonymous", "PATCH", "/enterprises/{mine}", 401, {"version": 1, "name": "New name"}),
    Case("trainer", "PATCH", "/enterprises/{other}", 404, {"version": 1, "name": "New name"}),
    Case("trainer", "PATCH", "/enterprises/{mine}", 409, {"version": 2, "name": "New name"}),
    Case(
        "trainer",
        "PATCH",
        "/enterprises/{mine}",
        422,
        {"version": 1, "data_sharing_consent": False},
    ),
    Case(
        "enterprise_owner",
        "PATCH",
        "/enterprises/{mine}",
        422,
        {"version": 1, "name": "New name", "data_sharing_consent": False},
    ),
    Case("trainer", "PATCH", "/enterprises/{mine}", 422, {"name": "New name"}),
    Case("enterprise_owner", "GET", "/indicators", 200),
    Case("anonymous", "GET", "/indicators", 401),
    Case("trainer", "POST", "/enterprises/{mine}/measurements", 201, DEFECTS),
    Case("anonymous", "POST", "/enterprises/{mine}/measurements", 401, DEFECTS),
    Case("programme_staff", "POST", "/enterprises/{mine}/measurements", 403, DEFECTS),
    Case("trainer", "POST", "/enterprises/{other}/measurements", 404, DEFECTS),
    Case(
        "enterprise_owner",
        "POST",
        "/enterprises/{mine}/measurements",
        422,
        {**DEFECTS, "inputs": {"defective_units": 300, "inspected_units": 100}},
    ),
    Case("enterprise_owner", "GET", "/enterprises/{mine}/measurements", 200),
    Case("admin", "GET", "/enterprises/{mine}/measurements?indicator=absenteeism_rate", 200),
    Case("anonymous", "GET", "/enterprises/{mine}/measurements", 401),
    Case("programme_staff", "GET", "/enterprises/{private}/measurements", 403),
    Case("trainer", "GET", "/enterprises/{other}/measurements", 404),
    Case("enterprise_owner", "GET", "/enterprises/{mine}/comparison", 200),
    Case("programme_staff", "GET", "/enterprises/{mine}/comparison?follow_up=1", 200),
    Case("anonymous", "GET", "/enterprises/{mine}/comparison", 401),
    Case("programme_staff", "GET", "/enterprises/{private}/comparison", 403),
    Case("trainer", "GET", "/enterprises/{other}/comparison", 404),
]

# The versions the measurements of `send` are at: draft 1, submitted 2, verified 3.
RECOUNTED = {"inputs": {"absent_person_days": 38}, "comment": "Recounted"}
MOVED = {"comment": None, "period_end": "2025-01-30"}
WHY = {"reason": "Entered twice"}
WORKFLOW_CASES = [
    Case("enterprise_owner", "PATCH", "/measurements/{draft}", 200, {"version": 1, **RECOUNTED}),
    Case("admin", "PATCH", "/measurements/{draft}", 200, {"version": 1, **MOVED}),
    Case("anonymous", "PATCH", "/measurements/{draft}", 401, {"version": 1, **RECOUNTED}),
    Case("programme_staff", "PATCH", "/measurements/{draft}", 403, {"version": 1, **RECOUNTED}),
    Case("trainer", "PATCH", "/measurements/{elsewhere}", 404, {"version": 1, **RECOUNTED}),
    Case("enterprise_owner", "PATCH", "/measurements/{draft}", 409, {"version": 2, **RECOUNTED}),
    Case("trainer", "PATCH", "/measurements/{verified}", 422, {"version": 3, **RECOUNTED}),
    Case("enterprise_owner", "PATCH", "/measurements/{draft}", 422, {"period_end": "2025-01"}),
    Case("enterprise_owner", "DELETE", "/measurements/{submitted}", 204, {"version": 2, **WHY}),
    Case("anonymous", "DELETE", "/measurements/{draft}", 401, {"version": 1, **WHY}),
    Case("programme_staff", "DELETE", "/measurements/{draft}", 403, {"version": 1, **WHY}),
    Case("trainer", "DELETE", "/measurements/{elsewhere}", 404, {"version": 1, **WHY}),
    Case("trainer", "DELETE", "/measurements/{draft}", 409, {"version": 2, **WHY}),
    Case("enterprise_owner", "DELETE", "/measurements/{verified}", 422, {"version": 3, **WHY}),
    Case("enterprise_owner", "DELETE", "/measurements/{draft}", 422, {"version": 1}),
    Case("enterprise_owner", "POST", "/measurements/{draft}/submit", 200, {"version": 1}),
    Case("anonymous", "POST", "/measurements/{draft}/submit", 401, {"version": 1}),
    Case("programme_staff", "POST", "/measurements/{draft}/submit", 403, {"version": 1}),
    Case("trainer", "POST", "/measurements/{elsewhere}/submit", 404, {"version": 1}),
    Case("enterprise_owner", "POST", "/measurements/{draft}/submit", 409, {"version": 3}),
    Case("enterprise_owner", "POST", "/measurements/{submitted}/submit", 422, {"version": 2}),
    Case("trainer", "POST", "/measurements/{draft}/submit", 422, {}),
    Case("trainer", "POST", "/measurements/{submitted}/verify", 200, {"version": 2}),
    Case("anonymous", "POST", "/measurements/{submitted}/verify", 401, {"version": 2}),
    Case("enterprise_owner", "POST", "/measurements/{submitted}/verify", 403, {"version": 2}),
    Case("programme_staff", "POST", "/measurements/{private_draft}/verify", 403, {"version": 1}),
    Case("programme_staff", "POST", "/measurements/{elsewhere}/verify", 404, {"version": 1}),
    Case("programme_staff", "POST", "/measurements/{submitted}/verify", 409, {"version": 1}),
    Case("trainer", "POST", "/measurements/{draft}/verify", 422, {"version": 1}),
    Case("programme_staff", "POST", "/measurements/{verified}/reopen", 200, {"version": 3, **WHY}),
    Case("anonymous", "POST", "/measurements/{verified}/reopen", 401, {"version": 3, **WHY}),
    Case("trainer", "POST", "/measurements/{verified}/reopen", 403, {"version": 3, **WHY}),
    Case("programme_staff", "POST", "/measurements/{elsewhere}/reopen", 404, {"version": 1, **WHY}),
    Case("admin", "POST", "/measurements/{verified}/reopen", 409, {"version": 2, **WHY}),
    Case("admin", "POST", "/measurements/{verified}/reopen", 422, {"version": 3, "reason": " "}),
]


NOWHERE = {"workshop_id": 999_999, "day_id": 999_999}
OFFLINE = {
    "operations": [
        {
            "id": "0b7e5f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
            "kind": "attendance",
            "payload": {**NOWHERE, "person_id": 1, "present": True},
            "base_version": None,
            "recorded_at": "2026-03-02T09:30:00+02:00",
        },
        {
            "id": "1b7e5f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
            "kind": "walk_in",
            "payload": {**NOWHERE, "full_name": "Kwame", "sex": "male", "job_role": "worker"},
            "recorded_at": "2026-03-02T09:31:00Z",
        },
    ]
}
# "device" sends a trainer's registered device token, "browser" a trainer's signed-in session.
DEVICE_CASES = [
    Case("browser", "POST", "/devices", 201, {"label": "Blue tablet"}),
    Case("anonymous", "POST", "/devices", 401, {"label": "Blue tablet"}),
    Case("browser", "POST", "/devices", 422, {"label": 7}),
    Case("device", "DELETE", "/devices/current", 204),
    Case("anonymous", "DELETE", "/devices/current", 401),
    Case("trainer", "DELETE", "/devices/current", 403),
    Case("device", "POST", "/sync", 200, OFFLINE),
    Case("anonymous", "POST", "/sync", 401, OFFLINE),
    Case("trainer", "POST", "/sync", 403, OFFLINE),
    Case("device", "POST", "/sync", 413, {"operations": [{"id": "x" * 1_000_000}]}),
    Case("device", "POST", "/sync", 422, {"operations": None}),
]


def _summary(**args) -> str:
    return f"{SUMMARY}?{urlencode(args)}"


EVERY_FILTER = {
    "country": "GH",
    "sector": "garments",
    "cohort": "GH-2025-A",
    "module": "workplace-cooperation",
    "from": "2025-01-01",
    "to": "2025-12-31",
}
SUMMARY_CASES = [
    Case("programme_staff", "GET", _summary(indicator="absenteeism_rate"), 200),
    Case("admin", "GET", _summary(indicator="absenteeism_rate", **EVERY_FILTER), 200),
    Case("anonymous", "GET", _summary(indicator="absenteeism_rate"), 401),
    Case("trainer", "GET", _summary(indicator="absenteeism_rate"), 403),
    Case("enterprise_owner", "GET", _summary(indicator="absenteeism_rate"), 403),
    Case("programme_staff", "GET", SUMMARY, 422),
    Case("programme_staff", "GET", _summary(indicator="happiness"), 422),
    Case("programme_staff", "GET", _summary(indicator="defect_rate", module="no-such"), 422),
    Case("admin", "GET", _summary(indicator="defect_rate", **{"from": "2025-13-01"}), 422),
    Case(
        "admin",
        "GET",
        _summary(indicator="defect_rate", **{"from": "2025-06-01", "to": "2025-01-31"}),
        422,
    ),
]


@pytest.fixture(scope="module")
def send_world(shared_app):
    """Three enterprises: `mine` (shares its figures) and `private` (does not) in Ghana, both
    with a baseline and a follow-up, and `other` in South Africa. The trainer and the owner
    belong to mine and private; staff are scoped to Ghana.

    The owner entered every figure of mine and private: in mine, the baseline is a `draft`, the
    follow-up `submitted`, and an on-time delivery baseline `verified` by a trainer; the
    baseline of private is `private_draft`. An admin entered one figure `elsewhere`, in other.

    Committed once for the module: each case runs over it in a transaction of its own, rolled
    back at its end. Returns the ids, the scope of each role, the owner's token headers and a
    function giving a client for a new user of a role."""
    create_enterprise = enterprise_factory(shared_app)
    api_as = api_factory(shared_app, user_factory(shared_app))
    with committed(shared_app):
        mine = create_enterprise(name="Mine")
        private = create_enterprise(name="Private", data_sharing_consent=False)
        other = create_enterprise(name="Other", country="ZA")
        ids = {"mine": mine.id, "private": private.id, "other": other.id}
        scopes = {
            "admin": {},
            "programme_staff": {"countries": ["GH"]},
            "trainer": {"enterprises": [mine, private]},
            "enterprise_owner": {"enterprises": [mine, private]},
        }
        owner = api_as("enterprise_owner", **scopes["enterprise_owner"])
        trainer = api_as("trainer", **scopes["trainer"])

        def post(client, path, body, status=200) -> int:
            response = client.post(SERVER + path, json=body)
            assert response.status_code == status, response.get_json()
            return response.get_json()["id"]

        def enter(client, enterprise_id, body) -> int:
            return post(client, f"/enterprises/{enterprise_id}/measurements", body, status=201)

        for enterprise_id, name in ((mine.id, "draft"), (private.id, "private_draft")):
            ids[name] = enter(owner, enterprise_id, BASELINE)
            ids[f"{name}_follow_up"] = enter(owner, enterprise_id, FOLLOW_UP)
        submitted = post(owner, f"/measurements/{ids['draft_follow_up']}/submit", {"version": 1})
        ids["submitted"] = submitted
        ids["verified"] = enter(owner, mine.id, ON_TIME)
        post(owner, f"/measurements/{ids['verified']}/submit", {"version": 1})
        post(trainer, f"/measurements/{ids['verified']}/verify", {"version": 2})
        ids["elsewhere"] = enter(api_as("admin"), other.id, BASELINE)
        yield ids, scopes, owner.headers, api_as


@pytest.fixture
def send(app, send_world, create_user):
    """Send a case as its role, in the module's world (see send_world), each on a new client."""
    ids, scopes, owner_headers, api_as = send_world

    def call(case: Case):
        if case.role == "anonymous":
            client = app.test_client()
        elif case.role == "browser":
            client = sign_in(app.test_client(), create_user("trainer", **scopes["trainer"]))
        elif case.role == "device":
            client = api_as("trainer", is_device=True, **scopes["trainer"])
        elif case.role == "enterprise_owner":
            client = ApiClient(app.test_client(), owner_headers)
        else:
            client = api_as(case.role, **scopes[case.role])
        return client.open(SERVER + case.path.format(**ids), method=case.method, json=case.body)

    return call


def _check(send, case: Case) -> None:
    response = send(case)
    assert response.status_code == case.status, response.get_json()
    assert_documented(response)
    if case.body is not None and response.status_code < 300:
        pointer = request_schema_pointer(case.method, case.template)
        assert schema_errors(pointer, case.body) == []


def test_the_document_is_valid_openapi_3_1():
    validate(openapi_document(), cls=OpenAPIV31SpecValidator)


def test_the_document_is_served_without_a_token(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == openapi_document()


def _api_operations(app) -> set[tuple[str, str]]:
    """(path template, method) of every route of the API blueprint, as the document spells it."""
    return {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(SERVER)), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{api_bp.name}.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _documented_operations() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document()["paths"].items()
        for method in item
        if method != "parameters"
    }


def test_every_api_route_is_documented(app):
    assert _api_operations(app) - _documented_operations() == set()


def test_every_documented_operation_is_a_route(app):
    assert _documented_operations() - _api_operations(app) == set()


# Responses a single request cannot provoke, checked against the document by their own test.
CHECKED_ELSEWHERE = {
    # test_measurements_api.py: the same period saved by someone else at the same moment
    ("/enterprises/{enterprise_id}/measurements", "POST", 409),
    # test_sync.py: a signed-in page's request without its CSRF token
    ("/devices", "POST", 400),
}


def test_every_documented_response_has_a_case():
    documented = {
        (path, method.upper(), int(status))
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
        for status in operation["responses"]
    }
    every_case = CASES + WORKFLOW_CASES + SUMMARY_CASES + DEVICE_CASES
    cases = {(c.template, c.method, c.status) for c in every_case}
    assert documented == cases | CHECKED_ELSEWHERE


@pytest.mark.parametrize("case", CASES, ids=str)
def test_responses_match_the_document(send, case):
    _check(send, case)


@pytest.mark.parametrize("case", WORKFLOW_CASES, ids=str)
def test_workflow_responses_match_the_document(send, case):
    _check(send, case)


@pytest.mark.parametrize("case", SUMMARY_CASES, ids=str)
def test_programme_summary_responses_match_the_document(send, case):
    _check(send, case)


@pytest.mark.parametrize("case", DEVICE_CASES, ids=str)
def test_device_and_sync_responses_match_the_document(send, case):
    _check(send, case)
