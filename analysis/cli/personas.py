"""``journeylens personas``: behavioural personas' profiles; also the persona refit the other commands share."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

import polars as pl

from analysis.cli.context import Run, Source, date_range, dates, gap, load_source, positive
from analysis.cli.output import write_table
from analysis.errors import AnalysisError
from analysis.filters import add_person_labels
from analysis.prepare.stage import prepare_events

HELP = "behavioural personas: profiles table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The personas' own options."""
    parser.add_argument("--k", type=positive, help="number of personas (default: chosen by silhouette)")


def _persona_settings(run: Run) -> dict[str, Any]:
    """The persona settings of the recipe: nested under ``persona_fit`` (pages that use personas made elsewhere)
    or, from the Personas page, its own parameters; ``--k`` wins."""
    fit = run.recipe.get("persona_fit")
    own = run.args.command == "personas" or run.recipe.get("page") == "personas"
    settings = dict(fit) if isinstance(fit, dict) else dict(run.recipe.parameters) if own else {
        "persona_k": run.recipe.get("persona_k"), "seed": run.recipe.get("seed")}
    k = run.args.k if getattr(run.args, "k", None) is not None else settings.get("persona_k")
    settings["persona_k"] = k
    run.used["persona_fit" if isinstance(fit, dict) else "persona_k"] = settings if isinstance(fit, dict) else k
    return settings


def fit(run: Run, prepared: pl.DataFrame, *, stability: bool = True) -> Any:
    """Fit the personas the recipe describes (names included) on ``prepared``."""
    from analysis.personas.recipe import apply_names, personas_from_parameters  # noqa: PLC0415

    settings = _persona_settings(run)
    seed = int(run.option("seed", run.args.seed, run.recipe.seed))
    model = personas_from_parameters(settings, seed=seed, stability=stability)
    run.say(f"fitting personas (k={model.k or 'auto'}, {model.algorithm}, seed={model.seed})")
    return apply_names(model.fit(prepared), settings)


def labelled(run: Run, source: Source, *, cut: bool = True) -> pl.DataFrame:
    """Prepared events (of the recipe's date range when ``cut``) with the ``persona`` column of the recipe's
    personas."""
    from analysis.personas import persona_column  # noqa: PLC0415

    fit_settings = run.recipe.get("persona_fit")
    if not isinstance(fit_settings, dict):
        raise AnalysisError("the recipe uses a persona but carries no persona_fit (the persona settings); download "
                            "the recipe again from the page, with the persona column exported on the Personas page")
    view_dates = dates(run) if cut else None
    prepared = prepare_events(source, session_gap=gap(run), date_range=view_dates, engine=run.engine_options())
    fit_dates = date_range(fit_settings.get("date_range"))
    on = prepared if fit_dates == view_dates else prepare_events(
        source, session_gap=gap(run), date_range=fit_dates, engine=run.engine_options())
    model = fit(run, on, stability=False)  # the personas were fitted on their own date range
    return add_person_labels(prepared, persona_column(model))


def execute(run: Run, out: TextIO) -> None:
    """The profiles table; says so (even with -q) when the data holds no distinct personas."""
    source, _ = load_source(run)
    prepared = prepare_events(source, session_gap=gap(run), date_range=dates(run), engine=run.engine_options())
    model = fit(run, prepared)
    write_table(model.profiles_, run.args.out, stdout=out)
    if not model.distinct_:  # an outcome, not an error: said even with --quiet
        print(f"journeylens: no distinct personas in this data: {model.verdict_.message}", file=run.err)
        return
    run.say(f"{model.k_} personas over {model.users_.len():,} people")
