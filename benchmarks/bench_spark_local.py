"""Spark ``local[2]`` against the embedded engine on the same work, in one run: prepare + funnel + conversion paths.

Both engines take the generated Parquet events, write prepared events as person parts (``prepare_to_parquet``) and
run the 4-step funnel and the conversion paths from that folder; the results must be equal. The embedded engine's
in-memory figures (load, ``prepare``, ``funnel``, ``conversion_paths``) are printed beside them. The Spark session
is started and warmed (one count of the input) before the clock runs; its start-up is reported apart.

Run: ``.venv/bin/python -m benchmarks.bench_spark_local --events 10000000`` (needs the spark extra and Java 17).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

from benchmarks.common import RESULTS, sample_path, timed


def _timed(times: dict[str, float], label: str, fn: Callable[[], Any]) -> Any:
    seconds, out = timed(fn)
    times[label] = round(seconds, 1)
    print(f"{label:<42} {times[label]:8.1f} s", flush=True)
    return out


def run(n_events: int) -> dict[str, Any]:
    """Time both engines on about ``n_events`` generated events; check that they agree."""
    from analysis.attribution import conversion_paths  # noqa: PLC0415 (imports are part of the measured process)
    from analysis.engine import EngineOptions  # noqa: PLC0415
    from analysis.engine.spark_session import spark_session  # noqa: PLC0415
    from analysis.funnels import funnel, funnel_spec  # noqa: PLC0415
    from analysis.prepare import prepare  # noqa: PLC0415
    from analysis.prepare.stage import prepare_to_parquet  # noqa: PLC0415
    from analysis.sample import FUNNEL_STEPS  # noqa: PLC0415

    raw, spec, times = sample_path(n_events), funnel_spec(list(FUNNEL_STEPS)), {}
    with tempfile.TemporaryDirectory(prefix="journeylens-bench-") as tmp:
        memory = _timed(times, "embedded, in memory: load", lambda: pl.read_parquet(raw / "*.parquet"))
        ready = _timed(times, "embedded, in memory: prepare", lambda: prepare(memory))
        _timed(times, "embedded, in memory: funnel", lambda: funnel(ready, spec))
        _timed(times, "embedded, in memory: paths", lambda: conversion_paths(ready))
        embedded = Path(tmp) / "embedded"
        _timed(times, "embedded, Parquet: prepare_to_parquet", lambda: prepare_to_parquet(raw, embedded))
        want_funnel = _timed(times, "embedded, Parquet: funnel", lambda: funnel(embedded, spec, engine="polars"))
        want_paths = _timed(times, "embedded, Parquet: paths", lambda: conversion_paths(embedded, engine="polars"))
        spark = _timed(times, "spark: session start", lambda: spark_session("local[2]"))
        _timed(times, "spark: warm-up (count the input)", lambda: spark.read.parquet(str(raw)).count())
        on_spark, prepared = EngineOptions(engine="spark", spark=spark), Path(tmp) / "spark"
        _timed(times, "spark, Parquet: prepare_to_parquet", lambda: prepare_to_parquet(raw, prepared, engine=on_spark))
        got_funnel = _timed(times, "spark, Parquet: funnel", lambda: funnel(prepared, spec, engine=on_spark))
        got_paths = _timed(times, "spark, Parquet: paths", lambda: conversion_paths(prepared, engine=on_spark))
        spark.stop()
    assert_frame_equal(got_funnel, want_funnel)
    assert_frame_equal(got_paths, want_paths)
    steps = ("prepare_to_parquet", "funnel", "paths")
    spark_s = sum(times[f"spark, Parquet: {s}"] for s in steps)
    embedded_s = sum(times[f"embedded, Parquet: {s}"] for s in steps)
    memory_s = sum(times[f"embedded, in memory: {s}"] for s in ("load", "prepare", "funnel", "paths"))
    summary = {"events": n_events, "seconds": times, "spark_s": round(spark_s, 1), "embedded_parquet_s":
               round(embedded_s, 1), "embedded_memory_s": round(memory_s, 1), "same_results": True,
               "spark_vs_embedded_parquet": round(spark_s / embedded_s, 2),
               "spark_vs_embedded_memory": round(spark_s / memory_s, 2)}
    print(json.dumps({k: v for k, v in summary.items() if k != "seconds"}, indent=1), flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    summary = run(parser.parse_args(argv).events)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"spark-local-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
