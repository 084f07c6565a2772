"""The library side of the app's first visits: what each page computes on its first view, as library calls.

Not a test: run it by hand in a fresh process, e.g.
``.venv/bin/python -m benchmarks.bench_app_library --data benchmarks/data/events-602410u-seed42``, beside
``benchmarks.bench_app_first_visit --data`` on the same data: the ratio of the two (per page) says what the app
costs beyond the library (issue 22: within 3x), and the peak resident memory of this process is the floor the app
server's is compared with (the server holds the raw and the prepared events; target: at most 2x the prepared frame).

The pages are visited in the click-through's order, with the default settings of a new session, each calling what
its ``app_pages/*.py`` script calls through ``ui/`` on a first view (the caches empty except for what an earlier
page of the same click-through already filled):

- **Data**: the content digest of the files, ``load_events(sort=False)``, the summary, the suggested conversion
  events and main funnel (the app's warm-up prepares in the background after this page is drawn);
- **prepare** (not a page: the server's warm-up, which the next page may wait for): ``prepare`` with the
  30-minute gap and the shipped channel rules;
- **Journeys**: the date filter, filter options, stitch statistics, the Unassigned report, journeys to the
  suggested conversion events, channel paths (6 steps, repeats merged), the 25 most common and the distinct count;
- **Funnels**: the suggested funnel over the prepared events (7-day window), its table, time to convert, the daily
  trend, where step 1's drop-offs went next, the dropped cohort, and the page's four figures;
- **Attribution**: conversion paths (30-day lookback, channel touches), the four starting models with 200
  bootstrap draws, the checks, the figure and the four tables;
- **Personas** and **Snapshots**: the form's choices only (no run on a first view): the event names already found
  on the Data page and the column names, so no work on the events (what the app spends there is its own).

The modules are imported before the clock starts, as the app server has them imported before the pages run
(``ui.serve`` preloads the library; the warm-up imports SciPy, scikit-learn and the figures).

Prints one row per page (wall and CPU seconds), the prepared frame's ``estimated_size()`` and the peak RSS, and
writes ``benchmarks/results/app_library-<data>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from analysis.attribution import (
    BootstrapOptions,
    ModelOptions,
    compare_models,
    conversion_paths,
    credit_flags,
    outrank_matrix,
)
from analysis.attribution import tables as at
from analysis.conversions import suggest_conversions, suggest_funnel
from analysis.figures.attribution import attribution_figure
from analysis.figures.funnels import destinations_figure, funnel_figure, funnel_trend_figure, time_to_convert_figure
from analysis.filters import filter_dates
from analysis.formatting import detect_currency
from analysis.funnels import (
    Step,
    data_end,
    funnel_spec,
    funnel_table,
    funnel_totals,
    funnel_trend,
    funnel_units,
    time_to_convert,
)
from analysis.funnels.dropoff import dropoff_destinations, step_cohort
from analysis.ingest import load_events
from analysis.journeys import journeys, path_variants, paths
from analysis.prepare import prepare
from analysis.prepare.channels import unassigned_report
from analysis.prepare.identity import stitch_stats
from analysis.summary import summarize
from analysis.vocabulary import ATTRIBUTION_LOOKBACK, FUNNEL_WINDOW, SESSION_GAP
from benchmarks.common import RESULTS, peak_rss_mb
from ui.attribution import STARTING_MODELS  # the page's starting models (a tuple of names)
from ui.data import files_digest
from ui.journeys import MAX_FILTER_VALUES, NOT_FILTERS


def data_page(path: Path) -> dict[str, Any]:
    """The Data page's first view: digest, load, summary, suggested conversions and funnel."""

    digest = files_digest(path)
    raw = load_events(path, sort=False).events
    summary = summarize(raw)
    conversions = suggest_conversions(raw).events
    funnel = suggest_funnel(raw, conversion_events=conversions).steps
    names = raw.get_column("event").drop_nulls().unique().sort().to_list()
    return {"digest": digest, "raw": raw, "summary": summary, "conversions": conversions,
            "funnel": list(funnel) if len(funnel) >= 2 else names[:2], "names": names}


def prepare_step(ctx: dict[str, Any]) -> None:
    """The warm-up's ``prepare`` with the app's defaults."""

    ctx["prepared"] = prepare(ctx["raw"], session_gap=SESSION_GAP)


def _date_bounds(ctx: dict[str, Any]) -> tuple[Any, Any]:
    summary = ctx["summary"]
    return summary.first.date(), summary.last.date()


