"""One command-line run's context: its options and recipe, progress on stderr, and the events it reads."""

from __future__ import annotations

import argparse
import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from analysis import schema as s
from analysis.cli.recipe import Recipe, file_digest, read_recipe
from analysis.engine import EngineOptions, Stage
from analysis.engine.partition import scan_events
from analysis.engine.spark_session import spark_address
from analysis.errors import AnalysisError, IngestError

Source = pl.DataFrame | Path


class Run:
    """One invocation's context: options, recipe, progress output."""

    def __init__(self, args: argparse.Namespace, err: TextIO) -> None:
        self.args, self.err = args, err
        self.recipe = read_recipe(args.recipe) if args.recipe else Recipe()
        self.started = self.heard = time.perf_counter()
        self.used: dict[str, Any] = {}
        if args.engine == "spark":  # a wrong address fails now, before any file is read
            spark_address(args.spark_remote or args.spark_master)

    def say(self, message: str) -> None:
        if not self.args.quiet:
            print(f"journeylens: {message} ({time.perf_counter() - self.started:.1f} s)", file=self.err, flush=True)

    def progress(self, stage: str, done: int, total: int) -> None:
        if self.args.engine == "spark":  # Spark's steps: the share of tasks done, every few seconds
            now = time.perf_counter()
            if done == 0 or now - self.heard >= 5:
                self.heard = now
                self.say(f"spark {stage}: {done}/{total} tasks" if done else f"spark {stage}: started")
            return
        if stage != "partitions" or done in (0, total) or total <= 1:
            return
        self.say(f"partition {done}/{total}")

    def option(self, name: str, given: Any, default: Any) -> Any:
        """The command-line value, else the recipe's, else the default; recorded for --write-recipe."""
        value = given if given is not None else self.recipe.get(name, default)
        self.used[name] = value
        return value

    def engine_options(self, *, before: Stage | None = None) -> EngineOptions:
        return EngineOptions(engine=self.args.engine, before=before, partitions=self.args.partitions,
                             progress=self.progress, spark=_spark(self.args) if self.args.engine == "spark" else None)


def _spark(args: argparse.Namespace) -> Any:
    """The Spark session for --spark-master / --spark-remote (default $JOURNEYLENS_SPARK or local[2])."""
    from analysis.engine.spark import GROUPS_CONF  # noqa: PLC0415 (PySpark is optional)
    from analysis.engine.spark_session import spark_session  # noqa: PLC0415

    conf = {GROUPS_CONF: str(args.events_per_group)} if args.events_per_group else {}
    return spark_session(args.spark_remote or args.spark_master, conf=conf)


def canonical_parquet(path: Path) -> bool:
    """A Parquet file or folder already in the canonical schema can be streamed without loading it."""
    is_parquet = path.suffix in (".parquet", ".pq") or (path.is_dir() and any(path.rglob("*.parquet")))
    if not is_parquet:
        return False
    try:
        schema = scan_events(path).collect_schema()
    except (AnalysisError, pl.exceptions.PolarsError, OSError):
        return False
    ids = [c for c in (s.USER_ID, s.ANONYMOUS_ID) if c in schema]
    return bool(ids) and schema.get(s.TIMESTAMP) == s.TIMESTAMP_DTYPE and schema.get(s.EVENT) == pl.String and all(
        schema[c] == pl.String for c in ids) and all(
        schema[c] == t for c, t in s.CANONICAL_SCHEMA.items() if c in schema)


def load_source(run: Run) -> tuple[Source, Any]:
    """The events to analyse: a canonical Parquet path is streamed as is, anything else goes through ingest."""
    from analysis.ingest import load_events  # noqa: PLC0415 (keeps `--help` fast)

    path = Path(run.args.source)
    if not path.exists():
        raise IngestError(f"{path} does not exist; give a CSV, Parquet, gzip or zip file, or a folder of them")
    if run.recipe.dataset_hash and run.recipe.dataset_hash != file_digest(path):
        print(f"journeylens: warning: {path} is not the data the recipe was made on (dataset_hash differs)",
              file=run.err)
    mapping = column_mapping(run)
    timezone = run.args.timezone or run.recipe.timezone
    if mapping is None and canonical_parquet(path) and run.args.command != "load":
        run.say(f"streaming canonical Parquet {path}")
        return path, None
    run.say(f"loading {path}")
    # prepare sorts once by person and time; only the `load` command's output keeps the loader's own order
    result = load_events(path, mapping=mapping, timezone=timezone, sort=run.args.command == "load")
    report = result.report
    run.say(f"loaded {report.kept:,} of {report.rows_read:,} rows ({report.rejected:,} rejected, "
            f"{report.repaired:,} repaired)")
    for warning in report.warnings:  # printed even with -q: they change what the results mean
        print(f"journeylens: warning: {warning}", file=run.err)
    return result.events, report


_PY_MAPPING = re.compile(r"mapping=\{'([^']+)': '([^']*)'\}")


def cli_hint(message: str) -> str:
    """A library message as the command line says it: ``mapping={'event': 'x'}`` becomes ``--map event=x``.

    Examples
    --------
    >>> cli_hint("pass mapping={'event': '<column>'}.")
    'pass --map event=<column>.'
    """
    return _PY_MAPPING.sub(lambda m: f"--map {m.group(1)}={m.group(2)}", message)


def column_mapping(run: Run) -> dict[str, str | None] | None:
    """The recipe's column mapping with the ``--map target=column`` overrides applied."""
    if not run.args.map:
        return run.recipe.mapping
    mapping: dict[str, str | None] = dict(run.recipe.mapping or {})
    for item in run.args.map:
        target, sep, column = item.partition("=")
        if not sep or not target:
            raise AnalysisError(f"--map {item!r} must look like target=column (e.g. user_id=customer_id)")
        mapping[target] = column or None
    return mapping


def dates(run: Run) -> tuple[date, date] | None:
    """The date range (whole days, UTC) from --start/--end or the recipe's ``date_range``; None = all data."""
    given = [run.args.start, run.args.end] if run.args.start or run.args.end else None
    return date_range(run.option("date_range", given, None))


def date_range(picked: Any) -> tuple[date, date] | None:
    """A recipe's ``[start, end]`` (YYYY-MM-DD, either may be empty) as whole days; None = all data."""
    if picked is None:
        return None
    if not isinstance(picked, list | tuple) or len(picked) != 2:
        raise AnalysisError(f"date_range must be [start, end] as YYYY-MM-DD, got {picked!r}")
    try:
        days = [date.fromisoformat(str(d)) if d else None for d in picked]
    except ValueError as exc:
        raise AnalysisError(f"date_range {list(picked)}: dates must look like 2026-09-30 ({exc})") from exc
    start = days[0] or date.min
    end = days[1] or date(9998, 12, 31)
    return start, end


def gap(run: Run) -> timedelta:
    """The session gap from --session-gap (minutes) or the recipe."""
    return timedelta(minutes=float(run.option("session_gap_minutes", run.args.session_gap, 30)))


def split(value: str | None) -> list[str] | None:
    """A comma-separated option as a list (None when not given)."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value
