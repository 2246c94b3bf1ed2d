"""The site under load: gunicorn with 4 workers on PostgreSQL, driven by wrk from another process.

The database (LOAD_PG_URL, default the local `score_load`, created if missing, then emptied) is
migrated with `flask db upgrade`, filled by `flask score demo` and 2,000 more enterprises with two
years of monthly figures, and served by gunicorn as the README's Production section runs it.
A trainer, an enterprise owner and programme staff sign in once each through the login form;
two API tokens are made. wrk then requests their main pages and API calls in turn over
LOAD_CONNECTIONS connections (default 32) for LOAD_DURATION seconds (default 60), after a
5-second warm-up, while the memory of gunicorn's processes is sampled. Any error fails the run:
a failed connection, a timeout, or a response that is not a 200 holding the expected text (the
signed-in user's name on pages, so a redirect to the login page counts too).
With LOAD_BEFORE set to a git revision (`make load LOAD_BEFORE=ddd12b0`), that revision's code
(from `git archive`, in a venv installed from its own lock) is served and measured first on the same
database in the same way, and the report sets the two side by side.
Results: bench/results/load.md. Run from the project root: python -m bench.load (or make load).
"""

import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import gunicorn
import sqlalchemy as sa

from bench import postgres
from bench.machine import describe
from score_app import create_app, demo
from score_app.auth import services as auth_services
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises.models import Enterprise, Person, enterprise_members
from score_app.extensions import db
from score_app.kpis.formulas import compute
from score_app.training.models import Workshop

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "load.md"
PG_URL = os.environ.get("LOAD_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/score_load")
DURATION_S = int(os.environ.get("LOAD_DURATION", "60"))
CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "32"))
BEFORE = os.environ.get("LOAD_BEFORE", "")
WARMUP_S = 5
WORKERS = 4
TIMEOUT_S = 10  # a response slower than this is an error (wrk's own default is 2 s)
ENTERPRISES = 2_000
PERIODS = 24
INDICATOR_COUNT = 10
TRAINER_ENTERPRISES = 30
EXTRA_PEOPLE = 24
# Demo users who sign in: one of each role the mix covers.
TRAINER, OWNER, STAFF = "trainer@example.org", "owner@example.org", "staff@example.org"
COUNTRIES = ("GH", "ZA", "VN", "MA")
SECTORS = ("garments", "textiles", "leather_footwear", "automotive_parts", "food_processing")
# What nginx passes on (README, Reverse proxy); the app trusts it with SCORE_PROXIES=1.
PUBLIC_HOST = "score.example.org"
PROXY_HEADERS = {
    "Host": PUBLIC_HOST,
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": PUBLIC_HOST,
    "User-Agent": "score-load",
}
SUMMARY = "/api/v1/programme/summary?indicator=operating_efficiency"
ACCESS_LOG_FORMAT = "%(s)s %(D)s %(r)s"  # status, microseconds, request line
GRID = 1000  # latency percentiles each wrk prints, to merge several wrks' latencies

