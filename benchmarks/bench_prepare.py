"""Benchmark prepare (stitching, channel grouping, sessions) and journeys against one Polars sort + group_by pass.

Run: ``.venv/bin/python -m benchmarks.bench_prepare --events 1000000 10000000``. Inputs come from the seeded
generator (cached under benchmarks/data/; 10M events are about 600k users), read into memory unsorted as written.
``prepare, raw`` drops the generator's planted ``channel`` column first, so the GA4 rules run as on a raw export;
``prepare, channel given`` keeps it (rules skipped). Each stage is timed end to end from the in-memory frame.
Target: prepare <= 3x the baseline pass. Peak RSS is the process's high-water mark so far.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from analysis import schema as s
from analysis.journeys import journeys
from analysis.paths import paths, transitions
from analysis.prepare import prepare
from analysis.prepare.channels import assign_channels
from analysis.prepare.identity import stitch_identities
from analysis.prepare.sessions import sessionize
from benchmarks.common import HEADER, Measurement, baseline_seconds, load_events, peak_rss_mb, timed, write_results


def run(n_events: int, *, repeat: int, with_journeys: bool) -> list[Measurement]:
    """Time every stage on about ``n_events`` generated events."""
    events = load_events(n_events)
    raw = events.drop(s.CHANNEL)
    n = events.height
    base = baseline_seconds(events, repeat=repeat)
    out = [Measurement("baseline: sort + group_by", n, base, peak_rss_mb(), base)]
    print(out[-1].row(), flush=True)

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        seconds, result = timed(fn, repeat=repeat)
        out.append(Measurement(name, n, seconds, peak_rss_mb(), base))
        print(out[-1].row(), flush=True)
        return result

    stage("stitch_identities", lambda: stitch_identities(raw))
    stage("assign_channels, raw", lambda: assign_channels(raw))
    stage("sessionize", lambda: sessionize(events, gap=timedelta(minutes=30)))
    stage("prepare, channel given", lambda: prepare(events))
    prepared = stage("prepare, raw", lambda: prepare(raw))
    if with_journeys:
        table = stage("journeys", lambda: journeys(prepared))
        stage("paths + transitions (8)", lambda: transitions(paths(table, level="event", steps=8), top_n=10))
    print(f"   people {prepared[s.USER_ID].n_unique():,}, sessions {prepared[s.SESSION_ID].n_unique():,}, "
          f"channels {prepared.group_by(s.CHANNEL).len().height}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="*", default=[1_000_000], help="event counts (default 1M)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs per stage")
    parser.add_argument("--no-journeys", action="store_true", help="time prepare only")
    args = parser.parse_args()
    print(HEADER)
    results: list[Measurement] = []
    for n_events in args.events:
        print(f"-- {n_events:,} events", flush=True)
        results += run(n_events, repeat=args.repeat, with_journeys=not args.no_journeys)
    print(f"results: {write_results('prepare', results)}")


if __name__ == "__main__":
    main()
