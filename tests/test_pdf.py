"""The one PDF renderer reads the app's static files and refuses everything else."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from score_app.pdf import BASE_URL, FetchRefused, StaticFilesOnly, render_pdf

STATIC = Path(__file__).resolve().parent.parent / "score_app" / "static"


def test_static_files_are_served_to_the_renderer():
    response = StaticFilesOnly(STATIC).fetch(BASE_URL + "static/css/print.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/logo.png",
        "https://example.com/style.css",
        BASE_URL + "static/../../../../etc/passwd",
        BASE_URL + "static/%2e%2e/%2e%2e/config.py",
        BASE_URL + "templates/base.html",
        "data:text/css,body{color:red}",
    ],
)
def test_anything_but_a_static_file_is_refused(url):
    with pytest.raises(FetchRefused):
        StaticFilesOnly(STATIC).fetch(url)


def test_a_document_pointing_outside_prints_as_text_and_fetches_nothing(app):
    html = (
        '<html><body><p>Action: &lt;img src="file:///etc/passwd"&gt;</p>'
        '<img src="file:///etc/passwd" alt="">'
        '<link rel="stylesheet" href="https://example.com/x.css">'
        "</body></html>"
    )
    with app.test_request_context():
        pdf = render_pdf(html)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert '<img src="file:///etc/passwd">' in text
    assert "root:" not in text
