"""One entry point per analysis with an ``engine`` option: ``"polars"`` (embedded) or ``"spark"``.

The source is a canonical events frame (split in memory) or a Parquet file or folder (split out of core). Raw
events are prepared per partition first unless ``prepared=True`` says they already are.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import polars as pl

from analysis.attribution.paths import Touch
from analysis.engine.embedded import Partitions, Progress, _quiet, run_partitions, split
from analysis.engine.stages import (
    Stage,
    dates_stage,
    feature_vocabulary,
    features_stage,
    funnel_stage,
    paths_stage,
    prepare_stage,
    vocabulary_stage,
)
from analysis.errors import AnalysisError
from analysis.funnels import FunnelSpec

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Engine = Literal["polars", "spark"]
ENGINES: tuple[Engine, ...] = get_args(Engine)
Source = pl.DataFrame | str | Path


def run_stages(
    source: Source,
    stages: Mapping[str, Stage],
    *,
    engine: Engine = "polars",
    before: Stage | None = None,
    partitions: int | None = None,
    spark: SparkSession | None = None,
    workdir: str | Path | None = None,
    progress: Progress = _quiet,
) -> dict[str, pl.DataFrame]:
    """Run ``stages`` over ``source`` split by person, on the chosen engine; results are engine-independent.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> out = run_stages(generate_sample(50, seed=1).events, {"paths": paths_stage()}, before=prepare_stage())
    >>> out["paths"].columns
    ['path', 'conversions', 'nulls', 'value']
    """
    if engine not in ENGINES:
        raise AnalysisError(f"engine={engine!r} is not known; valid: {', '.join(ENGINES)}")
    if engine == "spark":
        from analysis.engine.spark import run_spark  # noqa: PLC0415 (PySpark is optional)

        return run_spark(source, stages, spark=spark, partitions=partitions, before=before, progress=progress)
    with split(source, partitions=_embedded(partitions), workdir=workdir) as parts:
        return run_partitions(parts, stages, before=before, progress=progress)


def prepare_events(
    source: Source,
    *,
    engine: Engine = "polars",
    session_gap: timedelta = timedelta(minutes=30),
    channel_rules: pl.DataFrame | None = None,
    date_range: tuple[date, date] | None = None,
    partitions: int | None = None,
    spark: SparkSession | None = None,
    progress: Progress = _quiet,
) -> pl.DataFrame:
    """:func:`analysis.prepare.prepare`, run per person partition; the same frame as the in-memory call.

    ``date_range`` then keeps whole days ``(start, end)`` (:func:`analysis.filters.filter_dates`).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> prepare_events(generate_sample(50, seed=1).events, partitions=2)["session_id"].null_count()
    0
    """
    stage = prepare_stage(session_gap=session_gap, channel_rules=channel_rules, date_range=date_range)
    return run_stages(source, {"prepare": stage}, engine=engine, partitions=partitions, spark=spark,
                      progress=progress)["prepare"]


def prepare_to_parquet(
    source: Source,
    out_dir: str | Path,
    *,
    session_gap: timedelta = timedelta(minutes=30),
    channel_rules: pl.DataFrame | None = None,
    date_range: tuple[date, date] | None = None,
    engine: Engine = "polars",
    partitions: int | None = None,
    spark: SparkSession | None = None,
    workdir: str | Path | None = None,
    progress: Progress = _quiet,
) -> list[Path]:
    """Prepare a source too big for memory: write ``out_dir/part-<i>.parquet``, each whole persons, sorted.

    On Spark the executors write ``out_dir/_part=<group>/`` (:func:`analysis.engine.spark.prepare_to_parquet_spark`).
    """
    before = prepare_stage(session_gap=session_gap, channel_rules=channel_rules, date_range=date_range)
    if engine == "spark":
        from analysis.engine.spark import prepare_to_parquet_spark  # noqa: PLC0415 (PySpark is optional)

        return prepare_to_parquet_spark(source, out_dir, before=before, spark=spark, partitions=partitions,
                                        progress=progress)
    with split(source, partitions=_embedded(partitions), workdir=workdir) as parts:
        run_partitions(parts, {}, before=before, keep=out_dir, progress=progress)
    return sorted(Path(out_dir).glob("part-*.parquet"))


def partitioned_paths(
    source: Source,
    *,
    engine: Engine = "polars",
    prepared: bool = False,
    date_range: tuple[date, date] | None = None,
    conversion_events: Sequence[str] = ("purchase",),
    lookback: timedelta | None = timedelta(days=30),
    touch: Touch = "channel",
    collapse_repeats: bool = False,
    session_gap: timedelta = timedelta(minutes=30),
    first_conversion_only: bool = False,
    partitions: int | None = None,
    spark: SparkSession | None = None,
    progress: Progress = _quiet,
) -> pl.DataFrame:
    """:func:`analysis.attribution.conversion_paths` as map and merge: path counts add up across partitions.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> partitioned_paths(generate_sample(50, seed=1).events, partitions=2).columns
    ['path', 'conversions', 'nulls', 'value']
    """
    stage = paths_stage(conversion_events=conversion_events, lookback=lookback, touch=touch,
                        collapse_repeats=collapse_repeats, first_conversion_only=first_conversion_only)
    before = _before(prepared, session_gap, date_range)
    return run_stages(source, {"paths": stage}, engine=engine, before=before, partitions=partitions, spark=spark,
                      progress=progress)["paths"]


def partitioned_funnel(
    source: Source,
    spec: FunnelSpec,
    *,
    engine: Engine = "polars",
    prepared: bool = False,
    date_range: tuple[date, date] | None = None,
    session_gap: timedelta = timedelta(minutes=30),
    partitions: int | None = None,
    spark: SparkSession | None = None,
    progress: Progress = _quiet,
) -> pl.DataFrame:
    """:func:`analysis.funnels.funnel` as map and merge: units per partition, one exact summary of all of them.

    Examples
    --------
    >>> from analysis.sample import FUNNEL_STEPS, generate_sample
    >>> from analysis.funnels import funnel_spec
    >>> partitioned_funnel(generate_sample(50, seed=1).events, funnel_spec(list(FUNNEL_STEPS)))["step"].to_list()
    [1, 2, 3, 4]
    """
    before = _before(prepared, session_gap, date_range)
    return run_stages(source, {"funnel": funnel_stage(spec)}, engine=engine, before=before, partitions=partitions,
                      spark=spark, progress=progress)["funnel"]


def partitioned_features(
    source: Source,
    *,
    engine: Engine = "polars",
    prepared: bool = False,
    date_range: tuple[date, date] | None = None,
    top_events: int = 100,
    top_values: int = 20,
    session_gap: timedelta = timedelta(minutes=30),
    as_of: datetime | None = None,
    partitions: int | None = None,
    spark: SparkSession | None = None,
    progress: Progress = _quiet,
) -> pl.DataFrame:
    """Persona features (:func:`analysis.personas.features.user_features`, default groups) in two passes.

    The first pass counts values over the whole data (which events, channels and devices become columns, and the
    last event time); the second builds each partition's per-user rows with that vocabulary.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> partitioned_features(generate_sample(50, seed=1).events, partitions=2).columns[:2]
    ['user_id', 'events']
    """
    before = _before(prepared, session_gap, date_range)
    vocab_stage = {"vocabulary": vocabulary_stage()}
    if engine == "spark":
        counts = run_stages(source, vocab_stage, engine=engine, before=before, partitions=partitions,
                            spark=spark, progress=progress)["vocabulary"]
        stage = features_from_counts(counts, top_events=top_events, top_values=top_values, as_of=as_of)
        return run_stages(source, {"features": stage}, engine=engine, before=before, partitions=partitions,
                          spark=spark, progress=progress)["features"]
    with (split(source, partitions=_embedded(partitions)) as parts,
          tempfile.TemporaryDirectory(prefix="journeylens-") as tmp):
        keep = Path(tmp) / "prepared" if before is not None else None
        counts = run_partitions(parts, vocab_stage, before=before, keep=keep, progress=progress)["vocabulary"]
        stage = features_from_counts(counts, top_events=top_events, top_values=top_values, as_of=as_of)
        again = Partitions(paths=[keep / f"part-{i:05d}.parquet" for i in range(len(parts))]) if keep else parts
        return run_partitions(again, {"features": stage}, progress=progress)["features"]


def _embedded(partitions: int | None) -> int:
    """The embedded engine's partition count (8 unless given; Spark sizes its groups by the data)."""
    return 8 if partitions is None else partitions


def _before(prepared: bool, session_gap: timedelta, date_range: tuple[date, date] | None) -> Stage | None:
    """What runs on each partition before an analysis: prepare (and the date cut), or only the date cut."""
    if not prepared:
        return prepare_stage(session_gap=session_gap, date_range=date_range)
    return dates_stage(*date_range) if date_range is not None else None


def features_from_counts(
    counts: pl.DataFrame,
    *,
    top_events: int = 100,
    top_values: int = 20,
    as_of: datetime | None = None,
) -> Stage:
    """The per-user feature stage for the vocabulary and last event time in merged :func:`vocabulary_stage` counts."""
    if counts.height == 0:
        raise AnalysisError("no events with a user_id or anonymous_id to build user features from")
    vocab = feature_vocabulary(counts, top_events=top_events, top_values=top_values)
    last = as_of if as_of is not None else counts["last"].max()
    assert isinstance(last, datetime)
    return features_stage(vocab, as_of=last)
