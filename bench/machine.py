"""A description of the machine a benchmark ran on, for its results file."""

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB"
    return "unknown"


def _load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} (1 min), {five:.2f} (5 min), {fifteen:.2f} (15 min)"


def describe() -> str:
    """The machine and how busy it was when the benchmark started."""
    return (
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- machine: {os.cpu_count()} cores, {_cpu_model()}, {_memory_gib()} memory\n"
        f"- load average at the start: {_load_average()}\n"
        f"- system: {platform.platform()}\n"
        f"- Python {sys.version.split()[0]}\n"
    )
