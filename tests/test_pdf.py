"""The one PDF renderer reads the app's static files and refuses everything else, parses each
style sheet once and keeps each thread's fonts, and its documents still look as styled."""

import io
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from score_app import pdf
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


# A document styled by print.css the way a reader notices: its heading in the certificate's
# blue, the text in Noto Sans, and page numbers in the footer.
STYLED = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Styled</title>'
    '<link rel="stylesheet" href="{href}"></head>'
    '<body class="certificate"><h1>Certificate of participation</h1><p>{text}</p></body></html>'
)
CERTIFICATE_BLUE = "0.043137 0.32549 0.580392 rg"  # #0b5394, the heading's colour


def _look(pdf: bytes) -> tuple[str, set[str], str]:
    """The text, font names and drawing instructions of a one-page PDF."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = {
        f.get_object()["/BaseFont"].split("+")[-1] for f in page["/Resources"]["/Font"].values()
    }
    return page.extract_text(), fonts, page.get_contents().get_data().decode("latin-1")


def test_a_linked_style_sheet_is_parsed_once_and_styles_every_document(app, monkeypatch):
    parsed = []
    real_css = pdf.CSS

    def counted_css(**kwargs):
        parsed.append(kwargs["base_url"])
        return real_css(**kwargs)

    monkeypatch.setattr(pdf, "CSS", counted_css)
    pdf._parsed_style_sheet.cache_clear()
    fetched = []
    real_fetch = StaticFilesOnly.fetch

    def recorded_fetch(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(StaticFilesOnly, "fetch", recorded_fetch)
    with app.test_request_context():
        first = render_pdf(STYLED.format(href="/static/css/print.css", text="First"))
        # The same file behind a version query, as the pages' static URLs carry it.
        second = render_pdf(STYLED.format(href="/static/css/print.css?v=0a1b2c3d4e5f", text="Next"))
    assert parsed == [BASE_URL + "static/css/print.css"]
    # Read once for each document to see whether it changed; WeasyPrint asked for it never.
    assert fetched == [
        BASE_URL + "static/css/print.css",
        BASE_URL + "static/css/print.css?v=0a1b2c3d4e5f",
    ]
    for document, text in ((first, "First"), (second, "Next")):
        page_text, fonts, drawing = _look(document)
        assert text in page_text and "1 / 1" in page_text  # the footer print.css adds
        assert fonts == {"Noto-Sans", "Noto-Sans-Bold"}
        assert CERTIFICATE_BLUE in drawing


def test_a_style_sheet_changed_on_disk_styles_the_next_document(app, monkeypatch, tmp_path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "doc.css"
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    html = STYLED.format(href="/static/css/doc.css", text="Colours")
    with app.test_request_context():
        sheet.write_text("h1 { color: #ff0000 }")
        red = render_pdf(html)
        sheet.write_text("h1 { color: #0000ff }")
        blue = render_pdf(html)
    assert "1 0 0 rg" in _look(red)[2] and "0 0 1 rg" not in _look(red)[2]
    assert "0 0 1 rg" in _look(blue)[2] and "1 0 0 rg" not in _look(blue)[2]


def test_a_style_sheet_that_imports_another_still_styles_the_pdf_through_the_static_fetcher(
    app, monkeypatch, tmp_path
):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "doc.css").write_text('@import "colours.css";')
    (tmp_path / "css" / "colours.css").write_text("h1 { color: #ff0000 }")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    fetched = []
    real_fetch = StaticFilesOnly.fetch
    monkeypatch.setattr(
        StaticFilesOnly,
        "fetch",
        lambda self, url, headers=None: fetched.append(url) or real_fetch(self, url, headers),
    )
    with app.test_request_context():
        drawing = _look(render_pdf(STYLED.format(href="/static/css/doc.css", text="x")))[2]
    assert "1 0 0 rg" in drawing
    assert BASE_URL + "static/css/colours.css" in fetched


def test_each_thread_keeps_one_font_configuration_for_its_documents(app, monkeypatch):
    made = []
    real_configuration = pdf.FontConfiguration

    def counted_configuration():
        made.append(threading.get_ident())
        return real_configuration()

    monkeypatch.setattr(pdf, "FontConfiguration", counted_configuration)
    monkeypatch.setattr(pdf, "_per_thread", threading.local())
    printed = []

    def print_two():
        with app.test_request_context():
            for text in ("One", "Two"):
                printed.append(
                    (text, render_pdf(STYLED.format(href="/static/css/print.css", text=text)))
                )

    print_two()
    other = threading.Thread(target=print_two)
    other.start()
    other.join()
    assert len(made) == 2 and made[0] != made[1]
    assert len(printed) == 4
    for text, document in printed:
        page_text, fonts, _drawing = _look(document)
        assert text in page_text and fonts == {"Noto-Sans", "Noto-Sans-Bold"}
