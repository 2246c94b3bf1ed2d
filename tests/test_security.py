"""Security headers on every kind of response, session cookie flags, charts styled from the
page's style sheet, and templates without inline script or style."""

import io
import re
from pathlib import Path

import pytest

from tests.conftest import sign_in
from tests.plans.conftest import add_figures

TEMPLATES = Path(__file__).resolve().parent.parent / "score_app" / "templates"
# A JSON data block (type="application/json") is read by a script, never run: it is allowed.
INLINE = re.compile(
    r"<script(?![^>]*\s(?:src=|type=\"application/json\"))|<style|\son[a-z]+\s*=|\sstyle\s*=|javascript:",
    re.I,
)


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def _assert_security_headers(response) -> None:
    csp = _directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("path", "signed_in", "mimetype"),
    [
        ("/login", False, "text/html"),
        ("/enterprises", True, "text/html"),
        ("/api/v1/enterprises", False, "application/json"),  # 401, still with the headers
        ("/api/openapi.json", False, "application/json"),
        ("/modules/workplace-cooperation/handout.pdf", True, "application/pdf"),
        ("/static/css/app.css", False, "text/css"),
        ("/no-such-page", True, "text/html"),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(
    client, create_user, path, signed_in, mimetype
):
    if signed_in:
        sign_in(client, create_user("admin"))
    response = client.get(path)
    assert response.mimetype == mimetype
    _assert_security_headers(response)


def test_strict_transport_security_only_when_served_over_https(make_app, monkeypatch):
    assert "Strict-Transport-Security" not in make_app().test_client().get("/login").headers
    monkeypatch.setenv("SCORE_HTTPS", "1")
    response = make_app().test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _session_cookie(app) -> str:
    """The cookie set by the sign-in page, which keeps the form's CSRF token in the session."""
    response = app.test_client().get("/login")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_session_cookie_is_httponly_lax_and_secure_only_over_https(make_app, monkeypatch, https):
    if https:
        monkeypatch.setenv("SCORE_HTTPS", "1")
    app = make_app(WTF_CSRF_ENABLED=True)
    flags = {flag.strip().lower() for flag in _session_cookie(app).split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert ("secure" in flags) is https


def test_charts_on_a_page_are_drawn_with_no_inline_style(
    app, client, create_enterprise, create_user
):
    enterprise = create_enterprise()
    user = create_user("admin")
    with app.app_context():
        add_figures(enterprise.id, user.id)
    sign_in(client, user)
    page = client.get(f"/enterprises/{enterprise.id}/indicators").get_data(as_text=True)
    assert len(re.findall(r"<svg class=\"chart\"", page)) == 4  # each indicator with two periods
    assert "<style" not in page and not re.search(r"\sstyle=", page)
    assert "/static/css/charts.css" in page


def _page_templates() -> list:
    """Every template a browser sees: PDF layouts are read by WeasyPrint, except the module
    handout, which is also the module's print page."""
    names = (path.relative_to(TEMPLATES).as_posix() for path in sorted(TEMPLATES.rglob("*.html")))
    return [
        pytest.param(TEMPLATES / name, id=name)
        for name in names
        if not name.startswith("pdf/") or name == "pdf/module.html"
    ]


@pytest.mark.parametrize("path", _page_templates())
def test_page_templates_have_no_inline_script_or_style(path):
    assert INLINE.findall(path.read_text()) == []


def test_text_with_a_nul_character_is_refused_before_any_query(app, client_as):
    api_client = client_as("admin")
    page = api_client.get("/enterprises?q=%00")
    assert page.status_code == 400
    assert "A NUL character" in page.get_data(True)
    form = api_client.post("/account", data={"full_name": "Ama\x00"})
    assert form.status_code == 400
    api = app.test_client().post(
        "/api/v1/enterprises", data='{"name": "A\\u0000"}', content_type="application/json",
        headers={"Authorization": "Bearer x"},
    )  # fmt: skip
    assert api.status_code == 400 and "error" in api.get_json()


@pytest.mark.parametrize(
    "path",
    [
        "/verify/AB%00CD",
        "/certificates/%00.pdf",
        "/certificates/%00/revoke",
        "/modules/%00",
        "/programme/imports/%00",
        "/api/v1/enterprises/1%00",
    ],
)
def test_a_nul_character_in_the_address_is_refused_before_any_query(client_as, path):
    response = client_as("admin").get(path)
    assert response.status_code == 400
    text = response.get_data(True)
    assert "A NUL character" in text


def test_a_file_name_with_a_nul_character_is_refused_before_any_query(client_as):
    upload = (io.BytesIO(b"indicator\n"), "figures\x00.csv")
    response = client_as("admin").post("/programme/imports", data={"file": upload})
    assert response.status_code == 400
    assert "A NUL character" in response.get_data(True)
