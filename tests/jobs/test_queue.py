"""Jobs on a real queue: RQ on Redis (db 5), run by a worker in the test or by `flask score
worker` in a process of its own, which the test kills in the middle of an import's save."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import delete, func, select

from score_app.extensions import db
from score_app.jobs import queue
from score_app.jobs.models import Job, JobState
from score_app.kpis.models import Measurement, MeasurementAudit
from score_app.programme.models import MeasurementImport
from score_app.storage import StoredFile
from tests.conftest import sign_in
from tests.programme.conftest import csv_bytes, row, upload

pytestmark = pytest.mark.committing  # the worker reads the test's rows from its own connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queued_app(make_app, redis_url, tmp_path):
    return make_app(SCORE_REDIS_URL=redis_url, SCORE_IMPORT_DIR=str(tmp_path / "imports"))


@pytest.fixture
def staff(queued_app, create_user, create_enterprise):
    accra = create_enterprise(name="Accra Works", country="GH")
    user = create_user("programme_staff", countries=["GH"])
    return accra, sign_in(queued_app.test_client(), user)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _job(app, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _start_check(client, data: bytes) -> tuple[str, str]:
    """Upload a file; (its token, its check job's page), the job left on the queue."""
    response = upload(client, data)
    token = response.location.rsplit("/", 1)[1]
    started = client.get(response.location)
    assert started.status_code == 303
    return token, started.location


def test_a_job_waits_on_the_queue_until_a_worker_runs_it(queued_app, staff):
    accra, client = staff
    token, job_url = _start_check(client, csv_bytes([row(accra.id)]))
    waiting = client.get(job_url).get_data(True)
    assert "Waiting for its turn" in waiting and '<meta http-equiv="refresh"' in waiting
    assert client.get(job_url + "/status.json").get_json()["state"] == "queued"

    assert queue.work(queued_app, burst=True)
    done = client.get(job_url).get_data(True)
    assert "1 row is ready" in done and "Waiting for its turn" not in done
    saved = client.post(f"/programme/imports/{token}/save")
    assert "Waiting for its turn" in client.get(saved.location).get_data(True)
    assert _count(queued_app, Measurement) == 0, "the web request saves nothing itself"
    queue.work(queued_app, burst=True)
    assert "Saved: 1 new" in client.get(saved.location).get_data(True)
    assert _count(queued_app, Measurement) == 1


def test_progress_is_read_from_redis_while_the_worker_runs(queued_app, staff):
    accra, client = staff
    _token, job_url = _start_check(client, csv_bytes([row(accra.id)]))
    job_id = int(job_url.rsplit("/", 1)[1])
    with queued_app.app_context():  # what a worker has reported halfway through
        job = db.session.get(Job, job_id)
        job.state = JobState.STARTED
        db.session.commit()
        queue.set_progress(job_id, 500, 1000)
    status = client.get(job_url + "/status.json").get_json()
    assert (status["state"], status["done"], status["total"]) == ("started", 500, 1000)
    assert 'max="1000" value="500"' in client.get(job_url).get_data(True)


def _worker(app, *args: str) -> subprocess.Popen:
    """`flask score worker` in a process of its own, on the test's database and Redis."""
    env = {
        **os.environ,
        "SCORE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SCORE_REDIS_URL": app.config["SCORE_REDIS_URL"],
        "SCORE_IMPORT_DIR": _worker_import_dir(app),
        "SCORE_STORAGE": app.config["SCORE_STORAGE"],
        "SCORE_SECRET_KEY": "test-secret",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "score", "worker", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _worker_import_dir(app) -> str:
    """The worker's import folder: the web's own, as on one machine; with the files in the
    database, another one, as on a machine of its own."""
    folder = Path(app.config["SCORE_IMPORT_DIR"])
    if app.config["SCORE_STORAGE"] == "database":
        return str(folder.with_name("worker-imports"))
    return str(folder)


def _forget_what_the_check_found(app, token: str) -> None:
    if app.config["SCORE_STORAGE"] == "database":
        with app.app_context():
            db.session.execute(
                delete(StoredFile).where(StoredFile.name == f"imports/{token}.checked.jsonl")
            )
            db.session.commit()
    else:
        (Path(app.config["SCORE_IMPORT_DIR"]) / f"{token}.checked.jsonl").unlink()


def _progress(redis: Redis, job_id: int) -> tuple[int, int] | None:
    raw = redis.get(f"score:job:{job_id}:progress")
    if raw is None:
        return None
    done, total = raw.decode().strip("[]").split(",")
    return int(done), int(total)


def _kill_during_the_save(app, job_id: int) -> None:
    """Start a worker, wait until the save's second pass (the one that writes) is some rows in,
    and kill it there."""
    redis = Redis.from_url(app.config["SCORE_REDIS_URL"])
    worker = _worker(app)
    deadline, highest, writing = time.monotonic() + 120, 0, False
    try:
        while time.monotonic() < deadline:
            found = _progress(redis, job_id)
            if found is not None:
                done, _total = found
                writing = writing or done < highest  # the count started again: second pass
                highest = max(highest, done)
                if writing and done >= 1000:
                    break
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.005)
        else:
            pytest.fail("the worker never got into the save's second pass")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)


