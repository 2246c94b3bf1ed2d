"""Real-browser fixtures: the app served on 127.0.0.1 as users meet it (CSRF checked), Debian's
Chromium at tablet, phone and laptop size, and, when a test fails, a full-page screenshot of the
open page in test-results/e2e/, named in the failure report."""

import pytest
from playwright.sync_api import Error, Page, expect, sync_playwright
from pypdf import PdfReader

from score_app.testing import LAPTOP, PHONE, TABLET, open_chromium, serve
from tests.conftest import PASSWORD

# Fixtures of the page tests, imported so that both kinds of test start from the same data.
from tests.plans.conftest import plan_data  # noqa: F401
from tests.programme.conftest import results_world  # noqa: F401
from tests.training.conftest import create_workshop  # noqa: F401

SCREENSHOTS = "test-results/e2e"
OPEN_PAGE = pytest.StashKey[Page]()
TIMEOUT_MS = 10_000  # fail in seconds, not Playwright's default 30


@pytest.fixture
def app(make_app, tmp_path):
    """The app as users meet it: forms and taps carry their CSRF token, or are refused."""
    return make_app(
        WTF_CSRF_ENABLED=True,
        SCORE_UPLOAD_DIR=str(tmp_path / "uploads"),
        SCORE_IMPORT_DIR=str(tmp_path / "imports"),
    )


@pytest.fixture
def live_server(app):
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def open_page(request, playwright, live_server, tmp_path):
    """Open Chromium as a device (score_app.testing's TABLET, PHONE...) on the served app; its
    page, kept for the screenshot of a failure."""
    contexts = []

    def open_as(device: dict) -> Page:
        context = open_chromium(
            playwright,
            tmp_path / f"chromium-{len(contexts)}",
            base_url=live_server,
            locale="en-GB",
            accept_downloads=True,
            **device,
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        request.node.stash[OPEN_PAGE] = context.pages[0]
        return context.pages[0]

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def tablet(open_page) -> Page:
    return open_page(TABLET)


@pytest.fixture
def phone(open_page) -> Page:
    return open_page(PHONE)


@pytest.fixture
def laptop(open_page) -> Page:
    return open_page(LAPTOP)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    page = item.stash.get(OPEN_PAGE, None)
    if report.failed and page is not None and not page.is_closed():
        report.sections.append(("screenshot", _screenshot(page, item)))
    return report


def _screenshot(page: Page, item) -> str:
    path = item.config.rootpath / SCREENSHOTS / f"{item.name}.png"
    try:
        page.screenshot(path=path, full_page=True)
    except Error as error:
        return f"no screenshot of {page.url}: {error.message}"
    return f"the page at {page.url} is saved in {path}"


def log_in(page: Page, user, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page, in English, and land on the home page."""
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Welcome, {user.full_name}")).to_be_visible()


def pdf_text(download) -> str:
    """The text of every page of a downloaded file, which must be a PDF."""
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    return "\n".join(page.extract_text() for page in PdfReader(download.path()).pages)