# Each wrk thread holds one connection, so a response answers the request its thread sent last,
# and the script can check it against what that path should answer.
WRK_SCRIPT = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("next_target", #threads)
end

function init(args)
  served, wrong, answers = {}, {}, {}
  for i = 1, #targets do served[i], wrong[i] = 0, 0 end
end

function request()
  sent = (next_target - 1) % #targets + 1
  next_target = next_target + 1
  return wrk.format("GET", targets[sent].path, targets[sent].headers)
end

function response(status, headers, body)
  served[sent] = served[sent] + 1
  if status ~= 200 or not string.find(body, targets[sent].expected, 1, true) then
    wrong[sent] = wrong[sent] + 1
    local key = sent .. " " .. status
    answers[key] = (answers[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  print(string.format("LOAD summary %d %d %d %d %d %d %d", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
  for _, p in ipairs({50, 95, 99}) do
    print(string.format("LOAD latency p%d %d", p, latency:percentile(p)))
  end
  print(string.format("LOAD latency max %d", latency.max))
  for i = 1, GRID do print(string.format("LOAD grid %d", latency:percentile(i * 100 / GRID))) end
  for _, thread in ipairs(threads) do
    local served, wrong, answers = thread:get("served"), thread:get("wrong"), thread:get("answers")
    for i = 1, #targets do print(string.format("LOAD served %d %d %d", i, served[i], wrong[i])) end
    for key, count in pairs(answers) do print("LOAD answer " .. key .. " " .. count) end
  end
end
"""


@dataclass(frozen=True)
class Target:
    role: str
    path: str
    headers: dict
    expected: str  # text a right answer holds


@dataclass(frozen=True)
class Served:
    """The app a run serves: its code and the Python that has its locked packages."""

    code: Path
    python: str


@dataclass
class Measured:
    """One server's run: wrk's warm-up and measured run, gunicorn's times and memory."""

    targets: list
    warmup: dict
    run: dict
    times: dict
    memory: tuple
    busy: float  # the machine's 1-minute load average when the load began
    restarted: bool
    cpu: tuple[float, float]  # CPU seconds of gunicorn's workers and of PostgreSQL, in the run


def _prepare_database(url: str) -> str:
    """Create the database if it is missing and empty it; returns the server's version."""
    version = postgres.create_if_missing(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return version


def _flask(env: dict, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def _measurement_rows(enterprise_ids: list[int]):
    """Two years of monthly figures per enterprise and indicator that drift, all verified; the
    baseline and the last follow-up are each phase's latest."""
    rng = random.Random(7)
    now = "2026-01-01 00:00:00"
    for enterprise_id in enterprise_ids:
        for indicator in INDICATORS[:INDICATOR_COUNT]:
            first, second = (spec.name for spec in indicator.inputs)
            whole = rng.randint(2_000, 200_000)
            share = rng.uniform(0.02, 0.8)
            for n in range(PERIODS):
                start = date(2024 + n // 12, n % 12 + 1, 1)
                end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                share = min(max(share + rng.uniform(-0.03, 0.03), 0.0), 1.0)
                part = round(whole * share)
                yield (
                    enterprise_id, indicator.code, "baseline" if n == 0 else "follow_up",
                    start, end, part, whole, compute(indicator.code, {first: part, second: whole}),
                    "verified", "", "[]", n in (0, PERIODS - 1), now, now,
                )  # fmt: skip


def _add_programme(app) -> None:
    """What a programme holds after a while: 2,000 more enterprises with 24 months of figures,
    30 of them followed by the demo trainer, and a fuller room for the Ghana workshop."""
    rng = random.Random(3)
    with app.app_context():
        rows = [
            {
                "name": f"Enterprise {n:04d}", "name_folded": f"enterprise {n:04d}",
                "country": COUNTRIES[n % len(COUNTRIES)], "region": "",
                "sector": rng.choice(SECTORS), "product": "",
                "workers_women": rng.randint(20, 200), "workers_men": rng.randint(20, 200),
                "joined_on": date(2024, 1, 1), "cohort": f"C{n % 20:02d}",
                "data_sharing_consent": rng.random() < 0.9,
            }
            for n in range(1, ENTERPRISES + 1)
        ]  # fmt: skip
        ids = db.session.scalars(sa.insert(Enterprise).returning(Enterprise.id), rows).all()
        trainer = auth_services.find_user_by_email(TRAINER)
        followed = db.session.scalars(
            sa.select(Enterprise.id)
            .where(
                Enterprise.id.in_(ids), Enterprise.country == "GH", Enterprise.data_sharing_consent
            )
            .order_by(Enterprise.id)
            .limit(TRAINER_ENTERPRISES)
        ).all()
        db.session.execute(
            sa.insert(enterprise_members),
            [{"enterprise_id": e, "user_id": trainer.id} for e in followed],
        )
        accra = db.session.scalar(sa.select(Enterprise).filter_by(name="Accra Garment Works Ltd"))
        db.session.execute(
            sa.insert(Person),
            [
                {"enterprise_id": accra.id, "full_name": f"Accra worker {n:02d}",
                 "sex": "female" if n % 4 else "male", "job_role": "worker"}
                for n in range(1, EXTRA_PEOPLE + 1)
            ],
        )  # fmt: skip
        db.session.commit()
        columns = (
            "enterprise_id, indicator, phase, period_start, period_end, input_1, input_2, value, "
            "status, comment, warnings, is_latest, created_at, updated_at"
        )
        connection = db.engine.raw_connection()
        try:
            with connection.cursor().copy(f"COPY measurements ({columns}) FROM STDIN") as copy:
                for row in _measurement_rows(ids):
                    copy.write_row(row)
            connection.commit()
        finally:
            connection.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))


def _request(port: int, method: str, path: str, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body, {**PROXY_HEADERS, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _session_cookie(headers) -> str:
    for value in headers.get_all("Set-Cookie") or ():
        if value.startswith("session="):
            return value.split(";", 1)[0]
    raise RuntimeError("the response set no session cookie")


def _sign_in(port: int, email: str) -> str:
    """Sign in through the login form as a browser does; returns the Cookie header."""
    _status, headers, page = _request(port, "GET", "/login")
    cookie = _session_cookie(headers)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    form = urlencode({"csrf_token": token, "email": email, "password": demo.PASSWORD})
    status, headers, _page = _request(
        port, "POST", "/login", {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://{PUBLIC_HOST}/login",
        }, form,
    )  # fmt: skip
    if status != 302 or urlsplit(headers["Location"]).path != "/":
        raise RuntimeError(f"signing in as {email} answered {status} {headers['Location']}")
    return _session_cookie(headers)


def _targets(app, port: int) -> list[Target]:
    """The mix: the main pages of each role, signed in, and API calls with bearer tokens."""
    with app.app_context():
        users = {
            email: auth_services.find_user_by_email(email) for email in (TRAINER, OWNER, STAFF)
        }
        names = {email: user.full_name for email, user in users.items()}
        workshop = db.session.scalar(sa.select(Workshop).filter_by(trainer_id=users[TRAINER].id))
        attendance = f"/training/workshops/{workshop.id}/days/{workshop.days[0].id}"
        module = f"/modules/{workshop.module_slug}"
        factory = f"/enterprises/{users[OWNER].enterprises[0].id}"
        followed = max(e.id for e in users[TRAINER].enterprises)  # one with 24 months of figures
        tokens = {
            email: auth_services.create_token(users[email], "load")[1] for email in (TRAINER, STAFF)
        }
    cookies = {email: _sign_in(port, email) for email in names}

    def page(email, role, path):
        return Target(role, path, {**PROXY_HEADERS, "Cookie": cookies[email]}, names[email])

    def api(email, role, path, expected):
        headers = {**PROXY_HEADERS, "Authorization": f"Bearer {tokens[email]}"}
        return Target(f"API, {role}", path, headers, expected)

    return [
        page(TRAINER, "trainer", "/"),
        page(TRAINER, "trainer", "/training"),
        page(TRAINER, "trainer", attendance),
        page(TRAINER, "trainer", module),
        page(TRAINER, "trainer", f"/enterprises/{followed}/indicators"),
        page(OWNER, "owner", f"{factory}/indicators"),
        page(OWNER, "owner", f"{factory}/plan"),
        page(STAFF, "programme staff", "/programme"),
        api(STAFF, "programme staff", SUMMARY, '"excluded_without_consent"'),
        api(STAFF, "programme staff", "/api/v1/enterprises?country=GH", '"total"'),
        api(TRAINER, "trainer", f"/api/v1/enterprises/{followed}/measurements", '"indicator"'),
    ]


def _lua(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)  # its escapes are Lua's too


def _wrk_script(targets: list[Target]) -> str:
    rows = ",\n  ".join(
        f"{{path = {_lua(t.path)}, headers = {_lua(t.headers)}, expected = {_lua(t.expected)}}}"
        for t in targets
    )
    return f"targets = {{\n  {rows}\n}}\nGRID = {GRID}\n{WRK_SCRIPT}"


def _run_wrk(script: Path, port: int, seconds: int) -> dict:
    """wrk for `seconds`; its totals, latency percentiles (µs) and answers per target."""
    return _run_wrk_on(script, [port], seconds)


def _run_wrk_on(script: Path, ports: list[int], seconds: int) -> dict:
    """wrk against each port at once for `seconds`, the connections shared out between them;
    the totals of all, and the latency percentiles of all their requests together (one wrk's
    own; several wrks' from their percentile grids, each weighed by its requests)."""
    connections = CONNECTIONS // len(ports)
    runs = [
        subprocess.Popen(
            _wrk_command(script, port, connections, seconds), stdout=subprocess.PIPE, text=True
        )
        for port in ports
    ]
    results = []
    for run in runs:
        output = run.communicate()[0]
        if run.returncode:
            raise subprocess.CalledProcessError(run.returncode, run.args, output)
        results.append(_wrk_result(output))
    return results[0] if len(results) == 1 else _together(results)


def _wrk_command(script: Path, port: int, connections: int, seconds: int) -> list[str]:
    return [
        "wrk", f"--threads={connections}", f"--connections={connections}",
        f"--duration={seconds}s", f"--timeout={TIMEOUT_S}s", f"--script={script}",
        f"http://127.0.0.1:{port}/",
    ]  # fmt: skip


def _wrk_result(output: str) -> dict:
    result = {
        "latency": {}, "served": defaultdict(int), "wrong": defaultdict(int), "answers": {},
        "grid": [],
    }  # fmt: skip
    for line in output.splitlines():
        kind, *fields = line.split()[1:] if line.startswith("LOAD ") else [None]
        if kind == "summary":
            keys = ("requests", "duration_us", "connect", "read", "write", "status", "timeout")
            result.update(zip(keys, map(int, fields), strict=True))
        elif kind == "latency":
            result["latency"][fields[0]] = int(fields[1])
        elif kind == "grid":
            result["grid"].append(int(fields[0]))
        elif kind == "served":
            index, served, wrong = map(int, fields)
            result["served"][index - 1] += served
            result["wrong"][index - 1] += wrong
        elif kind == "answer":
            key = (int(fields[0]) - 1, int(fields[1]))
            result["answers"][key] = result["answers"].get(key, 0) + int(fields[2])
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    result["errors"] += sum(result["wrong"].values())
    return result


def _together(results: list[dict]) -> dict:
    """The results of wrks run side by side as one: counts added up, the longest duration, and
    percentiles of the mixture of their latencies."""
    together = {
        "latency": {}, "served": defaultdict(int), "wrong": defaultdict(int), "answers": {},
        "grid": [],
    }  # fmt: skip
    for key in ("requests", "connect", "read", "write", "status", "timeout", "errors"):
        together[key] = sum(result[key] for result in results)
    together["duration_us"] = max(result["duration_us"] for result in results)
    for result in results:
        for key in ("served", "wrong"):
            for index, count in result[key].items():
                together[key][index] += count
        for key, count in result["answers"].items():
            together["answers"][key] = together["answers"].get(key, 0) + count
    weighed = sorted(
        (micros, result["requests"] / len(result["grid"]))
        for result in results
        for micros in result["grid"]
    )
    total = sum(weight for _micros, weight in weighed)
    for name, share in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        seen = 0.0
        for micros, weight in weighed:
            seen += weight
            if seen >= share * total:
                together["latency"][name] = micros
                break
    together["latency"]["max"] = max(result["latency"]["max"] for result in results)
    return together


def _memory_kib(master: int) -> dict[int, int]:
    """VmRSS of gunicorn's master and each of its workers, by process id."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except FileNotFoundError:
        return {}  # gunicorn has stopped
    rss = {}
    for pid in (master, *map(int, children)):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue  # a worker that has just stopped
        rss[pid] = int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE).group(1))
    return rss


def _cpu_seconds(pids) -> float:
    """User and system CPU time the processes have used so far (those that have stopped: 0)."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the name, which may hold spaces
        ticks += int(fields[11]) + int(fields[12])  # utime and stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _workers(master: int) -> list[int]:
    return [pid for pid in _memory_kib(master) if pid != master]


def _backends(app) -> list[int]:
    """PostgreSQL's processes serving the database's connections but this one: gunicorn's pools
    hold theirs open once the warm-up has opened them."""
    with app.app_context(), db.engine.connect() as connection:
        return list(
            connection.scalars(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )
            )
        )


class _PeakMemory(threading.Thread):
    """The highest RSS of each process, sampled every half second until stopped."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.peak, self.stopped = master, {}, threading.Event()

    def run(self):
        while not self.stopped.wait(0.5):
            for pid, kib in _memory_kib(self.master).items():
                self.peak[pid] = max(kib, self.peak.get(pid, 0))


def _server_times(log: Path, offset: int) -> dict[str, list[tuple[int, int]]]:
    """Status and microseconds of each request gunicorn logged after `offset`, by path."""
    times = defaultdict(list)
    with log.open(encoding="utf-8") as lines:
        lines.seek(offset)
        for line in lines:
            status, micros, _method, path, _protocol = line.split()
            times[path].append((int(status), int(micros)))
    return times


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_gunicorn(env: dict, port: int, folder: Path, served: Served) -> subprocess.Popen:
    """gunicorn as the README's systemd unit starts it, on a free loopback port, serving this
    checkout or the revision compared with."""
    command = [
        served.python, "-m", "gunicorn", "--workers", str(WORKERS), "--timeout", "120",
        "--graceful-timeout", "30", "--bind", f"127.0.0.1:{port}",
        "--access-logfile", str(folder / "access.log"), "--access-logformat", ACCESS_LOG_FORMAT,
        "--error-logfile", str(folder / "error.log"), "--no-control-socket", "wsgi:app",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=served.code, env={**env, "PYTHONPATH": str(served.code)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start-up (exit {server.returncode})")
        try:
            if _request(port, "GET", "/login")[0] == 200 and len(_memory_kib(server.pid)) > WORKERS:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    _stop(server)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM: gunicorn lets its workers finish their requests, then exits."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _ms(micros: float) -> str:
    return f"{micros / 1000:.0f} ms" if micros >= 10_000 else f"{micros / 1000:.1f} ms"


def _report(settings: list[str], measured: Measured, versions: str) -> str:
    targets, warmup, run, times = measured.targets, measured.warmup, measured.run, measured.times
    seconds = run["duration_us"] / 1e6
    lines = [
        "# The site under load: gunicorn and PostgreSQL\n",
        describe(),
        *settings,
        f"- versions: {versions}",
        f"\n## Result: {run['errors'] + warmup['errors']} errors\n",
        f"{run['requests']:,} requests in {seconds:.1f} s: **{run['requests'] / seconds:.1f} "
        f"requests/s**. Latency seen by wrk over all paths (from sending the request to the end "
        "of the response, including the wait for a free worker):\n",
        "| p50 | p95 | p99 | max |",
        "|---|---|---|---|",
        "| " + " | ".join(_ms(run["latency"][k]) for k in ("p50", "p95", "p99", "max")) + " |",
        "",
        f"Server CPU per request, over the run: {_cpu_per_request(measured)}.\n",
        "| errors | measured run | warm-up |",
        "|---|---|---|",
    ]
    for key, label in (
        ("connect", "connect"), ("read", "read"), ("write", "write"), ("timeout", "timeouts"),
        ("status", "status 4xx/5xx"),
    ):  # fmt: skip
        lines.append(f"| {label} | {run[key]} | {warmup[key]} |")
    lines.append(
        f"| not the expected answer (any status but 200, or the expected text missing) | "
        f"{sum(run['wrong'].values())} | {sum(warmup['wrong'].values())} |"
    )
    wrong_answers = [
        f"- {phase}: `{targets[index].path}` answered {status} {count} times"
        for phase, result in (("warm-up", warmup), ("measured run", run))
        for (index, status), count in sorted(result["answers"].items())
    ]
    lines += ["", *wrong_answers] if wrong_answers else []
    lines += [
        "\n## Per path\n",
        "Requests and wrong answers as wrk counted them; statuses and times from gunicorn's "
        "access log (from the worker taking the request to the end of its response, without the "
        "wait for a free worker), which also holds the requests in flight when wrk started or "
        "stopped.\n",
        "| role | path | requests | wrong | statuses logged | server p50 | p95 | p99 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for index, target in enumerate(targets):
        logged = times.get(target.path, [])
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(Counter(s for s, _ in logged).items()))
        p50, p95, p99 = _percentiles([us for _s, us in logged]) if len(logged) > 1 else (0, 0, 0)
        lines.append(
            f"| {target.role} | `{target.path}` | {run['served'][index]:,} | "
            f"{run['wrong'][index]} | {statuses} | {_ms(p50)} | {_ms(p95)} | {_ms(p99)} |"
        )
    lines += [
        "\n## Memory of gunicorn's processes (RSS)\n",
        "Sampled every 0.5 s; before is after start-up and the sign-ins, peak is over the "
        "warm-up and the run, after is at the end of the run.\n",
        "| process | before | peak | after |",
        "|---|---|---|---|",
    ]
    before, peak, after, master = measured.memory
    mib = lambda kib: f"{kib / 1024:.0f} MiB" if kib else "-"  # noqa: E731
    workers = sorted((set(before) | set(peak) | set(after)) - {master})
    for name, pid in [
        ("master", master),
        *((f"worker {n}", pid) for n, pid in enumerate(workers, 1)),
    ]:
        lines.append(
            f"| {name} | {mib(before.get(pid))} | {mib(peak.get(pid))} | {mib(after.get(pid))} |"
        )
    lines.append(
        f"| all | {mib(sum(before.values()))} | {mib(sum(peak.values()))} | "
        f"{mib(sum(after.values()))} |"
    )
    return "\n".join(lines) + "\n"


def _measure(app, env: dict, folder: Path, served: Served) -> Measured:
    port = _free_port()
    print(f"Starting gunicorn on port {port} for {served.code} ...", flush=True)
    log = folder / "access.log"
    log.unlink(missing_ok=True)
    server = _start_gunicorn(env, port, folder, served)
    try:
        targets = _targets(app, port)
        script = folder / "mix.lua"
        script.write_text(_wrk_script(targets), encoding="utf-8")
        before = _memory_kib(server.pid)
        busy = os.getloadavg()[0]  # other work on the machine, to read the figures by
        sampler = _PeakMemory(server.pid)
        sampler.start()
        print(f"Warm-up {WARMUP_S} s, then {DURATION_S} s at {CONNECTIONS} connections ...")
        try:
            warmup = _run_wrk(script, port, WARMUP_S)
            offset = log.stat().st_size
            # CPU time, unlike latency, does not grow much when other work shares the cores.
            workers, backends = _workers(server.pid), _backends(app)
            cpu_before = _cpu_seconds(workers), _cpu_seconds(backends)
            run = _run_wrk(script, port, DURATION_S)
            cpu = (
                _cpu_seconds(workers) - cpu_before[0], _cpu_seconds(backends) - cpu_before[1]
            )  # fmt: skip
        finally:
            sampler.stopped.set()
            sampler.join()
        after = _memory_kib(server.pid)
        times = _server_times(log, offset)
    except BaseException:
        print((folder / "error.log").read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        _stop(server)
    restarted = len(set(before) | set(after) | set(sampler.peak)) > WORKERS + 1
    run["errors"] += restarted
    memory = (before, sampler.peak, after, server.pid)
    return Measured(targets, warmup, run, times, memory, busy, restarted, cpu)


def _served_before(revision: str, folder: Path, env: dict) -> Served:
    """The app as it was at `revision`: unpacked from git, in a venv of its own installed from
    that revision's lock (its packages may differ from this checkout's), catalogues compiled."""
    code = folder / "before"
    code.mkdir()
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    venv = folder / "before-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    print(f"Installing the packages {revision} locked ...", flush=True)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--require-hashes", "-r",
         str(code / "requirements" / "app.txt")],
        check=True,
    )  # fmt: skip
    compile_env = {**env, "PYTHONPATH": str(code), "FLASK_APP": "wsgi"}
    subprocess.run(
        [python, "-m", "flask", "score", "i18n", "compile"], cwd=code, env=compile_env,
        check=True, capture_output=True,
    )  # fmt: skip
    return Served(code, python)


def set_up(folder: Path) -> tuple:
    """Empty, migrate and fill the database; (an app on it, the servers' settings, the
    PostgreSQL version, the seconds it took)."""
    started = time.perf_counter()
    print(f"Preparing {PG_URL} ...", flush=True)
    server_version = _prepare_database(PG_URL)
    secret = secrets.token_hex(32)
    env = {
        **os.environ, "PYTHONPATH": str(ROOT),
        "SCORE_SECRET_KEY": secret, "SCORE_DATABASE_URL": PG_URL, "SCORE_HTTPS": "1",
        "SCORE_PROXIES": "1", "SCORE_PUBLIC_URL": f"https://{PUBLIC_HOST}",
        "SCORE_UPLOAD_DIR": str(folder / "uploads"),
        "SCORE_IMPORT_DIR": str(folder / "imports"),
    }  # fmt: skip
    _flask(env, "db", "upgrade")
    _flask(env, "score", "demo")
    app = create_app({"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": PG_URL})
    _add_programme(app)
    setup_s = time.perf_counter() - started
    print(f"Set up in {setup_s:.0f} s.", flush=True)
    return app, env, server_version, setup_s


def main() -> int:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: make load installs Debian's wrk.")
    with tempfile.TemporaryDirectory(prefix="score-load-") as name:
        folder = Path(name)
        app, env, server_version, setup_s = set_up(folder)
        earlier = None
        if BEFORE:
            earlier = _measure(app, env, folder, _served_before(BEFORE, folder, env))
        now = _measure(app, env, folder, Served(ROOT, sys.executable))
        with app.app_context():
            db.engine.dispose()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1]
    settings = [
        f"- server: gunicorn, {WORKERS} sync workers, `--timeout 120 --graceful-timeout 30`, on "
        f"127.0.0.1 with its access log on; PostgreSQL {server_version} on the same machine "
        f"(`{PG_URL}`); the production settings of the README: SCORE_SECRET_KEY (random), "
        "SCORE_DATABASE_URL, SCORE_HTTPS=1, SCORE_PROXIES=1, SCORE_PUBLIC_URL; every request "
        "carries the X-Forwarded-* headers nginx would add, and no Accept-Encoding (answers are "
        "not compressed, so wrk can check their text). Only sign-in is rate-limited (no default "
        "limit), and each user signs in once: SCORE_RATELIMIT_STORAGE_URI stays memory://",
        f"- load: wrk, a second process on the same cores as gunicorn and PostgreSQL, "
        f"{CONNECTIONS} connections (one per wrk thread) over loopback for "
        f"{DURATION_S} s, after a {WARMUP_S} s warm-up, going round the paths below in turn; "
        f"an error is a failed connect, read or write, a response slower than {TIMEOUT_S} s, or "
        "any answer but a 200 holding the expected text (on pages the signed-in user's name; in "
        "the API a field of the answer)",
        f"- data: the demo (`flask score demo`) and {ENTERPRISES:,} more enterprises x "
        f"{PERIODS} months x {INDICATOR_COUNT} indicators "
        f"({ENTERPRISES * PERIODS * INDICATOR_COUNT:,} measurements), {TRAINER_ENTERPRISES} of "
        f"them followed by the demo trainer; the Ghana workshop has {EXTRA_PEOPLE} more people; "
        f"set up (migrations, demo, data) in {setup_s:.0f} s",
        f"- the machine's load average (1 minute) when the load began: {now.busy:.1f}",
    ]
    if now.restarted:
        settings.append("- **a worker was restarted during the run** (see gunicorn's error log)")
    report = _report(settings, now, f"gunicorn {gunicorn.__version__}, wrk {wrk}")
    if earlier:
        report += _comparison(BEFORE, earlier, now)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    errors = sum(m.run["errors"] + m.warmup["errors"] for m in (earlier, now) if m)
    if errors:
        print(f"FAILED: {errors} errors under load.", file=sys.stderr)
    return 1 if errors else 0


def _cpu_per_request(measured: Measured) -> str:
    """CPU time the run took of gunicorn's workers and of PostgreSQL, per request served: what
    limits throughput once the cores are busy, and less swayed than latency by other work on
    the machine."""
    workers_s, database_s = measured.cpu
    requests = measured.run["requests"] or 1
    return (
        f"{(workers_s + database_s) / requests * 1000:.1f} ms (gunicorn's workers "
        f"{workers_s / requests * 1000:.1f} ms, PostgreSQL {database_s / requests * 1000:.1f} ms)"
    )


def _comparison(revision: str, earlier: Measured, now: Measured) -> str:
    """The revision compared with and this checkout, measured one after the other."""
    lines = [
        f"\n## Before and after: `{revision}` and this checkout\n",
        f"Both served the same database in the same way, `{revision}` first (its code from "
        "`git archive`, on the Python packages its own lock names), one right after the other. "
        "Latency as wrk saw it, over all paths.\n",
        "| code | load average at start | requests/s | p50 | p95 | p99 | errors "
        "| server CPU per request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, measured in ((f"before: `{revision}`", earlier), ("after: this checkout", now)):
        run = measured.run
        rate = run["requests"] / (run["duration_us"] / 1e6)
        latency = " | ".join(_ms(run["latency"][k]) for k in ("p50", "p95", "p99"))
        errors = run["errors"] + measured.warmup["errors"]
        lines.append(
            f"| {label} | {measured.busy:.1f} | {rate:.1f} | {latency} | {errors} "
            f"| {_cpu_per_request(measured)} |"
        )
    ratio = earlier.run["latency"]["p95"] / now.run["latency"]["p95"]
    lines += [
        "",
        f"p95 after is {1 / ratio:.2f}x p95 before (the target: at most 0.5x, "
        f"{'met' if ratio >= 2 else 'missed'}).\n",
        "| path | server p95 before | server p95 after |",
        "|---|---|---|",
    ]
    for target in now.targets:
        p95s = [
            _ms(_percentiles([us for _s, us in m.times.get(target.path, [])])[1])
            if len(m.times.get(target.path, [])) > 1
            else "-"
            for m in (earlier, now)
        ]
        lines.append(f"| `{target.path}` | {p95s[0]} | {p95s[1]} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
