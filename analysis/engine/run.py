"""One entry point for every stage: :func:`run` on the engine chosen, ``"polars"`` (embedded) or ``"spark"``.

The source is a canonical events frame (split in memory) or a Parquet file or folder (split out of core). The
analyses call :func:`run` with their own stage when given ``engine=``; this module knows no analysis.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

import polars as pl

from analysis.engine.embedded import Partitions, Progress, quiet, run_partitions, split
from analysis.engine.stage import Stage
from analysis.vocabulary import ENGINES, Engine, check_choice

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Source = pl.DataFrame | str | Path


@dataclass(frozen=True, kw_only=True)
class EngineOptions:
    """Where and how stages run: the engine, what runs first on each partition, and the partitioning.

    ``before`` is a row-level stage run on every partition before the analysis (preparing raw events, or cutting
    prepared ones to a date range); ``partitions`` is the number of person partitions (None: 8 on Polars; on Spark
    sized by the data, see :mod:`analysis.engine.spark`); ``spark`` an existing
    session (one is started when None); ``workdir`` holds the out-of-core partitions (a temporary folder when
    None); ``progress`` is called with ``(stage, done, total)``.

    Examples
    --------
    >>> EngineOptions(engine="spark", partitions=4).partitions
    4
    """

    engine: Engine = "polars"
    before: Stage | None = None
    partitions: int | None = None
    spark: SparkSession | None = None
    workdir: str | Path | None = None
    progress: Progress = quiet

    @property
    def embedded_partitions(self) -> int:
        """The partition count on the Polars engine: ``partitions``, else 8."""
        return 8 if self.partitions is None else self.partitions


def engine_options(engine: Engine | EngineOptions) -> EngineOptions:
    """``engine`` as :class:`EngineOptions` (a bare engine name takes the defaults); checks the engine's name."""
    options = engine if isinstance(engine, EngineOptions) else EngineOptions(engine=engine)
    check_choice("engine", options.engine, ENGINES)
    return options


@overload
def run(source: Source, stage: Stage, *, engine: Engine | EngineOptions = "polars") -> pl.DataFrame: ...


@overload
def run(source: Source, stage: Mapping[str, Stage], *, engine: Engine | EngineOptions = "polars"
        ) -> dict[str, pl.DataFrame]: ...


def run(source: Source, stage: Stage | Mapping[str, Stage], *, engine: Engine | EngineOptions = "polars"
        ) -> pl.DataFrame | dict[str, pl.DataFrame]:
    """Run ``stage`` (or several, by name, over one reading of the data) over ``source`` split by person.

    Results are engine-independent: the same frame on ``"polars"`` and ``"spark"``.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> rows = Stage("rows", lambda part: part.select(n=pl.len()), lambda _: pl.Schema({"n": pl.UInt32()}),
    ...              keys=(), aggs={"n": "sum"})
    >>> run(generate_sample(50, seed=1).events, rows, engine=EngineOptions(partitions=3))["n"].item()
    974
    """
    options = engine_options(engine)
    stages = {stage.name: stage} if isinstance(stage, Stage) else stage
    if options.engine == "spark":
        from analysis.engine.spark import run_spark  # noqa: PLC0415 (PySpark is optional)

        out = run_spark(source, stages, spark=options.spark, partitions=options.partitions, before=options.before,
                        progress=options.progress)
    else:
        with split(source, partitions=options.embedded_partitions, workdir=options.workdir) as parts:
            out = run_partitions(parts, stages, before=options.before, progress=options.progress)
    return out[stage.name] if isinstance(stage, Stage) else out


def run_two_pass(
    source: Source, first: Stage, then: Callable[[pl.DataFrame], Stage], *, engine: Engine | EngineOptions = "polars"
) -> pl.DataFrame:
    """Run ``first`` over the whole data, then the stage ``then(result of first)``: for analyses that need a
    whole-data summary before their map (e.g. which values become feature columns).

    On the embedded engine the partitions, after ``before``, are kept on disk by the first pass and read again by
    the second, so ``before`` (e.g. preparing raw events) runs once.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> events = Stage("events", lambda p: p.group_by("event").len(), lambda _: pl.Schema(
    ...     {"event": pl.String(), "len": pl.UInt32()}), keys=("event",), aggs={"len": "sum"})
    >>> def top(counts: pl.DataFrame) -> Stage:
    ...     best = counts.sort("len", "event", descending=[True, False])["event"][0]
    ...     return Stage("top", lambda p: p.filter(pl.col("event") == best).select(n=pl.len()),
    ...                  lambda _: pl.Schema({"n": pl.UInt32()}), keys=(), aggs={"n": "sum"})
    >>> run_two_pass(generate_sample(50, seed=1).events, events, top)["n"].item()
    235
    """
    options = engine_options(engine)
    if options.engine == "spark":
        return run(source, then(run(source, first, engine=options)), engine=options)
    with (split(source, partitions=options.embedded_partitions, workdir=options.workdir) as parts,
          tempfile.TemporaryDirectory(prefix="journeylens-", dir=options.workdir) as tmp):
        keep = Path(tmp) / "before" if options.before is not None else None
        summary = run_partitions(parts, {first.name: first}, before=options.before, keep=keep,
                                 progress=options.progress)[first.name]
        second = then(summary)
        again = Partitions(paths=[keep / f"part-{i:05d}.parquet" for i in range(len(parts))]) if keep else parts
        return run_partitions(again, {second.name: second}, progress=options.progress)[second.name]
