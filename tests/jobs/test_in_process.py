"""With no Redis configured (the embedded default) a job runs inside the request that asks for
it, and its page shows the outcome; the page, its JSON status and its document are for the
job's owner and admins only."""

import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from score_app.extensions import db, utcnow
from score_app.jobs import services
from score_app.jobs.models import Job, JobFile, JobState
from score_app.kpis.models import Measurement
from tests.jobs.conftest import client_of
from tests.programme.conftest import csv_bytes, row, upload


def _upload_and_check(client, rows):
    response = upload(client, csv_bytes(rows))
    assert response.status_code == 303
    started = client.get(response.location)
    assert started.status_code == 303
    assert re.fullmatch(r"/jobs/\d+", started.location)
    return started.location


def test_an_import_checks_in_the_request_and_its_job_page_shows_the_report(app, jobs_world):
    client = client_of(app, jobs_world, "staff")
    accra = jobs_world["accra"].id
    job_url = _upload_and_check(client, [row(accra), row(accra, inputs=("50", "40"))])
    page = client.get(job_url).get_data(True)
    assert "Checking figures.csv" in page
    assert "1 row has an error" in page and "1 row is ready" in page
    assert '<meta http-equiv="refresh"' not in page, "a finished job does not refresh"
    status = client.get(job_url + "/status.json").get_json()
    assert status["state"] == "finished"


def test_a_saved_import_is_saved_once_even_when_its_job_runs_again(app, jobs_world):
    client = client_of(app, jobs_world, "staff")
    accra = jobs_world["accra"].id
    job_url = _upload_and_check(client, [row(accra)])
    token = re.search(r"/programme/imports/([0-9a-f]{32})/save", client.get(job_url).text)[1]
    saved = client.post(f"/programme/imports/{token}/save")
    assert saved.status_code == 303
    assert "Saved: 1 new" in client.get(saved.location).get_data(True)
    job_id = int(saved.location.rsplit("/", 1)[1])
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Measurement))
        services.run_job(job_id)  # RQ retrying the job after its worker was lost
        job = db.session.get(Job, job_id)
        assert (job.state, job.attempts) == (JobState.FINISHED, 1)
        assert db.session.scalar(select(func.count()).select_from(Measurement)) == before


def test_only_the_owner_and_admins_see_a_job_and_its_document(app, jobs_world):
    owner = client_of(app, jobs_world, "staff")
    job_url = _upload_and_check(owner, [row(jobs_world["accra"].id)])
    colleague = client_of(app, jobs_world, "other_staff")
    for path in ("", "/status.json", "/file"):
        assert colleague.get(job_url + path).status_code == 404, path
    assert "Checking figures.csv" not in colleague.get("/jobs").get_data(True)
    admin = client_of(app, jobs_world, "admin")
    assert admin.get(job_url).status_code == 200
    assert "Checking figures.csv" in admin.get("/jobs").get_data(True)
    assert "Checking figures.csv" in owner.get("/jobs").get_data(True)
    assert app.test_client().get(job_url).status_code == 302  # to the sign-in


def test_the_synthesis_report_is_kept_on_its_job_for_download_until_it_expires(app, jobs_world):
    client = client_of(app, jobs_world, "staff")
    started = client.get("/programme/report.pdf?lang=en")
    assert started.status_code == 303
    page = client.get(started.location).get_data(True)
    assert "Synthesis report (PDF)" in page and "Download" in page
    download = client.get(started.location + "/file")
    assert download.mimetype == "application/pdf"
    assert "Programme results" in PdfReader(io.BytesIO(download.data)).pages[0].extract_text()
    with app.app_context():
        kept = db.session.scalar(select(JobFile))
        assert kept.size_bytes == len(download.data)
        kept.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert client.get(started.location + "/file").status_code == 404
    assert "This document is no longer kept: make it again." in client.get(started.location).text
    client.get("/programme/report.pdf?lang=en")  # a new job clears what has expired
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobFile)) == 1


def test_a_document_over_the_size_limit_fails_its_job_with_a_clear_message(app, jobs_world):
    app.config["SCORE_JOB_MAX_FILE_MB"] = 0  # nothing fits
    client = client_of(app, jobs_world, "staff")
    page = client.get("/programme/report.pdf?lang=en", follow_redirects=True).get_data(True)
    assert "The document came out larger than 0 MB, the most that is kept" in page
    assert "/file" not in page


def test_a_failed_job_speaks_the_language_of_the_user_who_asked(app, jobs_world):
    app.config["SCORE_JOB_MAX_FILE_MB"] = 0
    client = client_of(app, jobs_world, "staff_fr")
    page = client.get("/programme/report.pdf", follow_redirects=True).get_data(True)
    assert "Le document" in page and "0 Mo" in page


def _waiting_job(app, user) -> int:
    """A job still on the queue, as the web sees it while a worker has not taken it yet."""
    with app.app_context():
        job = Job(
            user_id=user.id, kind="import_check", params={"upload_id": 0}, label="Checking big.csv",
            locale="en", state=JobState.STARTED, progress_done=1500, progress_total=6000,
        )  # fmt: skip
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_running_job_page_refreshes_without_javascript_and_offers_a_refresh_link(app, jobs_world):
    job_id = _waiting_job(app, jobs_world["users"]["staff"])
    client = client_of(app, jobs_world, "staff")
    page = client.get(f"/jobs/{job_id}").get_data(True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert f'<a class="button" href="/jobs/{job_id}">Refresh</a>' in page
    assert f'data-status-url="/jobs/{job_id}/status.json"' in page
    assert 'max="6000" value="1500"' in page and "1,500 of about 6,000" in page
    assert "You can leave this page" in page
    status = client.get(f"/jobs/{job_id}/status.json").get_json()
    assert status == {"state": "started", "done": 1500, "total": 6000, "url": f"/jobs/{job_id}"}
