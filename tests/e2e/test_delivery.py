"""How pages reach Chromium: compressed, with their style sheets asked for once, by version, and
then taken from the browser's cache across sign-in and later pages."""

import hashlib
from pathlib import Path

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.committing  # the server's thread sees only committed rows

STATIC = Path(__file__).resolve().parents[2] / "score_app" / "static"
DOCUMENT_SIZES = """() => {
    const [entry] = performance.getEntriesByType("navigation");
    return [entry.encodedBodySize, entry.decodedBodySize];
}"""


def test_a_page_arrives_compressed_and_its_style_sheets_come_once_by_version(
    app, laptop, create_user
):
    asked = []
    serve = app.wsgi_app

    def recording(environ, start_response):
        asked.append((environ["PATH_INFO"], environ["QUERY_STRING"]))
        return serve(environ, start_response)

    app.wsgi_app = recording
    page = laptop
    log_in(page, create_user("trainer"))

    response = page.goto("/modules/quality-management")
    assert response.status == 200
    assert response.all_headers()["content-encoding"] == "br"
    compressed, html = page.evaluate(DOCUMENT_SIZES)
    assert 0 < compressed < html / 3
    page.get_by_role("link", name="Enterprises").click()
    page.wait_for_load_state()

    version = hashlib.sha256((STATIC / "css" / "app.css").read_bytes()).hexdigest()[:12]
    pages = [path for path, _query in asked if not path.startswith("/static/")]
    assert len(pages) >= 4, pages  # sign-in page, sign-in, home, module, enterprises
    assert [query for path, query in asked if path == "/static/css/app.css"] == [f"v={version}"], (
        "asked for once, by version, then kept by the browser"
    )