def journeys_page(ctx: dict[str, Any]) -> None:
    """The Journeys page's first view with its defaults."""

    events = filter_dates(ctx["prepared"], *_date_bounds(ctx))
    for column, dtype in events.schema.items():  # the filter options (ui.journeys._filter_options)
        if column not in NOT_FILTERS and dtype in (pl.String, pl.Categorical, pl.Enum, pl.Boolean):
            values = events[column].drop_nulls().cast(pl.String).unique()
            if 0 < values.len() <= MAX_FILTER_VALUES:
                values.sort().to_list()
    events["event"].drop_nulls().unique().sort()
    events["channel"].drop_nulls().unique().sort()
    stitch_stats(ctx["raw"])
    unassigned_report(events)
    table = journeys(events, conversion_events=ctx["conversions"], lookback=None, attributes=[])
    anchored = paths(table, level="channel", start=None, end=None, steps=6, collapse_repeats=True)
    path_variants(anchored, top_n=25, by=None)
    path_variants(anchored, top_n=None)


def funnels_page(ctx: dict[str, Any]) -> None:
    """The Funnels page's first view: the suggested funnel with the page's defaults."""

    events = ctx["prepared"]
    start, end = _date_bounds(ctx)
    spec = funnel_spec([Step((e,)) for e in ctx["funnel"]], window=FUNNEL_WINDOW, entry_start=start, entry_end=end,
                       top_n=8)
    units = funnel_units(events, spec)
    table = funnel_table(units, spec)
    funnel_totals(table, spec)
    funnel_figure(table, title="People at each step", unit="people")
    time_to_convert_figure(time_to_convert(units, spec, from_step=1, to_step=spec.n), unit="people")
    funnel_trend_figure(funnel_trend(units, spec, every="day", as_of=data_end(events)))
    destinations_figure(dropoff_destinations(events, units, spec, step=1, column="event", position="next"))
    step_cohort(units, spec, step=1, who="dropped")


def attribution_page(ctx: dict[str, Any]) -> None:
    """The Attribution page's first view: the starting models on the conversion paths."""

    detect_currency(ctx["raw"])
    events = filter_dates(ctx["prepared"], *_date_bounds(ctx))
    table = conversion_paths(events, conversion_events=ctx["conversions"], lookback=ATTRIBUTION_LOOKBACK,
                             touch="channel", collapse_repeats=False, with_times=False)
    result = compare_models(table, models=STARTING_MODELS, n_boot=BootstrapOptions().n_boot,
                            order=ModelOptions().order, seed=0)
    flags = credit_flags(result)
    attribution_figure(result, metric="conversions", currency="€")
    at.readable_table(result, flags, metric="conversions", symbol="€")
    at.detail_table(result, STARTING_MODELS[0], symbol="€")
    at.disagreement_table(result)
    at.percent_matrix(outrank_matrix(result))


def form_page(ctx: dict[str, Any]) -> list[str]:
    """The Personas and Snapshots pages' first view: the form's choices, from the event names the Data page found
    (the app caches them per dataset) and the column names: no pass over the events."""
    return [c for c in ctx["raw"].columns if c not in ctx["names"]]


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    start, start_cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - start, time.process_time() - start_cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a canonical Parquet file or folder")
    args = parser.parse_args()
    data = args.data.resolve()
    rows: list[dict[str, Any]] = []

    def step(name: str, fn: Callable[[], Any]) -> Any:
        wall, cpu, result = _timed(fn)
        rows.append({"page": name, "seconds": round(wall, 3), "cpu_s": round(cpu, 3),
                     "peak_rss_mb": round(peak_rss_mb())})
        print(f"{name:<12} {wall:9.2f} s {cpu:9.2f} cpu s {peak_rss_mb():9.0f} MB peak", flush=True)
        return result

    ctx: dict[str, Any] = step("Data", lambda: data_page(data))
    step("prepare", lambda: prepare_step(ctx))
    step("Journeys", lambda: journeys_page(ctx))
    step("Funnels", lambda: funnels_page(ctx))
    step("Attribution", lambda: attribution_page(ctx))
    step("Personas", lambda: form_page(ctx))
    step("Snapshots", lambda: form_page(ctx))
    raw_mb = ctx["raw"].estimated_size("mb")
    prepared_mb = ctx["prepared"].estimated_size("mb")
    print(f"events {ctx['raw'].height:,}; raw frame {raw_mb:,.0f} MB, prepared frame {prepared_mb:,.0f} MB "
          f"(estimated_size), peak RSS {peak_rss_mb():,.0f} MB")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"app_library-{data.name}.json").write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "data": str(data), "events": ctx["raw"].height,
        "raw_frame_mb": round(raw_mb), "prepared_frame_mb": round(prepared_mb), "peak_rss_mb": round(peak_rss_mb()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "command": " ".join(sys.argv), "pages": rows}, indent=2))


if __name__ == "__main__":
    main()
