"""The Spark engine: the same stage maps, run by PySpark inside ``groupBy(partition).applyInArrow``.

Arrow batches go in, Polars runs the stage's map, Arrow partials come out, and partials that add up are merged by a
Spark aggregation (``groupBy(keys).agg(sum, max)``); only the merged result is collected. Partitions follow the
same identity components as the embedded engine (labelled by Spark joins, :mod:`analysis.engine.spark_identity`;
no link is collected to the driver), so every person is whole inside one group and results equal the embedded
engine's.

PySpark is an optional dependency (``pip install 'journeylens[spark]'``) and needs Java 17.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from analysis import schema as s
from analysis.engine.partition import PART, ROUTE, ROW, scan_events
from analysis.engine.spark_identity import route_labels
from analysis.engine.stage import Stage
from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

FILE = "_file"
_ORDER = (FILE, ROW)


def _import_pyspark() -> Any:
    try:
        import pyspark  # noqa: PLC0415 (optional dependency, imported only when the Spark engine is chosen)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise AnalysisError("engine='spark' needs PySpark: pip install 'journeylens[spark]' (and Java 17)") from exc
    return pyspark


def spark_session(*, master: str = "local[2]", shuffle_partitions: int = 8, driver_memory: str = "4g"
                  ) -> SparkSession:
    """A Spark session fit for JourneyLens (UTC, quiet, workers on this interpreter); reused if one runs.

    Examples
    --------
    >>> spark = spark_session()  # doctest: +SKIP
    """
    _import_pyspark()
    from pyspark.sql import SparkSession  # noqa: PLC0415

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers need this venv's pyarrow and polars
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    with _quiet_pandas_warning():
        spark = _build(SparkSession, master, shuffle_partitions, driver_memory)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _build(session: Any, master: str, shuffle_partitions: int, driver_memory: str) -> SparkSession:
    return (  # type: ignore[no-any-return]
        session.builder.master(master)
        .appName("journeylens")
        .config("spark.driver.memory", driver_memory)  # local mode: the driver's JVM also runs the executors
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def arrow_type(dtype: pl.DataType) -> pa.DataType:
    """The Arrow type Spark accepts for a Polars type (plain strings and lists, microsecond timestamps)."""
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return pa.list_(arrow_type(inner() if isinstance(inner, type) else inner))
    if isinstance(dtype, pl.Datetime):
        return pa.timestamp("us", tz=dtype.time_zone)
    simple: dict[type[pl.DataType], pa.DataType] = {
        pl.Int64: pa.int64(), pl.Int32: pa.int32(), pl.Int16: pa.int16(), pl.Int8: pa.int8(),
        pl.UInt32: pa.int64(), pl.UInt16: pa.int32(), pl.UInt8: pa.int16(), pl.Float64: pa.float64(),
        pl.Float32: pa.float32(), pl.Boolean: pa.bool_(), pl.Date: pa.date32(),
    }
    return simple.get(type(dtype), pa.string())


def arrow_schema(schema: pl.Schema) -> pa.Schema:
    """Arrow schema for Spark from a Polars schema."""
    return pa.schema([(name, arrow_type(dtype)) for name, dtype in schema.items()])


def _to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    return frame.select(schema.names).to_arrow().cast(schema)


def _from_arrow(table: pa.Table, schema: pl.Schema) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.cast({c: t for c, t in schema.items() if c in frame.columns})  # type: ignore[misc]


def _mapper(fn: Callable[[pl.DataFrame], pl.DataFrame], in_schema: pl.Schema, out: pa.Schema, *, keep_part: bool
            ) -> Callable[[tuple[Any, ...], pa.Table], pa.Table]:
    """Wrap a stage map for applyInArrow: Arrow in, input order restored, Polars inside, Arrow out."""
    def run(key: tuple[Any, ...], table: pa.Table) -> pa.Table:
        part = _from_arrow(table, in_schema)
        order = [c for c in _ORDER if c in part.columns]
        if order:
            part = part.sort(order)
        result = fn(part.drop([c for c in (*_ORDER, PART, ROUTE) if c in part.columns]))
        if keep_part:  # the next map regroups by partition; the row number keeps this output's order
            result = result.with_columns(pl.lit(key[0], pl.Int32).alias(PART),
                                         pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW))
        return _to_arrow(result, out)
    return run


def _read(spark: SparkSession, source: pl.DataFrame | str | Path) -> tuple[SparkFrame, pl.Schema]:
    """A Spark frame of the events with their input position (``_file``, ``_row``) and their Polars schema."""
    from pyspark.sql import functions as F  # noqa: PLC0415

    if isinstance(source, pl.DataFrame):
        frame = source.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64), pl.lit("").alias(FILE))
        return spark.createDataFrame(_to_arrow(frame, arrow_schema(frame.schema))), source.schema
    schema = scan_events(source).collect_schema()
    path = Path(source)
    files = [str(p) for p in sorted(path.rglob("*.parquet"))] if path.is_dir() else [str(source)]
    sdf = spark.read.parquet(*files).select(
        "*", F.col("_metadata.file_path").alias(FILE), F.col("_metadata.row_index").alias(ROW)
    )
    return sdf, schema


def _route(spark: SparkSession, sdf: SparkFrame, schema: pl.Schema, partitions: int) -> SparkFrame:
    """Add ``_part``: the hash partition of each event's identity component (see analysis.engine.partition).

    The components are found by Spark joins (:func:`analysis.engine.spark_identity.route_labels`); no link is
    collected to the driver.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415

    user = F.col(s.USER_ID) if s.USER_ID in schema else F.lit(None).cast("string")
    anon = F.col(s.ANONYMOUS_ID) if s.ANONYMOUS_ID in schema else F.lit(None).cast("string")
    out = sdf.withColumn("_a", anon).withColumn("_u", user)
    if s.USER_ID in schema and s.ANONYMOUS_ID in schema:
        labels = route_labels(sdf, list(schema.names()))
        dev = labels.filter(F.col("node").startswith("4")).select(
            F.expr("substring(node, 3)").alias("_a"), F.col("label").alias("_dev"))
        usr = labels.filter(F.col("node").startswith("0")).select(
            F.expr("substring(node, 3)").alias("_u"), F.col("label").alias("_usr"))
        out = out.join(dev, on="_a", how="left").join(usr, on="_u", how="left")
    else:
        out = out.withColumn("_dev", F.lit(None).cast("string")).withColumn("_usr", F.lit(None).cast("string"))
    route = F.when(F.col("_u").isNotNull(), F.coalesce("_usr", "_u")).otherwise(F.coalesce("_dev", "_a"))
    return out.withColumn(PART, F.pmod(F.xxhash64(route), F.lit(partitions)).cast("int")).drop(
        "_a", "_u", "_dev", "_usr")


