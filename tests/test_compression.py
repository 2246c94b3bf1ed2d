"""Compressed answers: pages, JSON and static text in Brotli or gzip as the browser accepts, each
unpacking to what an uncompressed answer holds; small answers, downloads, streamed pages, byte
ranges and answers already encoded sent as they are; Vary: Accept-Encoding on all of them."""

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import Response
from itsdangerous import TimestampSigner

from score_app.compression import compress_response
from tests.programme.conftest import csv_bytes, programme_world, row, upload  # noqa: F401

STATIC = Path(__file__).resolve().parent.parent / "score_app" / "static"
MODULE_PAGE = "/modules/quality-management"
UNPACK = {"br": brotli.decompress, "gzip": gzip.decompress}
# A page's CSRF tokens carry the second they were made in, so two requests may differ there.
CSRF_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def _same_page(html: bytes) -> str:
    return CSRF_TOKEN.sub('name="csrf_token" value=""', html.decode("utf-8"))


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_large_page_comes_back_compressed_and_unpacks_to_the_same_html(client_as, encoding):
    client = client_as("trainer")
    plain = client.get(MODULE_PAGE, headers={"Accept-Encoding": "identity"})
    packed = client.get(MODULE_PAGE, headers={"Accept-Encoding": encoding})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert len(plain.data) > 20_000, "the page is large enough to be worth compressing"
    assert packed.headers["Content-Encoding"] == encoding
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert len(packed.data) < len(plain.data) / 3
    assert _same_page(UNPACK[encoding](packed.data)) == _same_page(plain.data)


@pytest.mark.parametrize(
    ("accepted", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),  # what Chromium sends
        ("gzip, deflate", "gzip"),
        ("br;q=0.5, gzip;q=1.0", "gzip"),
        ("zstd, deflate", None),
        ("", None),
    ],
)
def test_brotli_when_the_browser_takes_it_else_gzip_else_nothing(client_as, accepted, chosen):
    response = client_as("trainer").get(MODULE_PAGE, headers={"Accept-Encoding": accepted})
    assert response.headers.get("Content-Encoding") == chosen


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_json_answers_are_compressed_and_unpack_to_the_same_json(client, encoding):
    plain = client.get("/api/openapi.json", headers={"Accept-Encoding": "identity"})
    packed = client.get("/api/openapi.json", headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding
    assert packed.mimetype == "application/json"
    assert UNPACK[encoding](packed.data) == plain.data


def test_a_static_style_sheet_is_compressed_with_an_etag_of_its_own(client):
    url = "/static/css/app.css"
    packed = client.get(url, headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == (STATIC / "css" / "app.css").read_bytes()
    etag = packed.headers["ETag"]
    assert etag.endswith(':br"'), "a compressed answer is not the same bytes as the file"
    assert "Accept-Ranges" not in packed.headers
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304


def test_a_small_answer_is_sent_as_it_is(client):
    response = client.get("/api/v1/enterprises", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 401
    assert len(response.data) < 1400
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize(
    "url",
    [
        "/modules/workplace-cooperation/handout.pdf",
        "/programme/exports/measurements.xlsx",
        "/programme/imports/template.xlsx",
    ],
)
def test_downloads_are_sent_as_they_are(client_as, url):
    response = client_as("admin").get(url, headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert len(response.data) > 1400
    assert "Content-Encoding" not in response.headers


def test_a_streamed_export_is_sent_as_it_is_written(programme_world):  # noqa: F811
    """A CSV export reaches the reader as its rows are read: a compressor would hold it back
    until the end."""
    client = programme_world["clients"]["admin"]
    response = client.get(
        "/programme/exports/measurements.csv",
        headers={"Accept-Encoding": "br, gzip"},
        buffered=False,
    )
    assert response.status_code == 200
    assert response.is_streamed
    body = response.get_data()
    assert "Content-Encoding" not in response.headers
    assert b"enterprise" in body.splitlines()[0].lower()


@pytest.mark.parametrize(
    ("url", "signed_in"),
    [
        (MODULE_PAGE, True),
        ("/login", False),
        ("/api/openapi.json", False),
        ("/api/v1/enterprises", False),
        ("/static/css/app.css", False),
        ("/modules/workplace-cooperation/handout.pdf", True),
    ],
)
@pytest.mark.parametrize("accepted", ["", "br"])
def test_every_answer_says_it_varies_with_accept_encoding(
    client_as, client, url, signed_in, accepted
):
    """Whether compressed or not, so that no cache hands a compressed answer to a browser that
    cannot read it, or a plain one where a compressed one would do."""
    browser = client_as("admin") if signed_in else client
    response = browser.get(url, headers={"Accept-Encoding": accepted})
    vary = [value.strip().lower() for value in response.headers.get("Vary", "").split(",")]
    assert "accept-encoding" in vary


def test_a_byte_range_of_a_static_file_is_sent_as_stored(client):
    stored = (STATIC / "css" / "app.css").read_bytes()
    response = client.get(
        "/static/css/app.css", headers={"Accept-Encoding": "br, gzip", "Range": "bytes=0-4999"}
    )
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert response.data == stored[:5000]


def test_an_answer_already_encoded_is_left_alone(app):
    packed = gzip.compress(b"<!doctype html>" + b"<p>Hello</p>" * 1000)
    response = Response(packed, mimetype="text/html", headers={"Content-Encoding": "gzip"})
    with app.test_request_context(headers={"Accept-Encoding": "br"}):
        answer = compress_response(response)
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.get_data() == packed


def test_the_csrf_token_on_a_page_changes_every_second_within_one_session(make_app, monkeypatch):
    """What SECURITY.md says of BREACH: the token a compressed page carries is signed with the
    second it was made, so no value stays on the page long enough to be guessed from sizes."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    now = [1_800_000_000]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: now[0])
    tokens = []
    for _second in range(2):
        page = client.get("/login").get_data(as_text=True)
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))
        now[0] += 1
    first, second = tokens
    assert first != second
    assert first.split(".")[0] == second.split(".")[0], "one session, one random token"
