"""Attribution benchmark: conversion paths from events, then every model on the path table, next to peers.

    .venv/bin/python -m benchmarks.bench_attribution --events 10000000
    .venv/bin/python -m benchmarks.bench_attribution --events 1000000 --workload sample --no-peers

Workload ``anchors`` (default) is the perf-anchors generator (shared/reference/perf-anchors/gen_events.py, seed
42), so the path table is the one whose ChannelAttribution / DP6 MAM numbers perf-anchors.md records; at 10M
events it holds about 1M journeys (39k distinct paths). ``sample`` uses analysis.sample via benchmarks.common.
The 15-channel table splits 7 of the 8 channels in two by a hash of the user id.

ChannelAttribution and marketing-attribution-models are benchmark-only: measured when importable, skipped
otherwise (``.venv/bin/pip install ChannelAttribution marketing-attribution-models matplotlib``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from analysis.attribution import attribute, attribution_intervals, conversion_paths
from benchmarks.common import HEADER, Measurement, baseline_seconds, load_events, peak_rss_mb, timed
from tests.analysis.attribution.attribution_reference import build_paths, generate  # perf-anchors scripts

try:  # benchmark-only peers
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
        import ChannelAttribution as ca
except ImportError:
    ca = None
try:
    from mam import MAM
except ImportError:
    MAM = None


def _anchor_events(n_events: int) -> pl.DataFrame:
    return generate(n_events).with_columns(anonymous_id=pl.lit(None, pl.String))


def _split_channels(events: pl.DataFrame) -> pl.DataFrame:
    """15 channels: every channel but the first (alphabetically) split in two by the user id's hash parity."""
    keep = events["channel"].drop_nulls().unique().sort()[0]
    half = (pl.col("user_id").hash(seed=7) % 2).cast(pl.String)
    return events.with_columns(
        channel=pl.when(pl.col("channel") == keep)
        .then(pl.col("channel"))
        .otherwise(pl.concat_str(pl.col("channel"), pl.lit(" #"), half))
    )


def _measure(stage: str, n: int, fn: Callable[[], Any], repeat: int, base: float | None) -> tuple[Measurement, Any]:
    seconds, out = timed(fn, repeat=repeat)
    m = Measurement(stage, n, seconds, peak_rss_mb(), base)
    print(m.row(), flush=True)
    return m, out


def _scatter_channels(events: pl.DataFrame) -> pl.DataFrame:
    """15 channels drawn per event by a hash, so long paths hold up to 15 distinct channels (Shapley stress)."""
    code = (pl.struct("user_id", "timestamp").hash(seed=11) % 15).cast(pl.String).str.zfill(2)
    return events.with_columns(channel=pl.concat_str(pl.lit("c"), code))


