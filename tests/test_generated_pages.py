"""Requests generated and crafted for every page and form of the app, as each role: none gets a
server error, and every refusal (a 4xx) says why.

The values mix what the role's own pages show (the world's ids, each form's fields and values)
with what broke pages before (issue 15, item 7): numbers of 400 digits, NUL characters, CR/LF in
`next`, url_for's own names as query arguments (`endpoint`, `_external`, `_anchor`), long text
and values of the wrong kind. Forms are posted with the session's CSRF token, as a browser
posts them, or without it. Hypothesis draws the requests with a fixed seed (derandomize), so
each run sends the same ones; each test counts the requests it sent and checks the count.

PDFs are drawn as HTML only (render_pdf replaced): what a request can change is the HTML, which
is still made, and WeasyPrint's fraction of a second per PDF would make thousands of requests
too slow; the pages' own tests draw real PDFs.
"""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import test_access_matrix as matrix
from tests.conftest import sign_in
from tests.plans.conftest import png_bytes

# The access matrix's world: every route's ids, in scope and out of it.
built_world, world = matrix.built_world, matrix.world

# Every page route (the API has its own generated requests), with the world's placeholders.
# Signing out would leave the rest of a role's requests to a visitor.
ROUTES = sorted({(row.method, row.path) for row in matrix.PAGES} - {("POST", "/logout")})
PLACEHOLDER = re.compile(r"\{(\w+)\}")
HUGE = "9" * 400
NEWLINE = "/x\r\nSet-Cookie: a=b"
CRAFTED = (
    HUGE, "-" + HUGE, "1e400", "NaN", "-Infinity", "2147483648", "-2147483649", "0", "-1",
    "1.5", "1,5", "\uff11\uff12", "\u0663", "\x00", "AB\x00CD", NEWLINE, "\r\n", "\t", "\x7f",
    "\u2028", "x" * 5000, "", " ", "2025-02-30", "0001-01-01", "9999-12-31", "31/01/2025",
    "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "//evil.example/",
    "https://evil.example/", "\\\\evil.example",
)  # fmt: skip
# Values the pages take, so that generated fields get past the first check.
PLAUSIBLE = (
    "1", "2", "12", "100", "GH", "ZA", "garments", "baseline", "follow_up", "defect_rate",
    "workplace-cooperation", "en", "fr", "y", "female", "worker", "admin", "2025-01-01",
    "2025-01-31", "/enterprises", "Ama", "ama@example.org",
)  # fmt: skip
# Query arguments no page reads, url_for's own first.
UNKNOWN_ARGS = ("endpoint", "_external", "_anchor", "_method", "_scheme", "colour")
REQUESTS_PER_ROLE = 2_000
PDF = b"%PDF-1.7 drawn as HTML for the generated requests\n"


class _Forms(HTMLParser):
    """The forms of a page: (method, the path it is sent to) -> {field name: value shown}."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.forms, self._fields, self._select = page_path, {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.page_path).path
            self._fields = self.forms.setdefault((attrs.get("method", "get").upper(), action), {})
        elif self._fields is not None and tag in ("input", "select", "textarea", "option"):
            self._field(tag, attrs)

    def _field(self, tag, attrs):
        if tag == "option":  # the select's first value, or its chosen one
            if self._select not in self._fields or "selected" in attrs:
                self._fields[self._select] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs.get("name")
        elif attrs.get("name") and (attrs["name"] not in self._fields or "checked" in attrs):
            self._fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None


LINK_ARG = re.compile(r'href="[^"?]*\?([^"#]*)')


@dataclass
class Session:
    """One role's browser: its CSRF token, the forms and query arguments its pages show, and the
    count of requests sent; signed in again should a request sign it out."""

    client: object
    user: object | None
    token: str = ""
    forms: dict = field(default_factory=dict)
    query_names: list[str] = field(default_factory=list)
    sent: int = 0

    def start(self) -> None:
        page = self.client.get("/login").get_data(True)
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        if self.user is not None:
            sign_in(self.client, self.user, csrf_token=self.token)

    def read_pages(self, ids: dict) -> None:
        """The forms, and the query arguments of the links, of every page the role opens."""
        names = set()
        for path in (route.format(**ids) for method, route in ROUTES if method == "GET"):
            response = self.client.get(path)
            body = response.get_data()  # read out: a streamed download holds its request open
            if response.mimetype == "text/html":
                html = body.decode()
                parser = _Forms(path)
                parser.feed(html)
                for key, fields in parser.forms.items():
                    self.forms.setdefault(key, fields)
                names.update(re.findall(r"([\w-]+)=", " ".join(LINK_ARG.findall(html))))
        gets = (fields for (method, _path), fields in self.forms.items() if method == "GET")
        self.query_names = sorted(names.union(*gets))

    def send(self, method: str, path: str, **kwargs):
        response = self.client.open(path, method=method, **kwargs)
        response.get_data()  # a streamed answer (an export, an import's progress) runs to its end
        self.sent += 1
        if self.user is not None and "/login" in (response.location or ""):
            self.start()
        return response


@pytest.fixture
def sessions(make_app, world, tmp_path, monkeypatch):
    """A browser per role, its pages read, on an app that checks CSRF tokens as production
    does."""
    monkeypatch.setattr("score_app.pdf.render_pdf", lambda html, images=None: PDF + html.encode())
    folders = {"SCORE_UPLOAD_DIR": str(tmp_path), "SCORE_IMPORT_DIR": str(tmp_path)}
    app = make_app(WTF_CSRF_ENABLED=True, **folders)
    users, ids = world

    def start(role: str) -> Session:
        session = Session(app.test_client(), users.get(role))
        session.start()
        session.read_pages(ids)
        return session

    return start, ids


# An error page (templates/errors/): its heading, then its message.
ERROR_PAGE = re.compile(r'<section class="narrow">\s*<h1>[^<]+</h1>\s*<p>\s*[^<\s][^<]*</p>')
# A message on a page: a field's error, a form's summary, a notice.
MESSAGE_MARKS = ('class="error', 'role="alert"', 'class="callout')


def says_why(response) -> bool:
    """A refusal carries a message: an error in JSON, or on the page an error page's message,
    a field's error or a form's summary."""
    if response.is_json:
        body = response.get_json()
        return bool(body.get("error") or body.get("errors"))
    html = response.get_data(True)
    return ERROR_PAGE.search(html) is not None or any(mark in html for mark in MESSAGE_MARKS)


def check(response, method: str, path: str) -> None:
    where = f"{method} {path[:200]!r}"
    assert response.status_code < 500, where
    assert response.status_code < 400 or says_why(response), (where, response.status_code)


def _mostly(usual, other) -> st.SearchStrategy:
    """`usual` nine times in ten."""
    return st.integers(0, 9).flatmap(lambda n: other if n == 0 else usual)


def _segment(value: str) -> str:
    """A value as one segment of a path: '/' and everything else escaped."""
    return quote(value, safe="")


def text_values(ids: dict) -> st.SearchStrategy[str]:
    """A value as a browser could send it, and as it never would."""
    return st.one_of(
        st.sampled_from(CRAFTED),
        st.sampled_from(PLAUSIBLE + tuple(str(value) for value in ids.values())),
        st.integers().map(str),
        st.text(max_size=40),
    )


def _paths(route: str, ids: dict, values) -> st.SearchStrategy[str]:
    """The route with each placeholder the world's value, mostly, or a generated one."""
    names = PLACEHOLDER.findall(route)
    fills = [_mostly(st.just(str(ids[name])), values.map(_segment)) for name in names]
    return st.tuples(*fills).map(
        lambda chosen: route.format(**dict(zip(names, chosen, strict=True)))
    )


