"""``journeylens funnel``: conversion through steps, with the Funnels page's settings from a recipe."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TextIO

from analysis.cli.context import Run, dates, gap, load_source, split
from analysis.cli.output import write_table
from analysis.cli.personas import labelled
from analysis.errors import AnalysisError
from analysis.prepare.stage import prepare_first
from analysis.vocabulary import FUNNEL_MODES, FUNNEL_WINDOW

HELP = "conversion through steps"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The funnel's own options."""
    parser.add_argument("--steps", help="comma-separated step events")
    parser.add_argument("--window-days", type=float, help="conversion window from step 1 (default 7)")
    parser.add_argument("--mode", choices=FUNNEL_MODES, help="step order rule")
    parser.add_argument("--breakdown", help="column to split the funnel by")


def execute(run: Run, out: TextIO) -> None:
    """One row per step (and breakdown value), as :func:`analysis.funnels.funnel_table`."""
    from analysis.funnels import Exclusion, Step, funnel, funnel_spec  # noqa: PLC0415

    chosen = run.option("funnel_steps", split(run.args.steps), None)
    if not chosen:
        raise AnalysisError("funnel needs --steps (e.g. --steps view_item,add_to_cart,purchase) or a recipe with "
                            "funnel_steps")
    # as the Funnels page: optional steps are named "<position>. <event>", the date range governs entry only
    optional = set(run.option("optional_steps", None, []))
    steps = [Step((e,), optional=(0 < i < len(chosen) - 1 and f"{i + 1}. {e}" in optional))
             for i, e in enumerate(chosen)]
    excluded = tuple(run.option("exclusion_events", None, []))
    days = dates(run)
    spec = funnel_spec(
        steps, window=timedelta(days=float(run.option("funnel_window_days", run.args.window_days, FUNNEL_WINDOW.days))),
        mode=run.option("funnel_mode", run.args.mode, "ordered"), entry=run.option("entry", None, "closed"),
        counting=run.option("counting", None, "users"), anchor=run.option("anchor", None, "furthest"),
        exclusions=[Exclusion(excluded)] if excluded and len(steps) > 1 else [],
        entry_start=days[0] if days else None, entry_end=days[1] if days else None,
        breakdown=run.option("funnel_breakdown", run.args.breakdown, None),
        attribution=run.option("attribution", None, "step1"), top_n=run.option("top_n", None, 10))
    source, _ = load_source(run)
    if spec.breakdown == "persona":  # the persona column exported on the Personas page: refit those personas
        table = funnel(labelled(run, source, cut=False), spec, engine=run.engine_options())
    else:
        table = funnel(source, spec, engine=run.engine_options(before=prepare_first(session_gap=gap(run))))
    write_table(table, run.args.out, stdout=out)
    run.say(f"funnel of {len(steps)} steps done")
