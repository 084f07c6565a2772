"""The command line's entry: the argument parser (one subparser per command module) and :func:`run`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TextIO

from analysis.cli import (
    EXIT_BAD_INPUT,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    attribute,
    funnel,
    load,
    personas,
    prepare,
    snapshot,
)
from analysis.cli.context import Run, cli_hint, column_mapping, positive
from analysis.cli.recipe import Recipe, file_digest, write_recipe
from analysis.engine import ENGINES
from analysis.errors import AnalysisError

DESCRIPTION = ("``journeylens`` / ``python -m analysis``: every analysis headless on a file or folder, for scripts "
               "and big data.")
#: The subcommands in the order ``--help`` lists them; each module has HELP, add_arguments and execute.
COMMAND_MODULES: dict[str, ModuleType] = {
    "load": load, "prepare": prepare, "funnel": funnel, "attribute": attribute, "personas": personas,
    "snapshot": snapshot,
}
COMMANDS: dict[str, Callable[[Run, TextIO], None]] = {name: m.execute for name, m in COMMAND_MODULES.items()}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one subparser per analysis).

    Examples
    --------
    >>> build_parser().parse_args(["funnel", "events.csv", "--steps", "a,b"]).steps
    'a,b'
    """
    parser = argparse.ArgumentParser(prog="journeylens", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="exit codes: 0 done, 1 unexpected error, 2 usage error, 3 bad input")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("source", help="events: a CSV/Parquet/gzip/zip file or a folder of them")
    common.add_argument("--out", "-o", help="output file (.csv, .parquet, .json); CSV on stdout when omitted")
    common.add_argument("--engine", choices=ENGINES, default="polars", help="polars (this machine) or spark")
    common.add_argument("--partitions", type=positive,
                        help="person partitions (default: 8 on polars; on spark, by data size)")
    common.add_argument("--spark-master", metavar="URL",
                        help="Spark master: local[N], spark://host:port, yarn, k8s://... (implies --engine spark)")
    common.add_argument("--spark-remote", metavar="sc://HOST:PORT",
                        help="a Spark Connect server (implies --engine spark)")
    common.add_argument("--events-per-group", type=positive, metavar="N",
                        help="on spark: events per person group, which bounds a task's memory (1000000)")
    common.add_argument("--recipe", help="settings from a recipe or snapshot.json; command-line options win")
    common.add_argument("--write-recipe", help="save this run's settings as a recipe JSON")
    common.add_argument("--map", action="append", metavar="TARGET=COLUMN", help="column mapping override")
    common.add_argument("--timezone", help="zone of naive timestamps (IANA name, default UTC)")
    common.add_argument("--session-gap", type=float, metavar="MINUTES", help="inactivity that ends a session (30)")
    common.add_argument("--start", help="first day to analyse (YYYY-MM-DD, UTC; sessions use all data)")
    common.add_argument("--end", help="last day to analyse (YYYY-MM-DD, inclusive)")
    common.add_argument("--seed", type=int, help="random seed (default 0)")
    common.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    common.add_argument("--debug", action="store_true", help="show the traceback of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMAND_MODULES.items():
        module.add_arguments(sub.add_parser(name, parents=[common], help=module.HELP))
    return parser


def run(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Parse ``argv``, run the command and return the exit code: 0 done, 1 unexpected error, 2 usage error, 3 bad
    input (the message names the file, row, column or value and what would be valid)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.command == "snapshot" and not args.out:
        print("journeylens: error: snapshot needs --out DIR", file=err)
        return EXIT_USAGE
    if args.spark_master and args.spark_remote:
        print("journeylens: error: give --spark-master or --spark-remote, not both", file=err)
        return EXIT_USAGE
    if args.spark_master or args.spark_remote:
        args.engine = "spark"
    try:
        context = Run(args, err)
        COMMANDS[args.command](context, out)
        if args.write_recipe:
            digest = file_digest(Path(args.source)) if Path(args.source).exists() else None
            recipe = Recipe(dataset_hash=digest, mapping=column_mapping(context),
                            timezone=args.timezone or context.recipe.timezone,
                            seed=int(context.used.get("seed", context.recipe.seed)), parameters=context.used,
                            version=_version())
            write_recipe(recipe, args.write_recipe)
            context.say(f"recipe written to {args.write_recipe}")
    except AnalysisError as exc:  # IngestError included: bad file, data or settings
        print(f"journeylens: error: {cli_hint(str(exc))}", file=err)
        return EXIT_BAD_INPUT
    except Exception as exc:
        if args.debug:
            raise
        print(f"journeylens: unexpected error ({type(exc).__name__}): {exc}; rerun with --debug for details",
              file=err)
        return EXIT_ERROR
    return EXIT_OK


def _version() -> str:
    from analysis.snapshot.store import library_version  # noqa: PLC0415

    return library_version()
