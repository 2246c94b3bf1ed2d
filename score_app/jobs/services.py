"""Starting, running and reading jobs. Each kind of job is registered by the domain that owns its
work (create_app names them all); a kind's `run` does the work for the job's user, in the job's
language, reports progress, and leaves its outcome on the job (`result`) or its document
(`keep_file`). A run that raises JobFailed ends the job with that message; anything else ends it
with a general one, and the log keeps the details."""

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from score_app.auth.models import Role, User
from score_app.extensions import db, utcnow
from score_app.i18n import format_number, in_locale
from score_app.i18n import gettext as _
from score_app.jobs import queue
from score_app.jobs.models import DONE_STATES, Job, JobFile, JobState

log = logging.getLogger(__name__)

# Job records are kept this long after they were asked for; their documents, a shorter while
# (SCORE_JOB_KEEP_HOURS).
KEEP_RECORDS = timedelta(days=30)
Progress = Callable[[int, int | None], None]


class JobFailed(Exception):
    """The job cannot do its work: (message in the asker's language,)."""


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[[Job, Progress], None]
    # The partial that shows the job's outcome on its page, given `job` and `result`.
    template: str
    # What the template needs besides the job, from the job's result.
    context: Callable[[Job], dict] | None = None
    # The job's name in the reader's language (the stored label is in the asker's).
    title: Callable[[Job], str] | None = None
    # Where "start again" and "back" go: (endpoint, values) from the job's params.
    back: Callable[[Job], tuple[str, dict]] | None = None


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    KINDS[kind.name] = kind


def start_job(user: User, kind: str, params: dict, label: str, locale: str) -> Job:
    """Record a job and hand it to the queue; with no queue configured, run it now (the
    request then shows it done)."""
    if kind not in KINDS:
        raise KeyError(kind)
    forget_expired(utcnow())
    job = Job(user_id=user.id, kind=kind, params=params, label=label[:200], locale=locale)
    db.session.add(job)
    db.session.commit()
    if queue.is_configured():
        queue.enqueue(job.id)
    else:
        run_job(job.id)
    return job


def _worker_name() -> str:
    return queue.current_worker_name() or f"{socket.gethostname()}:{os.getpid()}:request"


def run_job(job_id: int) -> None:
    """Run a job once: a job already finished or failed (a retry after its work was committed)
    is left as it is, so no work is applied twice."""
    job = db.session.get(Job, job_id)
    if job is None or job.state in DONE_STATES or _running_elsewhere(job):
        db.session.rollback()
        return
    job.state = JobState.STARTED
    job.attempts += 1
    job.started_at = utcnow()
    job.worker_name = _worker_name()
    db.session.commit()
    kind = KINDS[job.kind]
    try:
        with in_locale(job.locale):
            kind.run(job, _progress_of(job))
    except JobFailed as failure:
        _fail(job_id, failure.args[0])
        return
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        with in_locale(job.locale):
            message = _(
                "Something went wrong while doing this. Nothing was saved: try again, and if it "
                "fails again tell your administrator."
            )
        _fail(job_id, message)
        return
    if job.state != JobState.FINISHED:
        finish(job)
        db.session.commit()
    queue.forget_progress(job_id)


def _running_elsewhere(job: Job) -> bool:
    """Another live worker runs it (RQ retrying a job whose worker was only slow)."""
    if job.state != JobState.STARTED or job.worker_name == _worker_name():
        return False
    return queue.is_configured() and queue.is_worker_alive(
        job.worker_name, queue.live_worker_names()
    )


def finish(job: Job, result: dict | None = None) -> None:
    """Mark the job done, in the transaction of its work (a save commits both at once)."""
    if result is not None:
        job.result = result
    job.state = JobState.FINISHED
    job.finished_at = utcnow()
    if job.progress_total is not None:
        job.progress_done = job.progress_total


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    job.state = JobState.FAILED
    job.error = message
    job.finished_at = utcnow()
    db.session.commit()
    queue.forget_progress(job_id)


def _progress_of(job: Job) -> Progress:
    """Progress goes to Redis, outside the work's transaction, for the job's page to read;
    with no queue the request runs the job and nobody is watching."""
    job_id = job.id

    def report(done: int, total: int | None) -> None:
        queue.set_progress(job_id, done, total)

    return report


def keep_file(job: Job, filename: str, media_type: str, data: bytes) -> None:
    """Keep the document a job made for download, until it expires; one too large fails the
    job with a message that says so."""
    config = current_app.config
    limit = config["SCORE_JOB_MAX_FILE_MB"] * 1_000_000
    if len(data) > limit:
        raise JobFailed(
            _(
                "The document came out larger than %(limit)s MB, the most that is kept: choose "
                "fewer records and make it again.",
                limit=format_number(config["SCORE_JOB_MAX_FILE_MB"]),
            )
        )
    now = utcnow()
    job.file = JobFile(
        filename=filename[:200],
        media_type=media_type,
        size_bytes=len(data),
        data=data,
        created_at=now,
        expires_at=now + timedelta(hours=config["SCORE_JOB_KEEP_HOURS"]),
    )


def title_of(job: Job) -> str:
    kind = KINDS.get(job.kind)
    return kind.title(job) if kind is not None and kind.title is not None else job.label


def may_see(user: User, job: Job) -> bool:
    return job.user_id == user.id or user.role == Role.ADMIN


def job_of(user: User, job_id: int) -> Job | None:
    """The job if the user may see it: their own, or any for an admin."""
    job = db.session.get(Job, job_id)
    return job if job is not None and may_see(user, job) else None


def jobs_of(user: User, limit: int = 50) -> list[Job]:
    """The user's latest jobs, newest first; an admin's list shows everyone's."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if user.role != Role.ADMIN:
        query = query.where(Job.user_id == user.id)
    return list(db.session.scalars(query))


def progress(job: Job) -> tuple[int, int | None]:
    """(done, total) as the running job last reported it."""
    if job.state == JobState.STARTED:
        found = queue.get_progress(job.id)
        if found is not None:
            return found
    return job.progress_done, job.progress_total


def file_info(job: Job) -> JobFile | None:
    """The job's document without its bytes loaded, if it has not expired."""
    found = db.session.execute(
        select(JobFile.id, JobFile.filename, JobFile.size_bytes, JobFile.expires_at).where(
            JobFile.job_id == job.id, JobFile.expires_at > utcnow()
        )
    ).first()
    return found


def file_of(job: Job) -> JobFile | None:
    found = db.session.scalar(
        select(JobFile).where(JobFile.job_id == job.id, JobFile.expires_at > utcnow())
    )
    return found


def forget_expired(now: datetime) -> None:
    """Drop documents past their lifetime and job records past KEEP_RECORDS (not committed:
    the caller's next commit carries it)."""
    db.session.execute(delete(JobFile).where(JobFile.expires_at <= now))
    db.session.execute(
        delete(Job).where(Job.created_at < now - KEEP_RECORDS, Job.state.in_(DONE_STATES))
    )


def unfinished_jobs() -> list[Job]:
    return list(
        db.session.scalars(
            select(Job).where(Job.state.in_((JobState.QUEUED, JobState.STARTED))).order_by(Job.id)
        )
    )
