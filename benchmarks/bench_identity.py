"""Benchmark identity resolution: the identity graph over web events plus people records, Polars and Spark.

Run: ``.venv/bin/python -m benchmarks.bench_identity --events 1000000 --people 100000 1000000`` (add ``--spark``
for the Spark graph on ``local[2]``). Web events come from the seeded generator (``benchmarks.common``); people
records are generated here, vectorised: one CRM-like record per person with a customer number, an e-mail hash and a
phone hash; 60% of the first records (at most one per web user) carry a web user id, so they link; 0.1% carry one
placeholder e-mail (cut by the false-merge rule). Every stage reports wall and CPU seconds (user + sys of this
process: on a shared machine compare CPU) and CPU relative to the sort + group_by yardstick of the same run. Stages
run one after another in this process, so peak RSS is the high-water mark so far; the graph stages run before the
yardstick, so theirs is the inputs' plus the graph's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from analysis import schema as s
from analysis.prepare import prepare
from analysis.prepare.identity import identity_graph, resolve_identities
from benchmarks.common import Measurement, baseline_pass, load_events, peak_rss_mb, timed_cpu, write_results

LINKED_SHARE = 0.6
JUNK_SHARE = 0.001


def people_records(events: pl.DataFrame, n_people: int, *, seed: int = 5) -> pl.DataFrame:
    """``n_people`` CRM-like records; ``LINKED_SHARE`` of them carry a user id seen in ``events``."""
    rng = np.random.default_rng(seed)
    users = events[s.USER_ID].drop_nulls().unique().sort()
    ids = pl.Series(np.arange(n_people)).cast(pl.String)
    # each web user has at most one CRM record (a CRM holds a person once); records beyond them are CRM-only
    picked = users.gather(np.resize(rng.permutation(len(users)), n_people))
    first = pl.Series(np.arange(n_people) < len(users))
    return pl.DataFrame({
        "linked": (rng.random(n_people) < LINKED_SHARE) & first.to_numpy(),
        "junk": rng.random(n_people) < JUNK_SHARE,
        "picked": picked, "ids": ids, "segment": rng.choice(["A", "B", "C"], n_people),
    }).select(
        pl.when("linked").then("picked").alias(s.USER_ID),
        pl.col("ids").str.pad_start(8, "0").alias("customer_id"),
        pl.when("junk").then(pl.lit("placeholder")).otherwise(pl.col("ids").hash(seed=1).cast(pl.String))
        .alias("email"),
        pl.col("ids").hash(seed=2).cast(pl.String).alias("phone"),
        "segment", pl.lit("crm.csv").alias("source_file"),
    )


def _row(m: Measurement, base_cpu: float | None) -> str:
    ratio = f"{m.cpu_seconds / base_cpu:6.2f}x" if base_cpu and m.cpu_seconds is not None else "      -"
    return (f"{m.stage:<40} {m.events:>11,} {m.seconds:8.2f} s {m.cpu_seconds or 0:8.2f} s {ratio} "
            f"{m.peak_rss_mb:8.0f} MB")


HEADER = f"{'stage':<40} {'events':>11} {'wall':>10} {'CPU':>10} {'vs pass':>7} {'peak RSS':>11}"


def run(n_events: int, n_people: int, *, repeat: int, spark: bool) -> list[Measurement]:
    """Time the identity stages on about ``n_events`` events and ``n_people`` people records.

    The graph stages run before the yardstick pass, so their peak RSS is the inputs' plus the graph's own; the
    stages after it report the high-water mark so far. CPU ratios use the yardstick's CPU seconds of this run.
    """
    events = load_events(n_events)
    people = people_records(events, n_people)
    n = events.height
    out: list[Measurement] = []
    print(f"   inputs loaded: peak RSS {peak_rss_mb():.0f} MB", flush=True)

    def stage(name: str, fn: Callable[[], Any], base: Measurement | None = None) -> Any:
        wall, cpu, result = timed_cpu(fn, repeat=repeat)
        label = f"{name} (+{n_people:,} people)" if "people" in name else name
        out.append(Measurement(label, n, wall, peak_rss_mb(), base.seconds if base else None, cpu))
        print(_row(out[-1], base.cpu_seconds if base else None), flush=True)
        return result

    stage("graph, events only", lambda: identity_graph([events]))
    graph = stage("graph, events + people", lambda: identity_graph([events, people]))
    stage("baseline: sort + group_by", lambda: baseline_pass(events))
    base = out[-1]
    out = [replace(m, baseline_seconds=base.seconds) for m in out]
    for m in out[:2]:
        print(f"{_row(m, base.cpu_seconds)} (wall {m.ratio:.2f}x the pass)", flush=True)
    stage("resolve, events + people", lambda: resolve_identities(events, people=people), base)
    prepared = stage("prepare, events + people", lambda: prepare(events, people=people), base)
    print(f"   people {prepared[s.USER_ID].n_unique():,}, linked identifiers {graph.nodes.height:,}, "
          f"cut {graph.cuts['identifiers'].sum():,}", flush=True)
    if spark:
        out.append(_spark(events, people, n, base))
    return out


def _spark(events: pl.DataFrame, people: pl.DataFrame, n: int, base: Measurement) -> Measurement:
    from analysis.engine.spark import arrow_schema, spark_session  # noqa: PLC0415 (optional)
    from analysis.engine.spark_identity import spark_identity_graph  # noqa: PLC0415

    session = spark_session(shuffle_partitions=8)
    frames = [session.createDataFrame(f.to_arrow().cast(arrow_schema(f.schema)))
              for f in (events.select(s.USER_ID, s.ANONYMOUS_ID), people.drop("segment", "source_file"))]
    wall, cpu, count = timed_cpu(lambda: spark_identity_graph(frames).count())
    m = Measurement(f"spark graph, events + people ({count:,} ids)", n, wall, peak_rss_mb(), base.seconds, cpu)
    print(_row(m, base.cpu_seconds), "(driver process only: CPU and RSS exclude the JVM)", flush=True)
    session.stop()
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="*", default=[1_000_000], help="event counts (default 1M)")
    parser.add_argument("--people", type=int, nargs="*", default=[100_000], help="people records (default 100k)")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs per stage")
    parser.add_argument("--spark", action="store_true", help="also time the Spark graph (local[2])")
    args = parser.parse_args()
    print(HEADER)
    results: list[Measurement] = []
    for n_events in args.events:
        for n_people in args.people:
            print(f"-- {n_events:,} events, {n_people:,} people records", flush=True)
            results += run(n_events, n_people, repeat=args.repeat, spark=args.spark)
    print(f"results: {write_results('identity', results)}")


if __name__ == "__main__":
    main()
