"""Two app servers, one worker, one PostgreSQL and one Redis on this machine: the smallest
cluster that shows what several machines share. `make cluster` runs it for a person to try;
tests/cluster/ drives it.

Each app server is gunicorn serving wsgi:app on its own port with its own SCORE_UPLOAD_DIR and
SCORE_IMPORT_DIR, and so is the worker (as on separate machines, no disk is shared); the photos
and the files of imports are kept in the database (SCORE_STORAGE=database) and the counters
(rate limits, sign-in pauses) and jobs in Redis (SCORE_REDIS_URL).

    python -m tests.cluster.servers [--database-url URL] [--redis-url URL] [--ports 5001 5002]
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from redis import Redis
from rq import Worker

from bench import postgres
from score_app import create_app
from score_app.cli import score_cli
from score_app.extensions import db

ROOT = Path(__file__).resolve().parent.parent.parent
DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/score_cluster"
REDIS_URL = "redis://127.0.0.1:6379/0"
PORTS = (5001, 5002)
START_SECONDS = 60


@dataclass
class Cluster:
    urls: list[str]
    worker: str  # the command the worker runs as
    folder: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    env: dict = field(default_factory=dict)  # the worker's settings
    killed: list[int] = field(default_factory=list)  # the process ids of workers killed

    def start_worker(self) -> subprocess.Popen:
        """Start the worker (again), logging to worker.log; it is the first of the processes."""
        log = (self.folder / "worker.log").open("ab")
        process = subprocess.Popen(
            worker_command(self.env), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        if self.processes:
            self.processes[0] = process
        else:
            self.processes.append(process)
        return process

    def kill_worker(self) -> None:
        """SIGKILL, as a machine that loses its power: the worker finishes nothing."""
        worker = self.processes[0]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        self.killed.append(worker.pid)

    def stop(self) -> None:
        """SIGTERM to each: gunicorn and the worker finish what they are doing, then exit."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._forget_killed_workers()

    def _forget_killed_workers(self) -> None:
        """A killed worker stays registered in Redis until its key expires (minutes later), so
        /health would go on counting it: its registration is removed, as an operator would."""
        if not self.killed:
            return
        with Redis.from_url(self.env["SCORE_REDIS_URL"]) as redis:
            for registered in Worker.all(connection=redis):
                if registered.pid in self.killed:
                    registered.register_death()


def environment(database_url: str, redis_url: str, secret_key: str, **settings: str) -> dict:
    """The settings every process of the cluster shares: one database, one Redis, one secret
    key (a session cookie made by one server is read by the other), photos in the database."""
    env = {k: v for k, v in os.environ.items() if k != "SCORE_RATELIMIT_STORAGE_URI"}
    env.update(
        FLASK_APP="wsgi",
        PYTHONPATH=str(ROOT),
        SCORE_DATABASE_URL=database_url,
        SCORE_REDIS_URL=redis_url,
        SCORE_STORAGE="database",
        SCORE_SECRET_KEY=secret_key,
        **settings,
    )
    return env


def prepare_database(database_url: str, *, empty: bool) -> None:
    """Create the database if it is missing (emptied first when `empty`), then migrate it, in
    this process (one start of the app fewer)."""
    postgres.create_if_missing(database_url)
    if empty:
        engine = sa.create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "migrations"})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def flask(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def worker_command(env: dict) -> list[str]:
    """`flask score worker`, the app's own worker, when this version has it; else RQ's worker on
    the same queue, so that /health finds a worker listening."""
    if "worker" in score_cli.commands:
        return [sys.executable, "-m", "flask", "--app", "wsgi", "score", "worker"]
    rq = Path(sys.executable).with_name("rq")
    return [str(rq), "worker", "--url", env["SCORE_REDIS_URL"], "score"]


def start(
    database_url: str,
    redis_url: str,
    ports=PORTS,
    *,
    workers: int = 2,
    empty: bool = False,
    settings: dict | None = None,
) -> Cluster:
    """Migrate the database, then start the worker and an app server on each port; returns
    once every server answers /health."""
    folder = Path(tempfile.mkdtemp(prefix="score-cluster-"))
    env = environment(database_url, redis_url, _secret_key(), **(settings or {}))
    prepare_database(database_url, empty=empty)
    shown = (
        "flask score worker"
        if "flask" in worker_command(env)
        else "rq worker (no `flask score worker` yet)"
    )
    cluster = Cluster(
        [f"http://127.0.0.1:{port}" for port in ports], shown, folder, env=_own_disk(env, folder)
    )
    try:
        cluster.start_worker()
        for n, port in enumerate(ports, start=1):
            own = folder / f"server-{n}"
            cluster.processes.append(_gunicorn(_own_disk(env, own), port, workers, own))
        for url in cluster.urls:
            _wait_for(url, cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _own_disk(env: dict, folder: Path) -> dict:
    """The settings of a process with folders of its own on the disk (photos kept before the
    switch, imports), as on a machine of its own: nothing it keeps there is seen by the others."""
    uploads, imports = folder / "uploads", folder / "imports"
    uploads.mkdir(parents=True, exist_ok=True)
    return {**env, "SCORE_UPLOAD_DIR": str(uploads), "SCORE_IMPORT_DIR": str(imports)}


def _secret_key() -> str:
    key = os.environ.get("SCORE_SECRET_KEY")
    if key:
        return key
    stored = ROOT / "instance" / "secret_key"
    return stored.read_text().strip() if stored.is_file() else secrets.token_hex(32)


def _gunicorn(env: dict, port: int, workers: int, folder: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--timeout", "60",
        "--graceful-timeout", "5",
        "--bind", f"127.0.0.1:{port}", "--access-logfile", str(folder / "access.log"),
        "--error-logfile", str(folder / "error.log"), "--no-control-socket", "wsgi:app",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait_for(url: str, cluster: Cluster) -> None:
    """Until the server answers /health (200 or 503: the worker may take a moment more)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in cluster.processes):
            raise RuntimeError(
                f"a process of the cluster stopped at start-up; logs in {cluster.folder}"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {START_SECONDS} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CLUSTER_DATABASE_URL", DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("CLUSTER_REDIS_URL", REDIS_URL))
    parser.add_argument("--ports", type=int, nargs="+", default=PORTS)
    parser.add_argument("--demo", action="store_true", help="load the demo into an empty database")
    args = parser.parse_args()
    cluster = start(args.database_url, args.redis_url, args.ports)
    if args.demo:
        env = environment(args.database_url, args.redis_url, _secret_key())
        flask(env, "score", "demo", "--keep-existing")
    print(f"Worker: {cluster.worker}")
    for url in cluster.urls:
        print(f"App server: {url} (health: {url}/health)")
    print(f"Logs in {cluster.folder}. Ctrl-C stops the cluster.")
    try:
        stops = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        signal.sigwait(stops)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
