"""``journeylens prepare``: stitch identities, assign channels, sessionize (``--out DIR`` streams partitions)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from analysis.cli.context import Run, dates, gap, load_source
from analysis.cli.output import write_table
from analysis.prepare.stage import prepare_events, prepare_to_parquet

HELP = "stitch identities, channels, sessions (--out DIR streams)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``prepare`` takes the common options only."""


def execute(run: Run, out: TextIO) -> None:
    """Prepare the events; a suffix-less ``--out`` on the Polars engine writes one Parquet file per partition."""
    source, _ = load_source(run)
    target = Path(run.args.out) if run.args.out else None
    if target is not None and target.suffix == "":
        files = prepare_to_parquet(source, target, session_gap=gap(run), date_range=dates(run),
                                   engine=run.engine_options())
        run.say(f"wrote {len(files)} prepared partitions to {target}")
        return
    prepared = prepare_events(source, session_gap=gap(run), date_range=dates(run), engine=run.engine_options())
    write_table(prepared, target, stdout=out)
    run.say(f"prepared {prepared.height:,} events")
