"""The queue behind jobs: RQ on Redis (SCORE_REDIS_URL), queue "score". With no Redis configured
(the embedded default) there is no queue: a job runs inside the request that asks for it.

The worker (`flask score worker`) runs each job in its own process, without forking a work
horse per job: the app, its database engine and its catalogue stay loaded, and killing the
worker stops its job at once, whose transaction the database then rolls back. When a worker
starts it puts back on the queue every job that a dead worker left started (and any queued job
the queue lost), so the job finishes once; the job's own record says whether its work was
already committed (jobs.services.run_job)."""

import json
import logging
import os
import secrets
import socket

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.registry import StartedJobRegistry

log = logging.getLogger(__name__)

QUEUE_NAME = "score"
# A job may run this long before RQ gives up on it (a file at the row limit takes far less).
JOB_TIMEOUT = 30 * 60
PROGRESS_TTL = 24 * 3600
_ID_PREFIX = "score-job-"

_worker: dict = {"app": None, "name": None}


def is_configured() -> bool:
    return bool(current_app.config.get("SCORE_REDIS_URL"))


def connection() -> Redis:
    """One Redis client per app (it keeps a pool of connections)."""
    found = current_app.extensions.get("score_redis")
    if found is None:
        found = Redis.from_url(current_app.config["SCORE_REDIS_URL"], socket_timeout=10)
        current_app.extensions["score_redis"] = found
    return found


def score_queue() -> Queue:
    return Queue(QUEUE_NAME, connection=connection())


def _rq_id(job_id: int) -> str:
    return f"{_ID_PREFIX}{job_id}-{secrets.token_hex(4)}"


def _job_id_of(rq_id: str) -> int | None:
    if not rq_id.startswith(_ID_PREFIX):
        return None
    number = rq_id.removeprefix(_ID_PREFIX).split("-", 1)[0]
    return int(number) if number.isdigit() else None


def enqueue(job_id: int) -> None:
    """Put the job on the queue; RQ retries it once if its worker is lost (its record keeps the
    retry from doing committed work again)."""
    score_queue().enqueue(
        "score_app.jobs.queue.perform",
        job_id,
        job_id=_rq_id(job_id),
        job_timeout=JOB_TIMEOUT,
        retry=Retry(max=1),
        description=f"score job {job_id}",
    )


def _progress_key(job_id: int) -> str:
    return f"score:job:{job_id}:progress"


def set_progress(job_id: int, done: int, total: int | None) -> None:
    if is_configured():
        connection().set(_progress_key(job_id), json.dumps([done, total]), ex=PROGRESS_TTL)


def get_progress(job_id: int) -> tuple[int, int | None] | None:
    if not is_configured():
        return None
    raw = connection().get(_progress_key(job_id))
    if raw is None:
        return None
    done, total = json.loads(raw)
    return done, total


def forget_progress(job_id: int) -> None:
    if is_configured():
        connection().delete(_progress_key(job_id))


def current_worker_name() -> str | None:
    return _worker["name"]


def perform(job_id: int) -> None:
    """What the worker runs for a job: the job in an app context of its own."""
    from score_app.jobs import services

    app = _worker["app"]
    if app is None:
        raise RuntimeError("Start the worker with `flask score worker`: it loads the app.")
    with app.app_context():
        services.run_job(job_id)


def is_worker_alive(name: str | None, live_names: set[str]) -> bool:
    """A worker on this host is alive while its process is; one elsewhere while RQ lists it."""
    if not name:
        return False
    host, _sep, rest = name.partition(":")
    pid = rest.split(":", 1)[0]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return name in live_names


def live_worker_names() -> set[str]:
    return {worker.name for worker in SimpleWorker.all(queue=score_queue())}


def recover() -> list[int]:
    """Put back on the queue the jobs a dead worker left started, and the queued jobs the queue
    no longer holds; the ids put back."""
    from score_app.jobs import services
    from score_app.jobs.models import JobState

    queue = score_queue()
    waiting = {_job_id_of(rq_id) for rq_id in queue.get_job_ids()}
    running = {
        _job_id_of(entry) for entry in StartedJobRegistry(queue=queue).get_job_ids(cleanup=False)
    }
    live = live_worker_names()
    put_back = []
    for job in services.unfinished_jobs():
        if job.state == JobState.STARTED:
            lost = not is_worker_alive(job.worker_name, live)
        else:
            lost = job.id not in waiting and job.id not in running
        if lost:
            enqueue(job.id)
            put_back.append(job.id)
    if put_back:
        log.warning("put back on the queue the jobs left by a stopped worker: %s", put_back)
    return put_back


def work(app: Flask, *, burst: bool = False) -> bool:
    """Run a worker on queue "score" in this process until stopped (or, with burst, until the
    queue is empty)."""
    name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    _worker.update(app=app, name=name)
    with app.app_context():
        recover()
        # A connection of its own, without the web's read timeout: the worker's listener for
        # commands waits on it, and would hold the worker's stop back by that timeout.
        redis = Redis.from_url(app.config["SCORE_REDIS_URL"])
        worker = SimpleWorker([QUEUE_NAME], connection=redis, name=name)
    return worker.work(burst=burst)