def _shown_or_not(shown: dict, values) -> st.SearchStrategy[dict]:
    """The fields of a form as its page shows them, some changed to generated values."""
    return st.fixed_dictionaries({name: _mostly(st.just(v), values) for name, v in shown.items()})


def _arguments(names: list[str], values) -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(names + list(UNKNOWN_ARGS)), values, max_size=4)


@st.composite
def requests(draw, session: Session, ids: dict):
    """(method, path, keyword arguments of the test client's open) for one generated request."""
    values = text_values(ids)
    method, route = draw(st.sampled_from(ROUTES))
    path = draw(_paths(route, ids, values))
    kwargs = {"query_string": draw(_arguments(session.query_names, values))}
    if method == "POST":
        shown = session.forms.get((method, route.format(**ids)), {"csrf_token": session.token})
        form = {**draw(_shown_or_not(shown, values)), **draw(_arguments([], values))}
        if draw(st.integers(0, 9)) == 0:
            form["photo" if "/actions/" in path else "file"] = (_upload(draw), draw(values))
        kwargs["data"] = form
    return method, path, kwargs


def _upload(draw) -> io.BytesIO:
    content = draw(st.sampled_from([png_bytes(), b"indicator\r\n", b"\x00\xff" * 50, b""]))
    return io.BytesIO(content)


@pytest.mark.parametrize("role", matrix.ROLES)
def test_no_generated_page_request_gets_a_server_error(sessions, role):
    start, ids = sessions
    session = start(role)

    @given(request=requests(session, ids))
    @settings(
        # The same requests on every run, so CI is repeatable; raise the count to explore more.
        max_examples=REQUESTS_PER_ROLE, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def send(request):
        method, path, kwargs = request
        check(session.send(method, path, **kwargs), method, path)

    send()
    assert session.sent >= REQUESTS_PER_ROLE


def _crafted_requests(session: Session, ids: dict) -> Iterator[tuple[str, str, dict]]:
    """Every route with each crafted case of issue 15 in its path, its query and its form."""
    for method, route in ROUTES:
        path = route.format(**ids)
        shown = session.forms.get((method, path), {})
        for value in ("AB\x00CD", HUGE, "-" + HUGE, NEWLINE, "x" * 5000):
            yield method, route.format(**dict.fromkeys(ids, _segment(value))), {}
            query = dict.fromkeys([*session.query_names, "next"], value)
            yield method, path, {"query_string": query}
            if method == "POST":
                form = {**dict.fromkeys(shown, value), "csrf_token": session.token}
                yield method, path, {"data": {**form, "next": value}}
        yield method, path, {"query_string": dict.fromkeys(UNKNOWN_ARGS, "x")}


@pytest.mark.parametrize("role", matrix.ROLES)
def test_no_crafted_page_request_gets_a_server_error(sessions, role):
    start, ids = sessions
    session = start(role)
    for method, path, kwargs in _crafted_requests(session, ids):
        check(session.send(method, path, **kwargs), method, path)
    assert session.sent >= len(ROUTES) * 11
