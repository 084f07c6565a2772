"""``journeylens load``: read a file and print its load report (``--out`` also writes the canonical events)."""

from __future__ import annotations

import argparse
from typing import TextIO

import polars as pl

from analysis.cli.context import Run, load_source
from analysis.cli.output import write_table

HELP = "read a file and print its load report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``load`` takes the common options only."""


def execute(run: Run, out: TextIO) -> None:
    """Print the load report of ``run.args.source``; write the canonical events to ``--out`` when given."""
    events, report = load_source(run)
    assert isinstance(events, pl.DataFrame) and report is not None  # `load` always reads through ingest
    with pl.Config(tbl_rows=50, tbl_cols=20, tbl_width_chars=160):
        print(report.summary(), file=out)
        if report.reasons().height:
            print(report.reasons(), file=out)
    print(f"format: {report.detected_format}; mapping: "
          + ", ".join(f"{k} <- {v}" for k, v in report.mapping.items()), file=out)
    if run.args.out:
        write_table(events, run.args.out, stdout=out)
        run.say(f"wrote {events.height:,} canonical events to {run.args.out}")