@contextmanager
def _quiet_pandas_warning() -> Iterator[None]:
    """PySpark warns that it does not support pandas 3 yet; JourneyLens does not use pandas."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pandas >= 3.0.0.*", category=FutureWarning)
        yield


def _apply(sdf: SparkFrame, fn: Callable[[pl.DataFrame], pl.DataFrame], in_schema: pl.Schema, out: pl.Schema,
           *, keep_part: bool = False) -> SparkFrame:
    from pyspark.sql.pandas.types import from_arrow_schema  # noqa: PLC0415

    full = pl.Schema({**dict(out), PART: pl.Int32(), ROW: pl.Int64()}) if keep_part else out
    target = arrow_schema(full)
    with _quiet_pandas_warning():
        return sdf.groupBy(PART).applyInArrow(_mapper(fn, in_schema, target, keep_part=keep_part),
                                              from_arrow_schema(target))


def _collect(sdf: SparkFrame, stage: Stage, schema: pl.Schema) -> pl.DataFrame:
    from pyspark.sql import functions as F  # noqa: PLC0415

    if stage.keys is not None:
        aggs = [getattr(F, how)(c).alias(c) for c, how in stage.aggs.items()]
        sdf = sdf.groupBy(*stage.keys).agg(*aggs) if stage.keys else sdf.agg(*aggs)
    merged = _from_arrow(sdf.toArrow(), schema).select(schema.names())
    if stage.order and merged.height:
        merged = merged.sort(list(stage.order), maintain_order=True)
    return stage.finish(merged)


def run_spark(
    source: pl.DataFrame | str | Path,
    stages: Mapping[str, Stage],
    *,
    spark: SparkSession | None = None,
    partitions: int = 8,
    before: Stage | None = None,
) -> dict[str, pl.DataFrame]:
    """Run ``stages`` on Spark: the same maps as :func:`analysis.engine.run_embedded`, merged by Spark.

    ``before`` (a row-level stage such as the prepare stage) runs first on every partition;
    its output is cached and each stage then maps over it.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.attribution.stage import paths_stage
    >>> from analysis.prepare.stage import prepare_stage
    >>> out = run_spark(generate_sample(50, seed=1).events, {"paths": paths_stage()},
    ...                 before=prepare_stage())  # doctest: +SKIP
    """
    spark = spark if spark is not None else spark_session(shuffle_partitions=partitions)
    sdf, schema = _read(spark, source)
    routed = _route(spark, sdf, schema, partitions)
    in_schema = pl.Schema({**dict(schema), ROW: pl.Int64(), FILE: pl.String()})
    if before is not None:
        prepared_schema = before.schema(schema)
        routed = _apply(routed, before.map, in_schema, prepared_schema, keep_part=True).cache()
        schema = prepared_schema
        in_schema = pl.Schema({**dict(schema), ROW: pl.Int64()})
    results: dict[str, pl.DataFrame] = {}
    try:
        for name, stage in stages.items():
            out_schema = stage.schema(schema)
            results[name] = _collect(_apply(routed, stage.map, in_schema, out_schema), stage, out_schema)
    finally:
        if before is not None:
            routed.unpersist()
    return results
