"""The one PDF renderer: WeasyPrint, allowed to read the app's own static files and nothing else."""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Documents are rendered against this base; no request ever leaves for it, and only its
# /static/ paths are answered, from the static folder on disk.
BASE_URL = "https://score-app.invalid/"


class FetchRefused(ValueError):
    """A PDF asked for something outside the app's static files."""


class StaticFilesOnly(URLFetcher):
    def __init__(self, static_folder: Path):
        super().__init__(allowed_protocols=())
        self.static_folder = static_folder.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not parts.path.startswith("/static/"):
            raise FetchRefused(f"only the app's static files can be used in a PDF, not {url}")
        path = (self.static_folder / unquote(parts.path.removeprefix("/static/"))).resolve()
        if not path.is_relative_to(self.static_folder) or not path.is_file():
            raise FetchRefused(f"no such static file: {parts.path}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def render_pdf(html: str) -> bytes:
    """Turn a page rendered from templates/pdf/ into PDF bytes."""
    fetcher = StaticFilesOnly(Path(current_app.static_folder))
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
