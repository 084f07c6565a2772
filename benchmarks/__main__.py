"""The benchmark harness: every stage at every size, each in its own process, as one table and one JSON file.

Run ``python -m benchmarks`` (``make bench``) for 1M and 10M events, or ``--sizes 100000000`` for the
out-of-core run. Two modes:

* ``memory``: the library's functions on one in-memory frame (the app's path), sizes up to 10M;
* ``ooc`` (out of core): the embedded engine of :mod:`analysis.engine`: a streaming pass writes person
  partitions, then every stage maps over one partition at a time; any size, memory bounded by a partition.

Inputs come from the seeded generator (``benchmarks.common.sample_path``, written in chunks). Every stage runs in a
fresh subprocess, so peak RSS is the stage's own (interpreter, imports and input included), and is reported with
seconds, events/s and its ratio to one Polars sort + group_by pass over the same events measured in the same run
(in memory for ``memory``, as a streaming query over the Parquet files for ``ooc``). Results go to
``benchmarks/results/bench-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.common import DATA, HEADER, RESULTS, Measurement, peak_rss_mb, sample_path, timed

STAGES = ("ingest", "prepare", "journeys", "funnel", "attribution", "personas")
MODES = ("memory", "ooc", "spark")
SPARK_STAGES = ("prepare", "funnel", "attribution", "personas")
MEMORY_LIMIT = 10_000_000  # beyond this the in-memory mode does not fit the 8 GiB budget
EVENTS_PER_PARTITION = 2_500_000


def _files(raw: Path) -> list[Path]:
    return sorted(raw.rglob("*.parquet"))


def _count(raw: Path) -> int:
    return int(pl.scan_parquet(_files(raw)).select(pl.len()).collect().item())


def partitions_for(n_events: int) -> int:
    """Enough partitions that one holds about 2.5M events (at least 4)."""
    return max(4, math.ceil(n_events / EVENTS_PER_PARTITION))


# --- the stages, run inside the worker process -----------------------------------------------------------------

def _memory_stage(stage: str, raw: Path) -> Callable[[], object]:
    from analysis.prepare import prepare  # noqa: PLC0415 (imports belong to the measured process)
    from benchmarks.common import baseline_pass  # noqa: PLC0415

    prepared_file = DATA / f"prepared-{raw.name}.parquet"
    if stage == "baseline":
        events = pl.read_parquet(_files(raw))
        return lambda: baseline_pass(events)
    if stage == "ingest":
        from analysis.ingest import load_events  # noqa: PLC0415

        return lambda: load_events(raw)
    if stage == "prepare":
        events = pl.read_parquet(_files(raw))

        def run() -> object:
            out = prepare(events)
            if not prepared_file.exists():
                out.write_parquet(prepared_file)
            return out
        return run
    if not prepared_file.exists():
        prepare(pl.read_parquet(_files(raw))).write_parquet(prepared_file)
    events = pl.read_parquet(prepared_file)
    if stage == "journeys":
        from analysis.journeys import journeys  # noqa: PLC0415

        return lambda: journeys(events)
    if stage == "funnel":
        from analysis.funnels import funnel  # noqa: PLC0415
        from analysis.sample import FUNNEL_STEPS  # noqa: PLC0415

        return lambda: funnel(events, list(FUNNEL_STEPS))
    if stage == "attribution":
        from analysis.attribution import attribute, conversion_paths  # noqa: PLC0415

        def attribution() -> object:
            paths = conversion_paths(events)
            return [attribute(paths, model=m) for m in ("last_touch", "markov")]
        return attribution
    if stage == "personas":
        from analysis.personas import fit_personas  # noqa: PLC0415

        return lambda: fit_personas(events, seed=0, stability_runs=0)
    raise SystemExit(f"unknown stage {stage!r}")


def _ooc_stage(stage: str, raw: Path, partitions: int) -> Callable[[], object]:
    from analysis import schema as s  # noqa: PLC0415
    from analysis.engine import Partitions, run_partitions, write_partitions  # noqa: PLC0415
    from analysis.engine.stages import prepare_stage  # noqa: PLC0415
    from analysis.prepare.person import person_key  # noqa: PLC0415

    work = DATA / f"ooc-{raw.name}-p{partitions}"
    raw_parts, prepared = work / "raw", work / "prepared"

    def ingest() -> object:  # later stages reuse the partitions (a marker says they are complete)
        shutil.rmtree(work, ignore_errors=True)
        out = write_partitions(raw, raw_parts, partitions=partitions)
        (work / "raw.done").touch()
        return out

    def prepare() -> object:
        shutil.rmtree(prepared, ignore_errors=True)
        (work / "prepared.done").unlink(missing_ok=True)
        parts = Partitions(paths=[raw_parts / f"_part={i}" for i in range(partitions)])
        out = run_partitions(parts, {}, before=prepare_stage(), keep=prepared)
        (work / "prepared.done").touch()
        return out

    if stage == "baseline":
        def baseline() -> object:
            key = person_key([s.USER_ID, s.ANONYMOUS_ID]).alias("person")
            return (pl.scan_parquet(_files(raw)).select(key, s.TIMESTAMP, s.EVENT).sort("person", s.TIMESTAMP)
                    .group_by("person").agg(pl.len(), pl.col(s.TIMESTAMP).min(), pl.col(s.EVENT).last())
                    .collect(engine="streaming"))
        return baseline
    if stage == "ingest":
        return ingest
    if not (work / "raw.done").exists():
        ingest()
    if stage == "prepare":
        return prepare
    if not (work / "prepared.done").exists():
        prepare()
    parts = Partitions(paths=sorted(prepared.glob("part-*.parquet")))
    return _ooc_analysis(stage, parts, work)


def _ooc_analysis(stage: str, parts: Any, work: Path) -> Callable[[], object]:
    from analysis.engine import run_partitions  # noqa: PLC0415
    from analysis.engine.run import features_from_counts  # noqa: PLC0415
    from analysis.engine.stages import funnel_stage, journeys_stage, paths_stage, vocabulary_stage  # noqa: PLC0415

    if stage == "journeys":
        return lambda: run_partitions(parts, {"journeys": journeys_stage()}, sinks={"journeys": work / "journeys"})
    if stage == "funnel":
        from analysis.funnels import funnel_spec  # noqa: PLC0415
        from analysis.sample import FUNNEL_STEPS  # noqa: PLC0415

        return lambda: run_partitions(parts, {"funnel": funnel_stage(funnel_spec(list(FUNNEL_STEPS)))})
    if stage == "attribution":
        from analysis.attribution import attribute  # noqa: PLC0415

        def attribution() -> object:
            paths = run_partitions(parts, {"paths": paths_stage()})["paths"]
            return [attribute(paths, model=m) for m in ("last_touch", "markov")]
        return attribution
    if stage == "personas":
        def features() -> object:
            counts = run_partitions(parts, {"v": vocabulary_stage()})["v"]
            stage_ = features_from_counts(counts)
            return run_partitions(parts, {"features": stage_}, sinks={"features": work / "features"})
        return features
    raise SystemExit(f"unknown stage {stage!r}")


def _spark_stage(stage: str, raw: Path, partitions: int) -> tuple[Callable[[], object], Any]:
    """The stage on Spark local[2] (session start-up not timed), from the raw Parquet files."""
    from analysis.engine import partitioned_features, partitioned_funnel, partitioned_paths  # noqa: PLC0415
    from analysis.engine.spark import run_spark, spark_session  # noqa: PLC0415
    from analysis.engine.stages import prepare_stage, vocabulary_stage  # noqa: PLC0415

    spark = spark_session(shuffle_partitions=partitions)
    opts: dict[str, Any] = {"engine": "spark", "spark": spark, "partitions": partitions}
    if stage == "prepare":  # prepare on every partition, collect only a count (the output stays in Spark)
        return (lambda: run_spark(raw, {"v": vocabulary_stage()}, spark=spark, partitions=partitions,
                                  before=prepare_stage())), spark
    if stage == "funnel":
        from analysis.funnels import funnel_spec  # noqa: PLC0415
        from analysis.sample import FUNNEL_STEPS  # noqa: PLC0415

        return (lambda: partitioned_funnel(raw, funnel_spec(list(FUNNEL_STEPS)), **opts)), spark
    if stage == "attribution":
        from analysis.attribution import attribute  # noqa: PLC0415

        return (lambda: [attribute(partitioned_paths(raw, **opts), model=m) for m in ("last_touch", "markov")]), spark
    if stage == "personas":
        return (lambda: partitioned_features(raw, **opts)), spark
    raise SystemExit(f"stage {stage!r} is not benchmarked on Spark; choose from {', '.join(SPARK_STAGES)}")


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _peak_kib(pid: int) -> int:
    """A live process's peak resident memory (VmHWM) in KiB, 0 when gone."""
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM"))
    except (OSError, StopIteration):
        return 0
    return int(line.split()[1])


