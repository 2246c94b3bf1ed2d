"""A running job's page in a real browser: with JavaScript it polls the job's status and shows
the outcome once the job is done; without, it refreshes itself and offers a Refresh link."""

import pytest
from playwright.sync_api import Page, expect

from score_app.extensions import db, utcnow
from score_app.jobs import services
from score_app.jobs.models import Job, JobState
from score_app.testing import TABLET, open_chromium
from tests.e2e.conftest import TIMEOUT_MS, log_in

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing


def _running_job(app, user) -> int:
    """A synthesis report a worker is making: a third of the way there."""
    with app.app_context():
        job = Job(
            user_id=user.id, kind="synthesis_pdf", params={"filters": {}, "locale": "en"},
            label="Synthesis report (PDF)", locale="en", state=JobState.STARTED,
            progress_done=1, progress_total=3, started_at=utcnow(),
        )  # fmt: skip
        db.session.add(job)
        db.session.commit()
        return job.id


def _finish(app, job_id: int) -> None:
    """The worker is done: the PDF is kept on the job."""
    with app.app_context():
        job = db.session.get(Job, job_id)
        services.keep_file(job, "programme-results.pdf", "application/pdf", b"%PDF-1.7 made")
        services.finish(job, {"file": True})
        db.session.commit()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_running_jobs_page_shows_it_done_by_itself(
    app, playwright, live_server, tmp_path, create_user, javascript
):
    user = create_user("programme_staff", countries=["GH"], full_name="Adjoa Staff")
    job_id = _running_job(app, user)
    context = open_chromium(
        playwright, tmp_path / "chromium", base_url=live_server, locale="en-GB",
        java_script_enabled=javascript, accept_downloads=True, **TABLET,
    )  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page: Page = context.pages[0]
        log_in(page, user)
        page.goto(f"/jobs/{job_id}")
        expect(page.get_by_text("Working on it…")).to_be_visible()
        expect(page.locator("#job-progress")).to_have_attribute("value", "1")
        expect(page.get_by_role("link", name="Refresh")).to_be_visible()
        _finish(app, job_id)
        # No click: the script's poll, or the page's own refresh, brings the outcome.
        expect(page.get_by_role("link", name="Download")).to_be_visible()
        expect(page.get_by_text("Working on it…")).to_have_count(0)
        assert page.url.endswith(f"/jobs/{job_id}")
    finally:
        context.close()
