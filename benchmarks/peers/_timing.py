"""Timing for the peer tasks, standard library only (imported by both environments): median of N, peak RSS."""

from __future__ import annotations

import json
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any, float]:
    """Median wall seconds of ``repeat`` runs of ``fn``, every run's seconds, the last result and the median CPU
    seconds (user + system of every thread: on a shared machine the steadier figure)."""
    runs, cpu, out = [], [], None
    for _ in range(repeat):
        start, used = time.perf_counter(), time.process_time()
        out = fn()
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
    return statistics.median(runs), runs, out, statistics.median(cpu)


def emit(task: str, tool: str, seconds: float, runs: list[float], result: Any, **extra: Any) -> None:
    """One ``RESULT {json}`` line on stdout for the driver: the task, its timing, peak RSS and a result digest."""
    row = {"task": task, "tool": tool, "seconds": seconds, "runs": [round(r, 4) for r in runs],
           "peak_rss_mb": round(peak_rss_mb(), 1), "result": result, **extra}
    print("RESULT " + json.dumps(row), flush=True)
