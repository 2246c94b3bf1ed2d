"""API test helpers: clients with a bearer token, and responses checked against the document."""

import re
from functools import cache

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from score_app.api.openapi import JSON, openapi_document
from score_app.auth import services as auth_services
from score_app.auth.models import User
from score_app.extensions import db

DOCUMENT_URI = "urn:score-app:openapi"


def api_factory(app, create_user):
    """A function giving a client that sends a new user's token (a device's with `is_device`),
    for a role."""

    def make(role, is_device=False, **fields):
        user = create_user(role, **fields)
        with app.app_context():
            user = db.session.get(User, user.id)
            _token, plain = auth_services.create_token(user, "test", is_device=is_device)
        return ApiClient(app.test_client(), {"Authorization": f"Bearer {plain}"})

    return make


@pytest.fixture
def api_as(app, create_user):
    return api_factory(app, create_user)


class ApiClient:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def __getattr__(self, method):
        def call(path, headers=None, **kwargs):
            headers = {**self.headers, **(headers or {})}
            return getattr(self.client, method)(path, headers=headers, **kwargs)

        return call


@cache
def document() -> dict:
    return openapi_document()


@cache
def _registry() -> Registry:
    return Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document()))


def _pointer(*segments: str) -> str:
    return "".join("/" + s.replace("~", "~0").replace("/", "~1") for s in segments)


def _resolved(pointer: str) -> tuple[str, dict]:
    """The object at a JSON pointer of the document, following an OpenAPI $ref to its target."""
    node = _registry().resolver(DOCUMENT_URI).lookup(f"#{pointer}").contents
    if "$ref" in node:
        return _resolved(node["$ref"].removeprefix("#"))
    return pointer, node


def documented_path(method: str, path: str) -> str:
    """The document's path template that a concrete API path (under the server URL) matches."""
    server = document()["servers"][0]["url"]
    for template, item in document()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(server + template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            return template
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def schema_errors(pointer: str, instance) -> list[str]:
    """Messages for each way the instance breaks the schema at this pointer of the document."""
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def request_schema_pointer(method: str, template: str) -> str:
    return _pointer("paths", template, method.lower(), "requestBody", "content", JSON, "schema")


def assert_documented(response) -> None:
    """Fail unless the document gives this response's status for its path and method, with
    the headers it promises and a JSON body that matches its schema (or no body, if it gives
    none)."""
    method, path = response.request.method, response.request.path
    template = documented_path(method, path)
    status = str(response.status_code)
    responses = document()["paths"][template][method.lower()]["responses"]
    assert status in responses, f"{method} {template} answered {status}, not documented"
    pointer, spec = _resolved(_pointer("paths", template, method.lower(), "responses", status))
    for name, header in spec.get("headers", {}).items():
        assert not header.get("required") or name in response.headers, f"no {name} header"
    if "content" not in spec:
        assert response.get_data() == b"", f"{method} {path} {status} should have no body"
        return
    assert response.mimetype == JSON and JSON in spec["content"]
    errors = schema_errors(pointer + _pointer("content", JSON, "schema"), response.get_json())
    assert errors == [], f"{method} {path} {status} does not match the document"
