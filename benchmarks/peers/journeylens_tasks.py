"""JourneyLens's side of the peer benchmark: one task per process, run in the project's environment.

Usage: ``python -m benchmarks.peers.journeylens_tasks TASK DATA_DIR SIZE [REPEAT]``. ``setup`` writes the prepared
events and the conversion-path table of ``DATA_DIR/ev_SIZE.parquet`` next to it (untimed, once); every other task
reads its input untimed, runs the measured call ``REPEAT`` times (median) and prints one ``RESULT`` line with a
digest of the answer that the driver compares with the peer's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

import analysis
from analysis.attribution import attribute, conversion_paths
from analysis.attribution.markov import removal_effects
from analysis.funnels import funnel
from analysis.ingest import load_events
from analysis.journeys import path_variants, transitions
from analysis.prepare import prepare
from benchmarks.peers._timing import emit, median_time
from benchmarks.peers.workload import FUNNEL, FUNNEL_3

WEEK = timedelta(days=7)
NO_WINDOW = timedelta(days=3650)  # longer than the data (60 days): the funnel of a tool without a window
HEURISTICS = ("first_touch", "last_touch", "linear")


def files(data: Path, size: str) -> dict[str, Path]:
    """The raw, prepared and path-table files of one size."""
    return {"raw": data / f"ev_{size}.parquet", "prepared": data / f"prepared_{size}.parquet",
            "paths": data / f"paths_{size}.parquet"}


def _counts(table: pl.DataFrame) -> list[int]:
    return [int(v) for v in table.sort("step")["entered"]]


def _credits(table: pl.DataFrame) -> dict[str, float]:
    return {str(c): float(v) for c, v in table.select("channel", "conversions").iter_rows()}


def _person_paths(prepared: pl.DataFrame) -> pl.DataFrame:
    """One path per person: every event in time order (pm4py's case = person, activity = event)."""
    return prepared.group_by("user_id", maintain_order=True).agg(
        path=pl.col("event"), converted=(pl.col("event") == "purchase").any())


def _setup(f: dict[str, Path]) -> None:
    events = load_events(f["raw"], sort=False).events
    prepared = prepare(events)
    prepared.write_parquet(f["prepared"])
    conversion_paths(prepared, lookback=None, first_conversion_only=True).write_parquet(f["paths"])
    print(f"prepared {prepared.height:,} events -> {f['prepared']}", flush=True)


def task(name: str, f: dict[str, Path]) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
    """The measured call of task ``name`` on its (already loaded) input, and the digest of its answer."""
    if name == "prepare":
        events = load_events(f["raw"], sort=False).events
        return lambda: prepare(events), lambda out: {"sessions": int(out["session_id"].n_unique())}
    if name == "e2e":  # the whole path of a user: load (no sort), prepare, funnel, paths, Markov
        def whole() -> tuple[list[int], dict[str, float]]:
            prepared = prepare(load_events(f["raw"], sort=False).events)
            table = funnel(prepared, list(FUNNEL), window=WEEK)
            paths = conversion_paths(prepared, lookback=None, first_conversion_only=True)
            return _counts(table), _credits(attribute(paths, model="markov", order=1))
        return whole, lambda out: {"funnel": out[0], "markov": out[1]}
    if name.startswith("funnel"):
        prepared = pl.read_parquet(f["prepared"])
        steps = list(FUNNEL if name.startswith("funnel10") else FUNNEL_3)
        window = WEEK if name.endswith("7d") else NO_WINDOW
        return lambda: funnel(prepared, steps, window=window), _counts
    if name == "paths":
        prepared = pl.read_parquet(f["prepared"])
        return (lambda: conversion_paths(prepared, lookback=None, first_conversion_only=True),
                lambda out: {"paths": out.height, "conversions": int(out["conversions"].sum())})
    paths = pl.read_parquet(f["paths"])
    if name == "heuristics":
        return (lambda: {m: attribute(paths, model=m) for m in HEURISTICS},  # type: ignore[arg-type]
                lambda out: {m: _credits(t) for m, t in out.items()})
    if name.startswith("markov"):
        order = int(name[-1])
        return (lambda: attribute(paths, model="markov", order=order),
                lambda out: {"credits": _credits(out), "removal_effects": {
                    str(c): float(v) for c, v in removal_effects(paths, order=order).iter_rows()}})
    prepared = pl.read_parquet(f["prepared"])
    if name == "variants":
        return (lambda: path_variants(_person_paths(prepared), top_n=None),
                lambda out: {"variants": out.height, "top": int(out["journeys"].max())})
    if name == "dfg":
        return (lambda: transitions(_person_paths(prepared), by_step=False),
                lambda out: {"edges": out.height, "arcs": int(out["count"].sum())})
    raise SystemExit(f"unknown task {name!r}")


TASKS = ("e2e", "prepare", "funnel10_7d", "funnel10_nowin", "funnel3_nowin", "paths", "heuristics", "markov1",
         "markov3", "variants", "dfg")


def main() -> None:
    name, data, size = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    f = files(data, size)
    if name == "setup":
        _setup(f)
        return
    fn, digest = task(name, f)
    seconds, runs, out, cpu = median_time(fn, repeat)
    emit(name, "journeylens", seconds, runs, digest(out), size=size, cpu_seconds=round(cpu, 4),
         code=str(Path(analysis.__file__).parent))  # which checkout's code ran (--before)


if __name__ == "__main__":
    main()
