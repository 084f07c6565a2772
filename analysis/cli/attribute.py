"""``journeylens attribute``: conversion paths and channel attribution under several models."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TextIO

import polars as pl

from analysis.cli.context import Run, Source, dates, gap, load_source, split
from analysis.cli.output import write_table
from analysis.cli.personas import labelled
from analysis.prepare.stage import prepare_first
from analysis.vocabulary import ATTRIBUTION_LOOKBACK, CONVERSION_EVENTS, TOUCHES, check_choice

HELP = "conversion paths and channel attribution"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Attribution's own options."""
    parser.add_argument("--models", help="comma-separated models (default last_touch,first_touch,linear,markov)")
    parser.add_argument("--conversion-events", help="comma-separated conversion events (default purchase)")
    parser.add_argument("--lookback-days", type=float, help="touches within this many days count (30; 0 = all)")
    parser.add_argument("--touch", choices=TOUCHES)
    parser.add_argument("--paths-out", help="also write the conversion path table here")


def _paths(run: Run, source: Source, *, prepared: bool = False, with_times: bool = False) -> pl.DataFrame:
    lookback = float(run.option("attribution_lookback_days", run.args.lookback_days, ATTRIBUTION_LOOKBACK.days))
    from analysis.attribution import conversion_paths  # noqa: PLC0415

    before = prepare_first(prepared=prepared, session_gap=gap(run), date_range=None if prepared else dates(run))
    return conversion_paths(
        source, with_times=with_times,
        conversion_events=run.option("conversion_events", split(run.args.conversion_events), list(CONVERSION_EVENTS)),
        lookback=timedelta(days=lookback) if lookback > 0 else None,
        touch=run.option("attribution_touch", run.args.touch, "channel"),
        collapse_repeats=bool(run.option("collapse_repeats", None, False)), engine=run.engine_options(before=before))


def execute(run: Run, out: TextIO) -> None:
    """One row per model and channel: conversions, value and share credited."""
    from analysis.attribution import MODELS, attribute  # noqa: PLC0415

    models = run.option("attribution_models", split(run.args.models), ["last_touch", "first_touch", "linear",
                                                                        "markov"])
    for model in models:
        check_choice("--models", model, MODELS)
    source, _ = load_source(run)
    persona = run.option("persona", None, None)
    if persona is not None:  # the Attribution page's persona segment: refit the personas, keep that one's people
        from analysis.personas.recipe import keep_persona  # noqa: PLC0415

        people = keep_persona(labelled(run, source), str(persona))
        run.say(f"persona {persona!r}: {people.height:,} events")
        paths = _paths(run, people, prepared=True, with_times="time_decay" in models)
    else:
        paths = _paths(run, source, with_times="time_decay" in models)
    if not paths["conversions"].sum() > 0:  # name the events found and the likely ones, never all-zero credits
        from analysis.conversions import require_conversions  # noqa: PLC0415

        require_conversions(people if persona is not None else source,
                            run.option("conversion_events", split(run.args.conversion_events),
                                       list(CONVERSION_EVENTS)))
    run.say(f"{paths.height:,} distinct paths; attributing with {', '.join(models)}")
    if run.args.paths_out:
        write_table(paths, run.args.paths_out, stdout=out)
    seed = int(run.option("seed", run.args.seed, run.recipe.seed))
    order = int(run.option("markov_order", None, 1))
    table = pl.concat([attribute(paths, model=m, seed=seed, order=order).select(pl.lit(m).alias("model"), pl.all())
                       for m in models], how="vertical_relaxed")
    write_table(table, run.args.out, stdout=out)
