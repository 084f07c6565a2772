"""Benchmark funnels: 3- and 10-step ordered funnels (and a few options) against one Polars sort + group_by pass.

Run: ``.venv/bin/python -m benchmarks.bench_funnel --events 1000000 10000000`` (``--shuffle`` to shuffle the rows
first). Inputs come from the seeded generator (cached under benchmarks/data/), in the generator's order (grouped by
person, so the funnel skips its sorts) or shuffled, raw (not prepared: the funnel keys people by ``user_id`` else
``anonymous_id`` itself). Each funnel call is timed end to end from the in-memory frame, including
its own filter and sort. Target: <= 2x the baseline pass (vectorised, no loop over users or events).

The 10-step funnel uses the sample's planted steps (purchase path) with browse events as the extra steps; a step
may repeat an earlier event (page_view, search), which the funnel handles as a later, separate step.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta

import polars as pl

from analysis.funnels import funnel
from benchmarks.common import HEADER, Measurement, baseline_seconds, load_events, peak_rss_mb, timed, write_results

STEPS_3 = ["view_item", "add_to_cart", "purchase"]
STEPS_10 = ["search", "page_view", "select_item", "view_item", "scroll", "add_to_cart", "page_view", "search",
            "begin_checkout", "purchase"]
WEEK = timedelta(days=7)


def cases() -> list[tuple[str, Callable[[pl.DataFrame], pl.DataFrame]]]:
    """The funnels timed at every size."""
    return [
        ("funnel 3 steps, ordered", lambda ev: funnel(ev, STEPS_3, window=WEEK)),
        ("funnel 10 steps, ordered", lambda ev: funnel(ev, STEPS_10, window=WEEK)),
        ("funnel 3, first entry", lambda ev: funnel(ev, STEPS_3, window=WEEK, anchor="first")),
        ("funnel 3, unordered", lambda ev: funnel(ev, STEPS_3, window=WEEK, mode="unordered")),
        ("funnel 3, strict", lambda ev: funnel(ev, STEPS_3, window=WEEK, mode="strict")),
        ("funnel 3, totals", lambda ev: funnel(ev, STEPS_3, window=WEEK, counting="totals")),
        ("funnel 3, by channel", lambda ev: funnel(ev, STEPS_3, window=WEEK, breakdown="channel")),
    ]


def run(n_events: int, *, repeat: int, shuffle: bool = False) -> list[Measurement]:
    """Time every case on about ``n_events`` generated events (rows shuffled first with ``shuffle``)."""
    events = load_events(n_events)
    if shuffle:  # like the perf-anchor workload: every consumer has to sort
        events = events.sample(fraction=1.0, shuffle=True, seed=42)
    n = events.height
    base = baseline_seconds(events, repeat=repeat)
    out = [Measurement("baseline: sort + group_by", n, base, peak_rss_mb(), base)]
    print(out[-1].row(), flush=True)
    for stage, fn in cases():
        seconds, table = timed(lambda fn=fn: fn(events), repeat=repeat)  # type: ignore[misc]
        out.append(Measurement(stage, n, seconds, peak_rss_mb(), base))
        per_step = table.group_by("step").agg(pl.col("entered").sum()).sort("step")["entered"].to_list()
        counts = [per_step[0], per_step[-1]]
        print(out[-1].row(), f"  first/last step: {counts[0]:,} / {counts[-1]:,}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="*", default=[1_000_000], help="event counts (default 1M)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs per case")
    parser.add_argument("--shuffle", action="store_true", help="shuffle rows first (input not ordered by person)")
    args = parser.parse_args()
    print(HEADER)
    results: list[Measurement] = []
    for n_events in args.events:
        print(f"-- {n_events:,} events", flush=True)
        results += run(n_events, repeat=args.repeat, shuffle=args.shuffle)
    print(f"results: {write_results('funnel-shuffled' if args.shuffle else 'funnel', results)}")


if __name__ == "__main__":
    main()
