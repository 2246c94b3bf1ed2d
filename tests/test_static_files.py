"""Static files under URLs that name their content: the version in the URL is the file's hash,
changes with the file, is hashed once while the file stays the same, and only the current version
is kept by browsers for a year; the PDF renderer still finds a versioned file."""

import hashlib
import os
from pathlib import Path

import pytest
from flask import url_for

from score_app import static_files
from score_app.pdf import BASE_URL, StaticFilesOnly
from tests.conftest import sign_in

STATIC = Path(__file__).resolve().parent.parent / "score_app" / "static"
YEAR = "public, max-age=31536000, immutable"


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _static_url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


@pytest.fixture
def own_static(make_app, tmp_path):
    """An app whose static folder is a temporary one, holding css/site.css."""
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "site.css").write_text("body { color: #222; }\n")
    app = make_app()
    app.static_folder = str(folder)
    app.extensions["static_versions"] = static_files.StaticVersions(str(folder))
    return app, folder / "css" / "site.css"


@pytest.mark.parametrize("filename", ["css/app.css", "css/charts.css", "js/attendance.js"])
def test_a_static_url_carries_the_first_12_hex_digits_of_the_files_sha256(app, filename):
    version = _version(STATIC / filename)
    assert _static_url(app, filename) == f"/static/{filename}?v={version}"


def test_pages_link_their_style_sheets_by_version(client):
    page = client.get("/login").get_data(as_text=True)
    assert f'href="/static/css/app.css?v={_version(STATIC / "css" / "app.css")}"' in page


def test_the_url_changes_when_the_file_changes(own_static):
    app, css = own_static
    before = _static_url(app, "css/site.css")
    css.write_text("body { color: #000; }\n")  # the same size: only the content differs
    stat = css.stat()
    os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = _static_url(app, "css/site.css")
    assert before != after
    assert after == f"/static/css/site.css?v={_version(css)}"


def test_a_file_is_hashed_once_while_it_stays_the_same(own_static, monkeypatch):
    app, _css = own_static
    hashed = []
    digest = static_files.hashlib.file_digest
    monkeypatch.setattr(
        static_files.hashlib, "file_digest", lambda *args: hashed.append(1) or digest(*args)
    )
    urls = {_static_url(app, "css/site.css") for _ in range(5)}
    assert len(urls) == 1
    assert len(hashed) == 1


def test_only_the_current_version_is_kept_for_a_year(own_static):
    app, css = own_static
    client = app.test_client()
    old_url = _static_url(app, "css/site.css")
    assert client.get(old_url).headers["Cache-Control"] == YEAR
    css.write_text("body { color: #000; background: #fff; }\n")
    new_url = _static_url(app, "css/site.css")
    stale = client.get(old_url)
    assert stale.status_code == 200
    assert stale.data == css.read_bytes(), "an old page gets the file as it is now"
    assert stale.headers["Cache-Control"] == "no-cache", "and does not keep it"
    assert client.get(new_url).headers["Cache-Control"] == YEAR


@pytest.mark.parametrize(
    "query", ["", "?v=000000000000", "?v=", "?version={current}", "?v={current}0"]
)
def test_a_file_asked_for_without_its_current_version_is_checked_on_each_use(client, query):
    current = _version(STATIC / "css" / "app.css")
    response = client.get("/static/css/app.css" + query.format(current=current))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Expires" not in response.headers


def test_a_revalidated_file_keeps_its_lifetime(client):
    url = f"/static/css/app.css?v={_version(STATIC / 'css' / 'app.css')}"
    etag = client.get(url).headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == YEAR


def test_a_missing_file_has_no_version_and_is_not_kept(app, client):
    assert _static_url(app, "css/missing.css") == "/static/css/missing.css"
    response = client.get("/static/css/missing.css?v=000000000000")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_a_file_is_the_same_for_everyone_whatever_their_session(client, create_user):
    """No Vary: Cookie, or a cache that honours it would fetch the file again whenever the
    session cookie changed (signing in, a message shown)."""
    sign_in(client, create_user("trainer"))
    response = client.get(f"/static/css/app.css?v={_version(STATIC / 'css' / 'app.css')}")
    assert response.headers["Cache-Control"] == YEAR
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert "Set-Cookie" not in response.headers


def test_a_versioned_url_still_reaches_the_pdf_renderer():
    version = _version(STATIC / "css" / "print.css")
    found = StaticFilesOnly(STATIC).fetch(f"{BASE_URL}static/css/print.css?v={version}")
    assert found.read() == (STATIC / "css" / "print.css").read_bytes()
