"""Shared benchmark helpers: cached inputs from the seeded generator, timing, peak RSS, the Polars baseline pass.

Machines here are noisy, so every stage is reported next to one Polars sort + group_by pass over the same events,
measured in the same run: the ratio is what we compare over time.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from analysis import schema as s
from analysis.prepare.person import person_key
from analysis.sample import write_sample_parquet

DATA = Path(__file__).resolve().parent / "data"
RESULTS = Path(__file__).resolve().parent / "results"
EVENTS_PER_USER = 16.6  # what analysis.sample generates on average
T = TypeVar("T")


@dataclass(frozen=True)
class Measurement:
    """One stage at one size."""

    stage: str
    events: int
    seconds: float
    peak_rss_mb: float
    baseline_seconds: float | None = None
    cpu_seconds: float | None = None  # user + sys of this process (all threads), where a bench measures it

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    @property
    def ratio(self) -> float | None:
        """Seconds relative to one Polars sort + group_by pass over the same events (lower is better)."""
        return self.seconds / self.baseline_seconds if self.baseline_seconds else None

    def row(self) -> str:
        ratio = f"{self.ratio:6.2f}x" if self.ratio is not None else "      -"
        return (f"{self.stage:<28} {self.events:>12,} {self.seconds:9.3f} s {self.events_per_second:>14,.0f} ev/s "
                f"{self.peak_rss_mb:9.0f} MB {ratio}")


HEADER = f"{'stage':<28} {'events':>12} {'seconds':>11} {'throughput':>19} {'peak RSS':>12} {'vs pass':>7}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], T], *, repeat: int = 1) -> tuple[float, T]:
    """Best wall-clock seconds of ``repeat`` runs of ``fn`` and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]


def timed_cpu(fn: Callable[[], T], *, repeat: int = 1) -> tuple[float, float, T]:
    """Best wall-clock and best CPU seconds (user + sys of this process, all threads) of ``repeat`` runs of ``fn``.

    On a shared machine CPU seconds move far less with the others' load than wall seconds do.
    """
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start)
    return wall, cpu, result  # type: ignore[return-value]


def sample_path(n_events: int, *, seed: int = 42) -> Path:
    """A Parquet file (or folder of parts) of about ``n_events`` generated events, written once and reused."""
    n_users = max(1, round(n_events / EVENTS_PER_USER))
    path = DATA / f"events-{n_users}u-seed{seed}"
    done = path / "_SUCCESS"
    if not done.exists():
        write_sample_parquet(path / "part-00000.parquet" if n_users <= 200_000 else path, n_users, seed=seed)
        done.touch()
    return path


def load_events(n_events: int, *, seed: int = 42) -> pl.DataFrame:
    """The generated events of :func:`sample_path`, in memory."""
    return pl.read_parquet(sample_path(n_events, seed=seed) / "*.parquet")


def baseline_pass(events: pl.DataFrame) -> pl.DataFrame:
    """The yardstick: one sort by person and time plus one group_by over the same events."""
    return (
        events.sort(person_key(events.columns), s.TIMESTAMP)
        .group_by(person_key(events.columns).alias("person"))
        .agg(pl.len(), pl.col(s.TIMESTAMP).min(), pl.col(s.EVENT).last())
    )


def baseline_seconds(events: pl.DataFrame, *, repeat: int = 3) -> float:
    """Best of ``repeat`` timings of :func:`baseline_pass`."""
    return timed(lambda: baseline_pass(events), repeat=repeat)[0]


def write_results(name: str, measurements: list[Measurement]) -> Path:
    """Save measurements as JSON under benchmarks/results/ for comparison over time."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    rows = [{**asdict(m), "events_per_second": m.events_per_second, "ratio": m.ratio} for m in measurements]
    out.write_text(json.dumps(rows, indent=2))
    return out
