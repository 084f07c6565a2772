"""Benchmark persona fitting: features, fit (k by silhouette) and stability, at 100k and 1M users.

Run: ``.venv/bin/python -m benchmarks.bench_personas --users 100000 1000000`` (or ``--events N``). Inputs come from the
seeded generator (cached under benchmarks/data/) and are prepared first (stitching and sessions; not timed in the
target). Target: features + fit + stability for 1M users under 60 s on the 2-core box.
"""

from __future__ import annotations

import argparse

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from analysis.personas import Personas
from analysis.personas.features import user_features
from analysis.personas.stability import assess_stability
from analysis.prepare import prepare
from benchmarks.common import (
    EVENTS_PER_USER,
    HEADER,
    Measurement,
    baseline_seconds,
    load_events,
    peak_rss_mb,
    timed,
    write_results,
)


def run(n_users: int, *, parquet: str | None = None) -> list[Measurement]:
    """Time each stage on about ``n_users`` generated users, or on the events of ``parquet`` (e.g. the peer
    workload of ``benchmarks.peers.workload``: 10M events, 1.02M people)."""
    raw = pl.read_parquet(parquet) if parquet else load_events(round(n_users * EVENTS_PER_USER))
    events = prepare(raw)
    del raw
    n = events.height
    base = baseline_seconds(events, repeat=1)
    out: list[Measurement] = []

    def measure(stage: str, seconds: float) -> None:
        out.append(Measurement(stage, n, seconds, peak_rss_mb(), base))
        print(out[-1].row(), flush=True)

    seconds, features = timed(lambda: user_features(events))
    measure(f"features ({features.height:,} users)", seconds)
    model = Personas(stability_runs=0, seed=0)
    seconds, model = timed(lambda: model.fit(events))
    measure(f"fit, k={model.k_} by silhouette", seconds)
    X = model.features_.select(model.feature_names_in_).to_numpy().astype(np.float64)
    with threadpool_limits(limits=model.n_threads):  # as inside Personas.fit
        seconds, stability = timed(lambda: assess_stability(
            model.pipeline_, X, model.labels_, k=model.k_, silhouette=model.silhouette_, runs=10,
            sample_size=model.stability_sample, seed=0))
    measure(f"stability ({stability.runs} runs)", seconds)
    total = out[1].seconds + out[2].seconds  # fit already includes the features
    measure("total: fit + stability", total)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, nargs="*", default=None, help="user counts (default 100000 1000000)")
    parser.add_argument("--events", type=int, nargs="*", default=None, help="event counts instead of users")
    parser.add_argument("--parquet", default=None, help="a Parquet file of events instead of generated ones")
    args = parser.parse_args()
    if args.parquet:
        print(HEADER)
        print(f"results: {write_results('personas', run(0, parquet=args.parquet))}")
        return
    sizes = args.users or [round(e / EVENTS_PER_USER) for e in (args.events or [])] or [100_000, 1_000_000]
    print(HEADER)
    results: list[Measurement] = []
    for n_users in sizes:
        print(f"-- {n_users:,} users", flush=True)
        results += run(n_users)
    print(f"results: {write_results('personas', results)}")


if __name__ == "__main__":
    main()
