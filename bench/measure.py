"""Small measuring tools the benchmark steps share: wall time, latency percentiles, memory.

>>> p = percentiles([0.001 * i for i in range(1, 101)])
>>> round(p["p50_ms"], 1), round(p["p99_ms"], 1)
(50.5, 99.0)
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


@contextmanager
def timed(into: dict[str, Any], key: str = "seconds") -> Iterator[None]:
    """Record the wall time of the block in `into[key]` (seconds, 3 decimals)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        into[key] = round(time.perf_counter() - start, 3)


def rate(count: int, seconds: float) -> float:
    """Items per second, rounded; 0 when nothing was timed."""
    return round(count / seconds) if seconds > 0 else 0.0


def percentiles(latencies_s: list[float]) -> dict[str, float]:
    """p50, p90 and p99 of latencies given in seconds, reported in milliseconds."""
    if not latencies_s:
        return {"p50_ms": 0.0, "p90_ms": 0.0, "p99_ms": 0.0}
    values = np.asarray(latencies_s) * 1000.0
    return {f"p{q}_ms": round(float(np.percentile(values, q)), 2) for q in (50, 90, 99)}


def own_peak_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def children_peak_mb() -> float:
    """Peak resident memory of the largest waited-for child process (e.g. a CLI run)."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def process_memory_mb(pid: int) -> dict[str, float]:
    """Current and peak resident memory of another process (the store), from /proc."""
    status = Path(f"/proc/{pid}/status")
    out = {"rss_mb": 0.0, "peak_rss_mb": 0.0}
    if not status.exists():
        return out
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
        elif line.startswith("VmHWM:"):
            out["peak_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
    return out


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare numbers: cores, memory, CPU model, Python."""
    import platform

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cores": os.cpu_count(), "memory_gb": round(mem_gb, 1), "cpu": cpu,
            "python": platform.python_version(), "system": platform.platform()}


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process has used so far, from /proc; 0 when unknown.

    Counted per process, so that a measure taken on a machine busy with other work still
    says what this work cost.
    """
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """The machine's one-minute load average: how much else shared the cores."""
    return round(os.getloadavg()[0], 2)


@contextmanager
def costed(into: dict[str, Any], store_pid: int | None) -> Iterator[None]:
    """Record wall time, CPU of this process and of the store, and the load average."""
    into["load_before"] = load_average()
    start, own, store = time.perf_counter(), time.process_time(), cpu_seconds(store_pid)
    try:
        yield
    finally:
        into["seconds"] = round(time.perf_counter() - start, 3)
        into["medgraph_cpu_s"] = round(time.process_time() - own, 2)
        into["store_cpu_s"] = round(cpu_seconds(store_pid) - store, 2)
        into["load_after"] = load_average()