def worker(stage: str, n_events: int, mode: str, partitions: int) -> None:
    """Set up one stage (untimed), time it once, print one JSON line."""
    raw = sample_path(n_events)
    events = _count(raw)
    spark = None
    if mode == "memory":
        run = _memory_stage(stage, raw)
    elif mode == "ooc" or stage == "baseline":
        run = _ooc_stage(stage, raw, partitions)
    else:
        run, spark = _spark_stage(stage, raw, partitions)
    repeat = 3 if stage == "baseline" and events <= MEMORY_LIMIT else 1  # the yardstick: best of 3
    seconds, _ = timed(run, repeat=repeat)
    rss = peak_rss_mb()
    if spark is not None:  # add the peaks of the JVM and its Python workers (processes under this one)
        rss += sum(_peak_kib(pid) for pid in _descendants(os.getpid())) / 1024
        spark.stop()
    print(json.dumps({"stage": stage, "mode": mode, "events": events, "seconds": seconds,
                      "peak_rss_mb": rss, "partitions": partitions if mode != "memory" else None}))


# --- the harness --------------------------------------------------------------------------------------------------

def _spawn(stage: str, n_events: int, mode: str, partitions: int, timeout: float) -> dict[str, Any] | None:
    cmd = [sys.executable, "-m", "benchmarks", "--worker", stage, "--sizes", str(n_events), "--modes", mode,
           "--partitions", str(partitions)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"  {stage} [{mode}] timed out after {timeout:.0f} s", flush=True)
        return None
    if done.returncode != 0:
        print(f"  {stage} [{mode}] failed:\n{done.stderr[-2000:]}", flush=True)
        return None
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0") if Path("/proc/meminfo").exists() else "0"
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(int(mem) / 1024**2, 1),
            "python": platform.python_version(), "polars": pl.__version__, "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000], help="events per size")
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=["memory", "ooc"],
                        help="memory (sizes up to 10M), ooc (out of core), spark (PySpark local[2], optional extra)")
    parser.add_argument("--partitions", type=int, default=0, help="ooc partitions (default: ~2.5M events each)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per stage")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.sizes[0], args.modes[0], args.partitions)
        return 0
    rows: list[dict[str, Any]] = []
    print(f"machine: {machine()}", flush=True)
    for n in args.sizes:
        raw = sample_path(n)  # generate once, in chunks, before any timing
        for mode in args.modes:
            if mode == "memory" and n > MEMORY_LIMIT:
                print(f"\n{n:,} events: memory mode skipped (over {MEMORY_LIMIT:,}); use ooc", flush=True)
                continue
            stages = [st for st in args.stages if mode != "spark" or st in SPARK_STAGES]
            parts = args.partitions or partitions_for(n)
            label = f"{mode}" + (f", {parts} partitions" if mode != "memory" else "")
            print(f"\n{n:,} events ({raw.name}), {label}\n{HEADER}", flush=True)
            base = _spawn("baseline", n, mode, parts, args.timeout)
            base_s = base["seconds"] if base else None
            if base:
                print(Measurement("baseline: sort + group_by", base["events"], base_s, base["peak_rss_mb"],
                                  base_s).row(), flush=True)
            for stage in stages:
                got = _spawn(stage, n, mode, parts, args.timeout)
                if got is None:
                    continue
                m = Measurement(stage, got["events"], got["seconds"], got["peak_rss_mb"], base_s)
                print(m.row(), flush=True)
                rows.append({**got, "baseline_seconds": base_s, "events_per_second": m.events_per_second,
                             "ratio": m.ratio, "size": n})
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
