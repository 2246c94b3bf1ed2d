"""`make load LOAD_CLUSTER=1` runs one wrk per app server at once: their results are read as
one run, whose percentiles are those of all the requests together."""

from collections import defaultdict

from bench.load import GRID, _together


def _result(requests: int, micros: int, wrong: int = 0) -> dict:
    """A wrk run whose every request took `micros`."""
    return {
        "requests": requests, "duration_us": 30_000_000, "connect": 0, "read": 0, "write": 0,
        "status": wrong, "timeout": 0, "errors": wrong,
        "latency": {"p50": micros, "p95": micros, "p99": micros, "max": micros},
        "served": defaultdict(int, {0: requests}), "wrong": defaultdict(int, {0: wrong}),
        "answers": {(0, 500): wrong} if wrong else {}, "grid": [micros] * GRID,
    }  # fmt: skip


def test_two_wrks_add_up_and_their_percentiles_weigh_each_by_its_requests():
    fast, slow = _result(9_000, 100_000), _result(1_000, 900_000, wrong=3)
    together = _together([fast, slow])
    assert together["requests"] == 10_000 and together["errors"] == 3
    assert together["served"][0] == 10_000 and together["answers"] == {(0, 500): 3}
    # 90 % of the requests took 100 ms: the median is theirs, the p95 the slow server's.
    assert together["latency"]["p50"] == 100_000
    assert together["latency"]["p95"] == 900_000
    assert together["latency"]["max"] == 900_000


def test_two_like_wrks_give_the_percentiles_of_either():
    first = _result(5_000, 0)
    first["grid"] = [n * 1000 for n in range(1, GRID + 1)]  # 1 ms to 1,000 ms, evenly
    second = {**first, "served": defaultdict(int), "wrong": defaultdict(int), "answers": {}}
    together = _together([first, second])
    assert together["latency"]["p95"] == 950_000
    assert together["latency"]["p50"] == 500_000
