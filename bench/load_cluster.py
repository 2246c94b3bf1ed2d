"""The site under load on one app server, then on two app servers and one worker
(`make load LOAD_CLUSTER=1`): the scenario of bench.load (the same database, data, users, paths
and wrk script), served by tests/cluster/servers.py as a cluster runs it (PostgreSQL
LOAD_PG_URL, Redis LOAD_REDIS_URL, photos and imports in the database, each process with a
disk of its own).

Each app server is gunicorn with bench.load's WORKERS sync workers, as adding a machine adds a
server like the first; one RQ worker runs beside them. Against two servers, two wrks run at
once, each with half of LOAD_CONNECTIONS on one server; their latency percentiles are merged
from a grid of 1,000 percentiles each wrk prints, weighed by the requests it made. The two
set-ups alternate (one, two, one, two: LOAD_RUNS rounds, default 2) so that other work on the
machine weighs on both alike; every run is reported, and the figure side by side is the median
of the runs (with two runs, their mean: never the best run). Results:
bench/results/load-cluster.md. Run from the project root: python -m bench.load_cluster.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gunicorn

from bench import load
from bench.machine import describe
from tests.cluster import servers

RESULTS = load.ROOT / "bench" / "results" / "load-cluster.md"
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0")
ROUNDS = int(os.environ.get("LOAD_RUNS", "2"))
# The production settings bench.load serves with; each user signs in once a run, through the
# first server, and the runs sign in a dozen times in a few minutes.
SETTINGS = {
    "SCORE_HTTPS": "1",
    "SCORE_PROXIES": "1",
    "SCORE_PUBLIC_URL": f"https://{load.PUBLIC_HOST}",
    "SCORE_LOGIN_RATE_LIMIT": "1000 per minute",
}


@dataclass(frozen=True)
class Run:
    servers: int
    busy: float  # the machine's 1-minute load average when the load began
    warmup: dict
    run: dict
    paths: int

    @property
    def rate(self) -> float:
        return self.run["requests"] / (self.run["duration_us"] / 1e6)

    @property
    def errors(self) -> int:
        return self.run["errors"] + self.warmup["errors"]


def _measure(app, count: int, folder: Path) -> Run:
    """Start `count` app servers and a worker, sign in, then wrk's warm-up and measured run."""
    ports = [load._free_port() for _n in range(count)]
    print(f"Starting {count} app server(s) on {ports} and a worker ...", flush=True)
    cluster = servers.start(load.PG_URL, REDIS_URL, ports, workers=load.WORKERS, settings=SETTINGS)
    try:
        targets = load._targets(app, ports[0])
        script = folder / "mix.lua"
        script.write_text(load._wrk_script(targets), encoding="utf-8")
        busy = os.getloadavg()[0]
        print(f"Warm-up {load.WARMUP_S} s, then {load.DURATION_S} s ...", flush=True)
        warmup = load._run_wrk_on(script, ports, load.WARMUP_S)
        run = load._run_wrk_on(script, ports, load.DURATION_S)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)
    measured = Run(count, busy, warmup, run, len(targets))
    print(f"{count} server(s): {measured.rate:.1f} requests/s, p95 "
          f"{load._ms(run['latency']['p95'])}, {measured.errors} errors", flush=True)  # fmt: skip
    return measured


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _report(machine: str, settings: list[str], runs: list[Run]) -> str:
    lines = [
        "# The site under load: one app server, then two app servers and a worker\n",
        machine,
        *settings,
        f"\n## Result: {sum(run.errors for run in runs)} errors\n",
        "Each run as it came, in the order measured. Latency as wrk saw it over all paths "
        "(from sending the request to the end of the response, including the wait for a free "
        "gunicorn worker); with two servers, the percentiles of both wrks' requests together.\n",
        "| run | app servers | load average at start | requests | requests/s | p50 | p95 | p99 "
        "| max | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, run in enumerate(runs, 1):
        latency = " | ".join(load._ms(run.run["latency"][k]) for k in ("p50", "p95", "p99", "max"))
        lines.append(
            f"| {n} | {run.servers} | {run.busy:.1f} | {run.run['requests']:,} | {run.rate:.1f} "
            f"| {latency} | {run.errors} |"
        )
    lines += [
        "\n## Side by side\n",
        "The median of the runs of each set-up (with two runs, their mean), and each run.\n",
        "| | one app server | two app servers and a worker |",
        "|---|---|---|",
    ]
    by_count = {count: [run for run in runs if run.servers == count] for count in (1, 2)}
    for label, value, shown in (
        ("requests/s", lambda run: run.rate, lambda v: f"{v:.1f}"),
        ("p95", lambda run: run.run["latency"]["p95"], load._ms),
        ("p50", lambda run: run.run["latency"]["p50"], load._ms),
    ):
        cells = [
            f"**{shown(_median([value(run) for run in found]))}** "
            f"({', '.join(shown(value(run)) for run in found)})"
            for found in by_count.values()
        ]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    lines.append(_reading(by_count))
    return "\n".join(lines) + "\n"


def _reading(by_count: dict[int, list[Run]]) -> str:
    """What the figures say, computed from them."""
    one, two = (_median([run.rate for run in found]) for found in by_count.values())
    busy = [run.busy for found in by_count.values() for run in found]
    p95_one, p95_two = (
        _median([run.run["latency"]["p95"] for run in found]) for found in by_count.values()
    )
    return (
        f"\nTwo app servers served {two / one:.2f}x the requests per second of one, at "
        f"{p95_two / p95_one:.2f}x its p95. Both set-ups have the same parts (PostgreSQL, "
        "Redis, the worker, files in the database) on this one machine, whose cores they share "
        "with wrk: the second server adds gunicorn workers, not cores, so these figures say "
        "what a second server costs or gains on the same cores, not what a second machine "
        "would add. The machine's load average (1 minute) went from "
        f"{min(busy):.1f} to {max(busy):.1f} between the runs' starts; each run starts seconds "
        "after the last ends, so its figure holds the last run's own load too.\n"
    )


def main() -> int:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: make load installs Debian's wrk.")
    machine = describe()  # before the set-up and the runs load the machine
    with tempfile.TemporaryDirectory(prefix="score-load-cluster-") as name:
        folder = Path(name)
        app, _env, server_version, setup_s = load.set_up(folder)
        runs = [_measure(app, count, folder) for _round in range(ROUNDS) for count in (1, 2)]
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1]
    settings = [
        f"- servers: tests/cluster/servers.py, each app server gunicorn with {load.WORKERS} "
        "sync workers (`--timeout 60 --graceful-timeout 5`, access log on) with a disk folder "
        f"of its own, and one RQ worker (`flask score worker`); PostgreSQL {server_version} "
        f"(`{load.PG_URL}`) and Redis (`{REDIS_URL}`) on the same machine; "
        "SCORE_STORAGE=database, SCORE_REDIS_URL (rate limits, sign-in pauses, jobs), "
        "SCORE_HTTPS=1, SCORE_PROXIES=1, SCORE_PUBLIC_URL, SCORE_LOGIN_RATE_LIMIT=1000 per "
        "minute (each run signs its three users in again); the one-server runs have the same "
        "settings and worker, so the number of app servers is the only difference",
        f"- load: bench.load's scenario and wrk script ({runs[0].paths} paths of "
        f"three roles, pages and API); {load.CONNECTIONS} connections over loopback for "
        f"{load.DURATION_S} s after a {load.WARMUP_S} s warm-up; against two servers two wrks "
        f"at once, {load.CONNECTIONS // 2} connections each, one per server",
        f"- runs: {ROUNDS} of each set-up, alternating (one server, then two, and again); "
        f"{load.DURATION_S}-second runs",
        f"- data: as bench/results/load.md (the demo and {load.ENTERPRISES:,} more enterprises "
        f"with {load.PERIODS} months of {load.INDICATOR_COUNT} indicators); set up in "
        f"{setup_s:.0f} s",
        f"- versions: gunicorn {gunicorn.__version__}, wrk {wrk}",
    ]
    report = _report(machine, settings, runs)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    errors = sum(run.errors for run in runs)
    if errors:
        print(f"FAILED: {errors} errors under load.", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
