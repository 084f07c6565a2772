"""One sort per dataset: CPU time and peak memory of load, prepare and the steps after it, each in a fresh process.

Run: ``.venv/bin/python -m benchmarks.bench_one_sort EVENTS.parquet [--code DIR ...] [--repeat 3]``, on the
shuffled perf-anchors workload (``python -m benchmarks.peers.workload 1000000 ev_1m.parquet``). Every ``--code``
is a source tree (this checkout by default; e.g. ``git archive <commit> analysis | tar -x -C DIR`` for the code
before a change): each task runs in a fresh process with that tree first on ``PYTHONPATH``, so trees are compared
side by side in one run. CPU time (user + sys of the child, all threads) is the figure to compare on a shared
machine; wall time is shown too. Peak RSS is the child's high-water mark, the input read included.

Tasks: ``load`` (``load_events``, default: sorted), ``load_nosort`` (``sort=False``), ``prepare`` (on loaded,
unsorted events), ``load_prepare`` (the app's and CLI's path: load without sorting, then prepare),
``load_sorted_prepare`` (their path before: the loader sorted, then prepare sorted again), and on the
prepared events ``paths`` (conversion paths), ``funnel`` (10 steps, 7 days) and ``features`` (persona features).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

TASKS = ("load", "load_nosort", "prepare", "load_prepare", "load_sorted_prepare", "paths", "funnel", "features")
FUNNEL = ("page_view", "view_item_list", "view_item", "select_item", "add_to_cart", "view_cart", "begin_checkout",
          "add_shipping_info", "add_payment_info", "purchase")


def _child(task: str, source: str) -> None:
    """Run one task in this (fresh) process and print its CPU seconds, wall seconds and peak RSS as JSON."""
    from datetime import timedelta  # noqa: PLC0415 (imports belong to the measured process)

    import polars as pl  # noqa: PLC0415

    from analysis.ingest import load_events  # noqa: PLC0415
    from analysis.prepare import prepare  # noqa: PLC0415

    prepared_file = Path(source).with_suffix(".prepared.parquet")
    run: Callable[[], object]
    if task == "load":
        run = lambda: load_events(source)  # noqa: E731
    elif task == "load_nosort":
        run = lambda: load_events(source, sort=False)  # noqa: E731
    elif task == "load_sorted_prepare":  # the app's and CLI's path before they stopped the loader's sort
        run = lambda: prepare(load_events(source).events)  # noqa: E731
    elif task == "load_prepare":
        run = lambda: prepare(load_events(source, sort=False).events)  # noqa: E731
    elif task == "prepare":
        events = load_events(source, sort=False).events
        run = lambda: prepare(events)  # noqa: E731
    else:
        prepared = pl.read_parquet(prepared_file)
        if task == "paths":
            from analysis.attribution import conversion_paths  # noqa: PLC0415

            run = lambda: conversion_paths(prepared, lookback=None, first_conversion_only=True)  # noqa: E731
        elif task == "funnel":
            from analysis.funnels import funnel  # noqa: PLC0415

            run = lambda: funnel(prepared, list(FUNNEL), window=timedelta(days=7))  # noqa: E731
        elif task == "features":
            from analysis.personas.features import user_features  # noqa: PLC0415

            run = lambda: user_features(prepared)  # noqa: E731
        else:
            raise SystemExit(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    before = os.times()
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu": cpu, "wall": wall, "peak_rss_mb": peak}))


def _measure(code: Path, task: str, source: Path, repeat: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    rows = []
    for _ in range(repeat):
        # this file run as a script: the tree under test need not have it
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", task, str(source)],
                             env=env, cwd=code, check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in rows) for k in ("cpu", "wall", "peak_rss_mb")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, nargs="?", help="canonical events Parquet (the perf-anchors workload)")
    parser.add_argument("--code", type=Path, action="append", help="source tree(s) to compare (default: this one)")
    parser.add_argument("--tasks", nargs="*", default=list(TASKS), choices=TASKS)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per task (median)")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    if args.source is None:
        parser.error("give the events Parquet file")
    codes = [c.resolve() for c in (args.code or [Path(__file__).resolve().parent.parent])]
    source = args.source.resolve()
    print(f"{'task':<14} {'code':<40} {'cpu s':>8} {'wall s':>8} {'peak RSS MB':>12}")
    for task in args.tasks:
        for code in codes:
            if task in ("paths", "funnel", "features"):  # the same prepared input for every tree, written untimed
                prepared = source.with_suffix(".prepared.parquet")
                if not prepared.exists():
                    subprocess.run([sys.executable, "-c", "import sys, polars as pl; from analysis.ingest import "
                                    "load_events; from analysis.prepare import prepare; prepare(load_events("
                                    "sys.argv[1], sort=False).events).write_parquet(sys.argv[2])",
                                    str(source), str(prepared)],
                                   env={**os.environ, "PYTHONPATH": str(codes[-1])}, check=True)
            m = _measure(code, task, source, args.repeat)
            print(f"{task:<14} {str(code)[-40:]:<40} {m['cpu']:8.2f} {m['wall']:8.2f} {m['peak_rss_mb']:12.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
