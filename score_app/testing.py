"""What the end-to-end tests and the benchmarks share: the app served on 127.0.0.1 in a thread,
and Debian's Chromium (Playwright's own browser download cannot work here) at the sizes our users
hold. Imported only by tests/ and bench/; Playwright comes with the `test` extra."""

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# Browser context options for each kind of device.
TABLET = {"viewport": {"width": 1024, "height": 1366}, "has_touch": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
# Chrome's "Download PDFs" setting: a PDF is saved as a file, as a trainer keeps a sign-in sheet
# to print later, instead of opening in the viewer (where no download would happen).
PREFERENCES = {"plugins": {"always_open_pdf_externally": True}}


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve the app with Werkzeug on a free port of 127.0.0.1 while the block runs; its URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def open_chromium(playwright, profile: Path, **context_options):
    """A headless Chromium with a new profile in `profile`, as one browser context; Playwright's
    `launch_persistent_context` options apply."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (make test does).")
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(PREFERENCES), encoding="utf-8")
    return playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, **context_options
    )
