"""Benchmark load_events on CSV, Parquet, JSON lines and vendor exports of the seeded sample, next to one Polars
sort + group_by pass.

Run: ``.venv/bin/python -m benchmarks.bench_ingest --events 1000000 10000000`` (``--formats csv`` for CSV and
Parquet only). The sample events (cached under benchmarks/data/) are written once as one CSV file (ISO timestamps
with offset, all columns), one Parquet file, and once per vendor format as that vendor exports them (JSON lines,
Mixpanel, Segment, GA4 BigQuery JSON, an Amplitude zip of hourly .json.gz, Snowplow enriched TSV, an Adobe data
feed zip: benchmarks/vendor_files.py); each ``load_events`` call then runs in a fresh child process so its peak RSS
is its own. Seconds are end to end: reading the file, sniffing, mapping, typing, de-duplication, sorting and the
report. Targets on this 2-core machine: CSV >= 2M events/s, Parquet >= 20M events/s, JSON lines >= half the CSV
rate.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from pathlib import Path

from analysis.ingest import load_events as ingest
from benchmarks.common import DATA, HEADER, Measurement, baseline_seconds, load_events, write_results
from benchmarks.vendor_files import WRITERS


def vendor_inputs(n_events: int) -> list[tuple[str, Path]]:
    """Each vendor format's file of about ``n_events`` sample events (written once)."""
    out = []
    events = None
    for stage, (pattern, write) in WRITERS.items():
        path = DATA / pattern.format(n=n_events)
        if not path.exists():
            events = load_events(n_events) if events is None else events
            write(events, path)
        out.append((f"load_events, {stage}", path))
    return out


def inputs(n_events: int) -> tuple[Path, Path, int, float]:
    """CSV and Parquet files of about ``n_events`` sample events (written once), their row count and baseline."""
    events = load_events(n_events)
    base = baseline_seconds(events)
    height = events.height
    csv_path = DATA / f"ingest-{n_events}.csv"
    pq_path = DATA / f"ingest-{n_events}.parquet"
    if not csv_path.exists():
        events.write_csv(csv_path, datetime_format="%Y-%m-%dT%H:%M:%S%.6f%z")
    if not pq_path.exists():
        events.write_parquet(pq_path)
    del events  # the children measure their own memory; the parent holds nothing big
    return csv_path, pq_path, height, base


def own_peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM resets on exec, unlike ru_maxrss, which a spawned child inherits."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(path: str, sort: bool, out: mp.Queue) -> None:  # type: ignore[type-arg]
    start, cpu = time.perf_counter(), time.process_time()
    result = ingest(path, sort=sort)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out.put((seconds, result.events.height, own_peak_rss_mb(), result.report.rejected, cpu))


def measure(stage: str, path: Path, n: int, base: float, repeat: int, *,
            sort: bool = True) -> tuple[Measurement, float]:
    """Best of ``repeat`` runs, each in a fresh process (spawned), and its CPU seconds (all threads).

    On a shared machine CPU seconds are the steadier figure: wall time also counts waiting for a core.
    """
    ctx = mp.get_context("spawn")
    best: tuple[float, int, float, int, float] | None = None
    for _ in range(repeat):
        queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        proc = ctx.Process(target=_child, args=(str(path), sort, queue))
        proc.start()
        got = queue.get()
        proc.join()
        if best is None or got[0] < best[0]:
            best = got
    assert best is not None
    seconds, rows, rss, rejected, cpu = best
    if rows + rejected != n:
        raise AssertionError(f"{stage}: {rows} rows loaded + {rejected} rejected, expected {n}")
    return Measurement(stage, n, seconds, rss, base), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="*", default=[1_000_000], help="event counts (default 1M)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per stage; the best counts")
    parser.add_argument("--formats", choices=["all", "csv"], default="all",
                        help="all: CSV, Parquet, JSON lines and the vendor exports; csv: CSV and Parquet only")
    parser.add_argument("--skip", nargs="*", default=[], metavar="TEXT",
                        help="leave out the stages whose name contains TEXT (e.g. GA4)")
    args = parser.parse_args()
    print(HEADER, flush=True)
    results: list[Measurement] = []
    for n_events in args.events:
        csv_path, pq_path, n, base = inputs(n_events)
        results.append(Measurement("baseline: sort + group_by", n, base, 0.0, base))
        print(results[-1].row(), flush=True)
        stages = [("load_events, CSV", csv_path, True), ("  CSV, sort=False", csv_path, False),
                  ("load_events, Parquet", pq_path, True), ("  Parquet, sort=False", pq_path, False)]
        if args.formats == "all":
            stages += [(stage, path, True) for stage, path in vendor_inputs(n_events)]
        stages = [st for st in stages if not any(skip in st[0] for skip in args.skip)]
        for stage, path, sort in stages:
            measured, cpu = measure(stage, path, n, base, args.repeat, sort=sort)
            results.append(measured)
            print(measured.row(), f"  cpu {cpu:6.2f} s ({n / cpu:,.0f} ev/cpu-s)  file "
                  f"{path.stat().st_size / 1024**2:,.0f} MB", flush=True)
    print(f"results: {write_results('ingest', results)}")


if __name__ == "__main__":
    main()
