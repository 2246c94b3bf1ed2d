"""Static files under URLs that name their content: `url_for('static', ...)` adds `?v=` and the
first 12 hex digits of the file's SHA-256, and a request for the current content is cached for a
year, any other for no time at all."""

import hashlib
import os
import stat

from flask import Flask, Response, current_app, request, session
from werkzeug.security import safe_join

VERSION_ARG = "v"
VERSION_DIGITS = 12
YEAR_SECONDS = 365 * 24 * 3600
# The content of a versioned URL never changes: browsers keep it without asking again.
CURRENT = f"public, max-age={YEAR_SECONDS}, immutable"
# Without a version, or with one of older content (a page cached before an upgrade), the file is
# checked on each use (its ETag answers 304), so no page pins a file for longer than it lives.
UNVERSIONED = "no-cache"


class StaticVersions:
    """The version of each file of a folder, hashed once for as long as the file stays the same
    (same size and modification time), so an edited file gets a new URL without a restart."""

    def __init__(self, folder: str):
        self.folder = folder
        self._known: dict[str, tuple[tuple[int, int], str]] = {}

    def version(self, filename: str) -> str | None:
        """The file's version, or None when the folder has no such file."""
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            found = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(found.st_mode):
            return None
        seen = (found.st_mtime_ns, found.st_size)
        known = self._known.get(filename)
        if known is not None and known[0] == seen:
            return known[1]
        with open(path, "rb") as file:
            version = hashlib.file_digest(file, "sha256").hexdigest()[:VERSION_DIGITS]
        self._known[filename] = (seen, version)
        return version


def init_app(app: Flask) -> None:
    app.extensions["static_versions"] = StaticVersions(app.static_folder)
    app.url_defaults(add_version)
    app.after_request(set_lifetime)


def add_version(endpoint: str, values: dict) -> None:
    """url_defaults: `url_for('static', filename=...)` names the file's current version."""
    if endpoint == "static" and VERSION_ARG not in values:
        version = _versions().version(values.get("filename", ""))
        if version is not None:
            values[VERSION_ARG] = version


def set_lifetime(response: Response) -> Response:
    """after_request: a year for the current version of a static file, no time for any other."""
    if request.endpoint != "static" or response.status_code not in (200, 206, 304):
        return response
    current = _versions().version((request.view_args or {}).get("filename", ""))
    is_current = current is not None and request.args.get(VERSION_ARG) == current
    response.headers["Cache-Control"] = CURRENT if is_current else UNVERSIONED
    response.headers.pop("Expires", None)
    # A file is the same whoever asks. Without this, Flask adds "Vary: Cookie" for anyone with
    # a session, and a cache that honours it (a proxy's, some browsers') keeps a copy per
    # session cookie and asks again whenever the cookie changes: at sign-in, after a message.
    session.accessed = False
    return response


def _versions() -> StaticVersions:
    return current_app.extensions["static_versions"]
