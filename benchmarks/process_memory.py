"""Peak resident memory of the driver and of each Spark executor, sampled from ``/proc`` while a run goes on.

A Spark executor is a JVM (``CoarseGrainedExecutorBackend``) plus the Python workers it forks; its memory is the
sum of their resident sets. The driver is this Python process plus the JVM it started (``SparkSubmit``). The
standalone master and worker daemons are neither and are left out. Linux only (reads ``/proc``).

Examples
--------
>>> with ProcessPeaks() as peaks:  # doctest: +SKIP
...     run_pipeline(...)
>>> peaks.driver_mb, peaks.executors_mb  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
EXECUTOR_CLASS = "CoarseGrainedExecutorBackend"
DRIVER_CLASS = "org.apache.spark.deploy.SparkSubmit"


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command line, resident MB) of every readable process."""
    out: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            pages = int((entry / "statm").read_text().split()[1])
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        out[int(entry.name)] = (parent, cmd, pages * _PAGE_MB)
    return out


def sample(me: int) -> tuple[float, dict[str, float]]:
    """(driver MB, {executor id: MB}) now."""
    procs = _processes()
    roots: dict[int, str] = {}
    for pid, (_, cmd, _) in procs.items():
        if EXECUTOR_CLASS in cmd:
            parts = cmd.split()
            name = parts[parts.index("--executor-id") + 1] if "--executor-id" in parts else str(pid)
            roots[pid] = f"executor {name}"
        elif DRIVER_CLASS in cmd or pid == me:
            roots[pid] = "driver"
    totals: dict[str, float] = {}
    for pid, (_, _, mb) in procs.items():
        walk, seen = pid, 0
        while walk not in roots and walk in procs and seen < 64:
            walk, seen = procs[walk][0], seen + 1
        if walk in roots:
            totals[roots[walk]] = totals.get(roots[walk], 0.0) + mb
    driver = totals.pop("driver", 0.0)
    return driver, totals


class ProcessPeaks:
    """Samples :func:`sample` every ``interval`` seconds in a thread; keeps the peaks."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.driver_mb = 0.0
        self.executors_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            driver, executors = sample(me)
            self.driver_mb = max(self.driver_mb, driver)
            for name, mb in executors.items():
                self.executors_mb[name] = max(self.executors_mb.get(name, 0.0), mb)
            self._stop.wait(self.interval)

    def __enter__(self) -> ProcessPeaks:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
