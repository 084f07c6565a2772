"""The peers' side of the peer benchmark: one task per process, run in benchmarks/.peers-venv (never the project's).

Usage: ``python benchmarks/peers/peer_tasks.py TASK DATA_DIR SIZE [REPEAT]`` (a plain script: the peers' environment
does not install JourneyLens). Inputs are the files JourneyLens's ``setup`` task wrote: the raw workload for
retentioneering and pm4py (each builds its own event log from it, untimed), the conversion-path table for
ChannelAttribution and MAM. Versions as in requirements.txt; retentioneering's telemetry is off
(``RETENTIONEERING_NO_TRACK=1``, set here and by the driver).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ["RETENTIONEERING_NO_TRACK"] = "1"  # before retentioneering is imported

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import emit, median_time

FUNNEL = ["page_view", "view_item_list", "view_item", "select_item", "add_to_cart", "view_cart", "begin_checkout",
          "add_shipping_info", "add_payment_info", "purchase"]
FUNNEL_3 = ["page_view", "add_to_cart", "purchase"]
RETEN_SCHEMA = {"path_cols": ["user_id"], "event_col": "event", "timestamp_col": "timestamp",
                "custom_cols": ["channel", "revenue"]}
PM4PY_KEYS = {"case_id_key": "user_id", "activity_key": "event", "timestamp_key": "timestamp"}


def _quiet_import(name: str) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):  # ChannelAttribution and pm4py print banners on import
        return __import__(name)


def _path_table(data: Path, size: str) -> pl.DataFrame:
    return pl.read_parquet(data / f"paths_{size}.parquet").select(
        path=pl.col("path").list.join(" > "), total_conversions="conversions", total_null="nulls",
        total_conversion_value="value")


def _mam(data: Path, size: str) -> Any:
    from mam import MAM  # noqa: PLC0415
    table = _path_table(data, size)
    grouped = pl.concat([
        table.filter(pl.col("total_conversions") > 0).select(
            "path", occurrences="total_conversions", has_conv=pl.lit(True)),
        table.filter(pl.col("total_null") > 0).select("path", occurrences="total_null", has_conv=pl.lit(False)),
    ])
    return MAM(grouped, format_type="grouped_journey", channels_colname="path",
               journey_with_conv_colname="has_conv", occurrences_colname="occurrences", path_separator=" > ")


def _ca_credits(frame: Any, column: str = "total_conversions") -> dict[str, float]:
    return {str(c).strip(): float(v) for c, v in zip(frame["channel_name"], frame[column], strict=True)}


def _mam_credits(result: Any) -> dict[str, float]:
    d = result.to_dict()
    return {str(c).strip(): float(v) for c, v in zip(d["channels"], d["attribution"], strict=True)}


def task(name: str, data: Path, size: str) -> tuple[str, Callable[[], Any], Callable[[Any], Any]]:
    """The tool, the measured call of task ``name`` on its (already loaded) input, and the digest of its answer."""
    raw = data / f"ev_{size}.parquet"
    if name.startswith("reten"):
        from retentioneering import Eventstream  # noqa: PLC0415
        pdf = pl.read_parquet(raw).to_pandas()
        if name == "reten_prepare":
            def build() -> Any:
                return Eventstream(pdf, schema=RETEN_SCHEMA).split_sessions(timeout="30m")
            return "retentioneering", build, lambda out: {"sessions": int(out.df["session_id"].nunique())}
        stream = Eventstream(pdf, schema=RETEN_SCHEMA)
        steps = FUNNEL if name == "reten_funnel10" else FUNNEL_3
        return ("retentioneering", lambda: stream.funnel_data(steps=steps),
                lambda out: [int(s["unique_paths"]) for s in out["steps"]])
    if name.startswith("ca_"):
        ca = _quiet_import("ChannelAttribution")
        pdf = _path_table(data, size).to_pandas()
        if name == "ca_heuristics":
            def heuristics() -> Any:
                with contextlib.redirect_stdout(io.StringIO()):
                    return ca.heuristic_models(pdf, "path", "total_conversions", var_value="total_conversion_value",
                                               sep=">")
            return "ChannelAttribution", heuristics, lambda out: {
                m: _ca_credits(out, f"{m}_conversions") for m in ("first_touch", "last_touch", "linear_touch")}
        order = int(name[-1])

        def markov() -> Any:
            with contextlib.redirect_stdout(io.StringIO()):
                return ca.markov_model(pdf, "path", "total_conversions", var_value="total_conversion_value",
                                       var_null="total_null", order=order, out_more=True, sep=">", seed=0,
                                       verbose=False)
        return "ChannelAttribution", markov, lambda out: {
            "credits": _ca_credits(out["result"]),
            "removal_effects": _ca_credits(out["removal_effects"], "removal_effects_conversion")}
    if name.startswith("mam_"):
        model = _mam(data, size)
        if name == "mam_heuristics":
            return "MAM", lambda: {"first_touch": model.run_first_click(), "last_touch": model.run_last_click(),
                                   "linear": model.run_linear()}, lambda out: {
                m: _mam_credits(s) for m, s in out.items()}
        return "MAM", model.run_markov, lambda out: {
            "credits": _mam_credits(out), "removal_effects": {
                str(c).strip(): float(v) for c, v in out.metadata["removal_effect"]["removal_effect"].items()}}
    if name.startswith("pm4py_"):
        pm4py = _quiet_import("pm4py")
        # pm4py 2.7.23.11 silently returns wrong variants on rows not sorted by case (perf-anchors.md): sort first,
        # untimed, as JourneyLens's prepared events are
        pdf = pl.read_parquet(raw).sort("user_id", "timestamp", maintain_order=True).to_pandas()
        if name == "pm4py_variants":
            return "pm4py", lambda: pm4py.get_variants(pdf, **PM4PY_KEYS), lambda out: {
                "variants": len(out), "top": int(max(out.values()))}
        return "pm4py", lambda: pm4py.discover_dfg(pdf, **PM4PY_KEYS), lambda out: {
            "edges": len(out[0]), "arcs": int(sum(out[0].values()))}
    raise SystemExit(f"unknown task {name!r}")


def main() -> None:
    name, data, size = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    tool, fn, digest = task(name, data, size)
    seconds, runs, out, cpu = median_time(fn, repeat)
    emit(name, tool, seconds, runs, digest(out), size=size, cpu_seconds=round(cpu, 4))


if __name__ == "__main__":
    main()