@pytest.mark.parametrize("storage", ["local", "database"])
def test_a_worker_killed_midway_through_a_save_leaves_it_to_the_next_worker_to_finish_once(
    queued_app, staff, storage
):
    queued_app.config["SCORE_STORAGE"] = storage
    accra, client = staff
    days = [time.strftime("%Y-%m-%d", time.gmtime(946684800 + n * 86400)) for n in range(3000)]
    rows = [row(accra.id, start=day, end=day) for day in days]
    token, check_url = _start_check(client, csv_bytes(rows))
    queue.work(queued_app, burst=True)
    assert "3,000 rows are ready" in client.get(check_url).get_data(True)
    # Without what the check found the save checks every row again, in two passes: the
    # worker is killed while the second is writing.
    _forget_what_the_check_found(queued_app, token)
    saving = client.post(f"/programme/imports/{token}/save")
    job_id = int(saving.location.rsplit("/", 1)[1])

    _kill_during_the_save(queued_app, job_id)
    left = _job(queued_app, job_id)
    assert (left.state, left.attempts) == (JobState.STARTED, 1)
    assert _count(queued_app, Measurement) == 0, "nothing of the killed save was kept"
    assert "Working on it" in client.get(saving.location).get_data(True)
    assert "ran again" not in client.get(saving.location).get_data(True)

    again = _worker(queued_app, "--burst")
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    done = _job(queued_app, job_id)
    assert (done.state, done.attempts) == (JobState.FINISHED, 2)
    assert _count(queued_app, Measurement) == 3000
    assert _count(queued_app, MeasurementAudit) == 3000, "each row saved once, with one audit"
    page = client.get(saving.location).get_data(True)
    assert "Saved: 3,000 new" in page
    assert "This work was cut short (the server doing it stopped) and ran again" in page
    with queued_app.app_context():
        upload_row = db.session.scalar(
            select(MeasurementImport).where(MeasurementImport.token == token)
        )
        assert upload_row.created_count == 3000

    # RQ retrying the killed run later (its worker lost) finds the job done and writes nothing.
    with queued_app.app_context():
        queue.enqueue(job_id)
    queue.work(queued_app, burst=True)
    assert _count(queued_app, Measurement) == 3000
    assert _job(queued_app, job_id).attempts == 2
    if storage == "database":
        assert _count(queued_app, StoredFile) == 0, "the save deleted the import's files"
        for folder in (queued_app.config["SCORE_IMPORT_DIR"], _worker_import_dir(queued_app)):
            assert not Path(folder).exists(), "neither server nor worker used its own disk"
