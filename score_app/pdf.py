"""The one PDF renderer: WeasyPrint, allowed to read the app's own static files and nothing else.

What every document shares is prepared once, not per document: each style sheet a document
links from the static folder is parsed once per process (again when the file changes), and each
thread keeps one font configuration. The HTML itself is untouched, so the print view that
browsers open (templates/pdf/module.html) keeps its <link>s.
"""

import mimetypes
import threading
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from xml.etree.ElementTree import Element

from flask import current_app
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from score_app.organisation import LOGO_URL_PATH, current_organisation

# Documents are rendered against this base; no request ever leaves for it, and only its
# /static/ paths are answered, from the static folder on disk.
BASE_URL = "https://score-app.invalid/"


class FetchRefused(ValueError):
    """A PDF asked for something outside the app's static files."""


class StaticFilesOnly(URLFetcher):
    """The static folder, the organisation's logo at the address pages show it at, and the
    pictures a document was given (`images`: path -> (bytes, content type)), such as the
    thumbnails of the photos a printed plan shows."""

    def __init__(
        self,
        static_folder: Path,
        logo_file: Path | None = None,
        images: dict[str, tuple[bytes, str]] | None = None,
    ):
        super().__init__(allowed_protocols=())
        self.static_folder = static_folder.resolve()
        self.logo_file = logo_file
        self.images = images or {}

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        is_ours = f"{parts.scheme}://{parts.netloc}/" == BASE_URL
        if is_ours and parts.path == LOGO_URL_PATH and self.logo_file is not None:
            return self._file(url, self.logo_file)
        if is_ours and parts.path in self.images:
            data, content_type = self.images[parts.path]
            return URLFetcherResponse(url, data, {"Content-Type": content_type})
        if not is_ours or not parts.path.startswith("/static/"):
            raise FetchRefused(f"only the app's static files can be used in a PDF, not {url}")
        path = (self.static_folder / unquote(parts.path.removeprefix("/static/"))).resolve()
        if not path.is_relative_to(self.static_folder) or not path.is_file():
            raise FetchRefused(f"no such static file: {parts.path}")
        return self._file(url, path)

    @staticmethod
    def _file(url: str, path: Path) -> URLFetcherResponse:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def render_pdf(html: str, images: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    """Turn a page rendered from templates/pdf/ into PDF bytes; `images` are the pictures of
    this document alone, by the path its HTML gives them (path -> (bytes, content type))."""
    fetcher = StaticFilesOnly(
        Path(current_app.static_folder), current_organisation().logo_file, images
    )
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    sheets = _take_linked_style_sheets(document.etree_element, fetcher)
    return document.write_pdf(stylesheets=sheets, font_config=_font_configuration())


def _take_linked_style_sheets(root: Element, fetcher: StaticFilesOnly) -> list[CSS]:
    """The parsed style sheets of the document's <link rel="stylesheet">s to static CSS, in
    document order, their links taken out of the parsed tree (which WeasyPrint walks only once
    it renders) so that it does not fetch and parse the files again; the href's query (?v=...)
    does not matter. If any of them cannot be passed in parsed, none is, and WeasyPrint reads
    them all itself as it always did.

    WeasyPrint applies sheets passed in this way as the user's, under every rule of the
    document's own: our templates put their <style> elements after their links, so those rules
    won before and win now."""
    links = []
    for parent in root.iter():
        for element in parent:
            if _is_style_sheet_link(element):
                url = urljoin(BASE_URL, element.get("href"))
                try:
                    content = fetcher.fetch(url).read()
                except FetchRefused:
                    return []
                links.append((parent, element, _parsed_style_sheet(urlsplit(url).path, content)))
    if any(sheet is None for _parent, _element, sheet in links):
        return []
    for parent, element, _sheet in links:
        parent.remove(element)
    return [sheet for _parent, _element, sheet in links]


def _is_style_sheet_link(element: Element) -> bool:
    """A link WeasyPrint would read for print: a style sheet, not an alternate one, for all media
    or print (any other media is left to it)."""
    rel = (element.get("rel") or "").lower().split()
    return (
        element.tag == "link"
        and "stylesheet" in rel
        and "alternate" not in rel
        and bool(element.get("href"))
        and (element.get("type") or "text/css").lower() == "text/css"
        and (element.get("media") or "all").strip().lower() in ("all", "print")
    )


# At-rules that register something in the document being rendered (its fonts, counter styles,
# colour profiles) or read another file: a sheet with one is not shared between documents.
_PER_DOCUMENT_RULES = (b"@import", b"@font-face", b"@counter-style", b"@color-profile")


@lru_cache(maxsize=16)
def _parsed_style_sheet(path: str, content: bytes) -> CSS | None:
    """A static style sheet parsed once for its content (a changed file is parsed anew), for any
    document and thread; None for a sheet with a rule of _PER_DOCUMENT_RULES."""
    if any(rule in content for rule in _PER_DOCUMENT_RULES):
        return None
    return CSS(string=content.decode("utf-8"), base_url=urljoin(BASE_URL, path))


_per_thread = threading.local()


def _font_configuration() -> FontConfiguration:
    """The fonts WeasyPrint found and loaded, kept from one document to the next; one per
    thread, as Pango's font maps are not made to be shared between threads."""
    fonts = getattr(_per_thread, "fonts", None)
    if fonts is None:
        fonts = _per_thread.fonts = FontConfiguration()
    return fonts
