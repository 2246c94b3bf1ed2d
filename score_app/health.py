"""GET /health: whether this app server can serve, for a load balancer or a monitor. It names
each service the server needs and its state, and nothing else (no addresses, versions or
counts): anyone may ask, without signing in, and it is never rate-limited."""

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker

from score_app.auth.access import public
from score_app.db_errors import DATABASE_ERRORS
from score_app.extensions import db, limiter

bp = Blueprint("health", __name__)

QUEUE = "score"  # the background jobs' queue, which `flask score worker` serves
TIMEOUT_SECONDS = 2  # a monitor asks often: a service that answers slower counts as down
UP, DOWN, NOT_USED = "up", "down", "not used"


@bp.get("/health")
@public
@limiter.exempt
def health():
    """200 when every service this server needs is up, 503 otherwise. Redis and a worker are
    needed only when SCORE_REDIS_URL is set; without it both are "not used"."""
    states = {"database": _database()}
    redis_url = current_app.config["SCORE_REDIS_URL"]
    if redis_url:
        connection = Redis.from_url(
            redis_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        try:
            states["redis"] = _redis(connection)
            states["worker"] = _worker(connection) if states["redis"] == UP else DOWN
        finally:
            connection.close()
    else:
        states["redis"] = states["worker"] = NOT_USED
    healthy = all(state != DOWN for state in states.values())
    answer = jsonify({"status": UP if healthy else DOWN, **states})
    answer.status_code = 200 if healthy else 503
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except DATABASE_ERRORS:
        db.session.rollback()
        return DOWN
    return UP


def _redis(connection: Redis) -> str:
    try:
        connection.ping()
    except (RedisError, OSError):
        return DOWN
    return UP


def _worker(connection: Redis) -> str:
    """Up when at least one worker listens to the jobs' queue (workers register in Redis and
    leave, or expire, when they stop)."""
    try:
        workers = Worker.all(queue=Queue(QUEUE, connection=connection))
    except (RedisError, OSError):
        return DOWN
    return UP if workers else DOWN