def _peers(paths: pl.DataFrame, n: int, repeat: int, label: str, *, shapley: bool = True) -> dict[str, Any]:
    """ChannelAttribution Markov 1 and 3 and MAM Markov / Shapley on the same table, when installed."""
    out: dict[str, Any] = {}
    table = paths.select(
        path=pl.col("path").list.join(" > "),
        total_conversions="conversions",
        total_null="nulls",
        total_conversion_value="value",
    )
    if ca is None:
        print("ChannelAttribution not installed, skipped")
    else:
        pdf = table.to_pandas()
        for order in (1, 3):

            def run(order: int = order) -> Any:
                with contextlib.redirect_stdout(io.StringIO()):
                    return ca.markov_model(
                        pdf,
                        "path",
                        "total_conversions",
                        var_value="total_conversion_value",
                        var_null="total_null",
                        order=order,
                        out_more=True,
                        sep=">",
                        seed=0,
                        verbose=False,
                        flg_pro=False,
                    )

            _, res = _measure(f"CA markov order {order} {label}", n, run, repeat, None)
            out[f"ca_markov_{order}"] = res["result"]
    if MAM is None:
        print("marketing-attribution-models not installed, skipped")
        return out
    grouped = pl.concat(
        [
            table.filter(pl.col("total_conversions") > 0).select(
                "path", occurrences="total_conversions", has_conv=pl.lit(True)
            ),
            table.filter(pl.col("total_null") > 0).select("path", occurrences="total_null", has_conv=pl.lit(False)),
        ]
    )
    model = MAM(
        grouped,
        format_type="grouped_journey",
        channels_colname="path",
        journey_with_conv_colname="has_conv",
        occurrences_colname="occurrences",
        path_separator=" > ",
    )
    _measure(f"MAM markov order 1 {label}", n, model.run_markov, repeat, None)
    if shapley:  # MAM loops over the 2^n sub-coalitions in Python: skipped for 15-channel coalitions
        size = int(paths["path"].list.n_unique().max() or 1)
        _measure(f"MAM shapley max {size} {label}", n, lambda: model.run_shapley(max_size=size), 1, None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workload", choices=["anchors", "sample"], default="anchors")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    events = _anchor_events(args.events) if args.workload == "anchors" else load_events(args.events)
    print(
        f"{events.height:,} events ({args.workload}) ready in {time.perf_counter() - start:.1f} s; "
        f"RSS {peak_rss_mb():.0f} MB"
    )
    base = baseline_seconds(events)
    print(f"baseline Polars sort + group_by pass: {base:.3f} s\n")
    print(HEADER)
    _, paths = _measure(
        "conversion_paths (events)",
        events.height,
        lambda: conversion_paths(events, lookback=None, first_conversion_only=True),
        args.repeat,
        base,
    )
    _measure("conversion_paths 30d (events)", events.height, lambda: conversion_paths(events), args.repeat, base)
    _measure("perf-anchors build_paths", events.height, lambda: build_paths(events), args.repeat, base)
    journeys = int(paths["conversions"].sum() + paths["nulls"].sum())
    print(
        f"\npath table: {paths.height:,} distinct paths, {journeys:,} journeys "
        f"({int(paths['conversions'].sum()):,} conversions); rows below count journeys\n"
    )
    print(HEADER)
    for model, kw in (
        ("last_touch", {}),
        ("linear", {}),
        ("markov", {"order": 1}),
        ("markov", {"order": 3}),
        ("shapley", {}),
    ):
        label = f"{model} {kw.get('order', '')}".strip()
        _measure(
            f"attribute {label} 8ch", journeys, lambda m=model, k=kw: attribute(paths, model=m, **k), args.repeat, None
        )
    for model in ("linear", "markov", "shapley"):
        _measure(
            f"intervals {model} B={args.n_boot}",
            journeys,
            lambda m=model: attribution_intervals(paths, model=m, n_boot=args.n_boot),
            1,
            None,
        )
    paths15 = conversion_paths(_split_channels(events), lookback=None, first_conversion_only=True)
    n15 = int(paths15["path"].list.n_unique().max() or 0)
    print(f"\n15-channel table: {paths15.height:,} distinct paths, largest coalition {n15} channels")
    _measure("attribute shapley 15ch", journeys, lambda: attribute(paths15, model="shapley"), args.repeat, None)
    stress = conversion_paths(_scatter_channels(events), lookback=None, first_conversion_only=True)
    big = stress["path"].list.n_unique()
    print(
        f"15-channel stress table: {stress.height:,} distinct paths, coalitions up to {big.max()} channels, "
        f"{int((big >= 10).sum()):,} paths with 10 or more"
    )
    _measure("attribute shapley 15ch stress", journeys, lambda: attribute(stress, model="shapley"), 1, None)
    _measure(
        "intervals shapley 15ch stress B=20",
        journeys,
        lambda: attribution_intervals(stress, model="shapley", n_boot=20),
        1,
        None,
    )
    _, ours_m = _measure(
        "attribute markov 1 8ch (again)", journeys, lambda: attribute(paths, model="markov"), args.repeat, None
    )
    if not args.no_peers:
        print()
        peers = _peers(paths, journeys, args.repeat, "8ch")
        if "ca_markov_1" in peers:
            ca1 = pl.from_pandas(peers["ca_markov_1"]).select(
                channel=pl.col("channel_name").str.strip_chars(), ca=pl.col("total_conversions")
            )
            diff = ours_m.join(ca1, on="channel").select((pl.col("conversions") - pl.col("ca")).abs().max()).item()
            total = float(np.asarray(paths["conversions"].sum()))
            print(
                f"markov order 1: largest |ours - CA| = {diff:.1f} conversions of {total:,.0f} "
                "(CA simulates; ours is exact)"
            )
        _peers(paths15, journeys, 1, "15ch")
        _peers(stress, journeys, 1, "15ch stress", shapley=False)
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
