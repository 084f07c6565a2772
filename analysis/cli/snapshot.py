"""``journeylens snapshot``: write the shareable persona snapshot into ``--out DIR``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from analysis.cli import personas
from analysis.cli.context import Run, dates, gap, load_source, positive, split
from analysis.cli.recipe import file_digest
from analysis.prepare.stage import prepare_events
from analysis.vocabulary import ATTRIBUTION_LOOKBACK, CONVERSION_EVENTS, FUNNEL_WINDOW, MIN_GROUP_SIZE

HELP = "write a shareable persona snapshot into --out DIR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The snapshot's own options."""
    parser.add_argument("--k", type=positive, help="number of personas")
    parser.add_argument("--steps", help="comma-separated funnel steps (default: the funnel suggested from the data)")
    parser.add_argument("--min-group-size", type=positive, help="smallest group shown (default 10)")
    parser.add_argument("--no-personas", action="store_true", help="one group instead of personas")


def execute(run: Run, out: TextIO) -> None:
    """Write the snapshot and print the path of its ``snapshot.html``."""
    from analysis.personas.recipe import persona_parameters  # noqa: PLC0415
    from analysis.snapshot import DEFAULT_MODELS, SECTIONS, write_snapshot  # noqa: PLC0415

    source, _ = load_source(run)
    prepared = prepare_events(source, session_gap=gap(run), date_range=dates(run), engine=run.engine_options())
    use_personas = run.option("use_personas", False if run.args.no_personas else None, True)
    model = personas.fit(run, prepared) if use_personas else None
    lookback = float(run.option("attribution_lookback_days", None, ATTRIBUTION_LOOKBACK.days))
    parameters: dict[str, Any] = {"seed": run.option("seed", run.args.seed, run.recipe.seed),
                                  "persona_k": None if model is None else int(model.k_)}
    if model is not None:
        parameters["persona_fit"] = persona_parameters(model)
    snap = write_snapshot(
        prepared, run.args.out, personas=model, title=run.option("title", None, "Persona snapshot"),
        sections=run.option("sections", None, list(SECTIONS)),
        min_group_size=int(run.option("min_group_size", run.args.min_group_size, MIN_GROUP_SIZE)),
        funnel_steps=run.option("funnel_steps", split(run.args.steps), None),
        window=timedelta(days=float(run.option("funnel_window_days", None, FUNNEL_WINDOW.days))),
        conversion_events=run.option("conversion_events", None, list(CONVERSION_EVENTS)),
        models=run.option("attribution_models", None, list(DEFAULT_MODELS)),
        lookback=timedelta(days=lookback), digest=file_digest(Path(run.args.source)), parameters=parameters,
    )
    print(snap.path / "snapshot.html" if snap.path else run.args.out, file=out)
    run.say(f"snapshot written to {run.args.out}")
