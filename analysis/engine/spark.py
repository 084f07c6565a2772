"""The Spark engine: the same stage maps, run by PySpark inside ``groupBy(group).applyInArrow``.

Arrow batches go in, Polars runs the stage's map, Arrow partials come out, and partials that add up are merged by a
Spark aggregation (``groupBy(keys).agg(sum, max)``); only the merged result is collected. Events are split into
person groups by the same identity components as the embedded engine (labelled by Spark joins,
:mod:`analysis.engine.spark_identity`), so every person is whole inside one group and results equal the embedded
engine's. The number of groups follows the data (:data:`EVENTS_PER_GROUP`), so no task grows with the total size.

Nothing event-sized passes through the driver when the source is Parquet: the executors read it, prepared events
are written by the executors (:func:`prepare_to_parquet_spark`, one folder per person group) and analyses of such
a folder reuse its groups. Where it runs is :mod:`analysis.engine.spark_session`'s business (``local[2]``, a
cluster or Spark Connect).

PySpark is an optional dependency (``pip install 'journeylens[spark]'``) and needs Java 17.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl
import pyarrow as pa

from analysis import schema as s
from analysis.engine.embedded import Progress, quiet
from analysis.engine.partition import PART, PERSON_PARTS, ROUTE, ROW, person_parts, scan_events
from analysis.engine.spark_identity import DEVICE_NODE, USER_NODE, route_labels
from analysis.engine.spark_session import quiet_pandas_warning, spark_session
from analysis.engine.stage import Stage
from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

__all__ = ["EVENTS_PER_GROUP", "GROUPS_CONF", "arrow_schema", "group_count", "prepare_to_parquet_spark",
           "run_spark", "spark_session"]

FILE = "_file"
_ORDER = (FILE, ROW)
#: Default target of events per person group. A group is one Arrow table in one Python worker, so this bounds a
#: task's memory (prepare holds about 1 KB per event: 1-2 GB per task) whatever the size of the data. Set it per
#: call (``events_per_group``) or per session (the Spark setting ``spark.journeylens.eventsPerGroup``).
EVENTS_PER_GROUP = 1_000_000
GROUPS_CONF = "spark.journeylens.eventsPerGroup"
_POLL_SECONDS = 0.5
T = TypeVar("T")


def group_count(events: int, *, events_per_group: int = EVENTS_PER_GROUP) -> int:
    """How many person groups ``events`` need so that a group holds about ``events_per_group`` events.

    Examples
    --------
    >>> group_count(10_000_000), group_count(999), group_count(2_500_000, events_per_group=1_000_000)
    (10, 1, 3)
    """
    if events_per_group < 1:
        raise AnalysisError(f"events_per_group must be at least 1, got {events_per_group}")
    return max(1, -(-events // events_per_group))


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
        result = _map_group(fn, table, in_schema)
        if keep_part:  # the next map regroups by partition; the row number keeps this output's order
            result = result.with_columns(pl.lit(key[0], pl.Int32).alias(PART),
                                         pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW))
        return _to_arrow(result, out)
    return run


def _map_group(fn: Callable[[pl.DataFrame], pl.DataFrame], table: pa.Table, in_schema: pl.Schema) -> pl.DataFrame:
    """``fn`` on one person group sent by Spark, its rows back in input order and the engine's columns dropped."""
    part = _from_arrow(table, in_schema)
    order = [c for c in _ORDER if c in part.columns]
    if order:
        part = part.sort(order)
    return fn(part.drop([c for c in (*_ORDER, PART, ROUTE) if c in part.columns]))


def _is_connect(spark: SparkSession) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _tasks(spark: SparkSession) -> tuple[int, int]:
    """Finished and total tasks of the stages running now (the share done of the current Spark step)."""
    tracker = spark.sparkContext.statusTracker()
    done = total = 0
    for stage_id in tracker.getActiveStageIds():
        info = tracker.getStageInfo(stage_id)
        if info is not None:
            done, total = done + info.numCompletedTasks, total + info.numTasks
    return done, total


def _step(spark: SparkSession, name: str, action: Callable[[], T], progress: Progress) -> T:
    """Run ``action`` (which starts Spark jobs) and report ``progress(name, tasks done, tasks)`` while it runs.

    The action runs in a helper thread so that the caller's thread (a Streamlit view) reports the progress.
    """
    if progress is quiet or _is_connect(spark):
        return action()
    progress(name, 0, 1)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="journeylens-spark") as pool:
        future = pool.submit(action)
        while True:
            try:
                result = future.result(timeout=_POLL_SECONDS)
            except FutureTimeout:
                done, total = _tasks(spark)
                if total:
                    progress(name, done, total)
                continue
            progress(name, 1, 1)
            return result


def _read(spark: SparkSession, source: pl.DataFrame | str | Path) -> tuple[SparkFrame, pl.Schema]:
    """A Spark frame of the events with their input position (``_file``, ``_row``) and their Polars schema.

    A folder written by :func:`prepare_to_parquet_spark` keeps its person groups (``_part``); a path is read by
    the executors (only its schema and file names reach the driver); a frame in memory is sent from the driver.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415

    if isinstance(source, pl.DataFrame):
        frame = source.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64), pl.lit(0, pl.Int32).alias(FILE))
        return spark.createDataFrame(_to_arrow(frame, arrow_schema(frame.schema))), source.schema
    path = Path(source)
    files: list[str] = []
    if "://" in str(source):  # a cluster file system (hdfs://, s3a://): Spark lists it, the schema comes from Spark
        reader, schema = spark.read.parquet(str(source)), None
    elif path.is_dir() and any(path.glob(f"{PART}=*")):
        reader, schema = spark.read.parquet(str(path)), scan_events(path).collect_schema()
    else:
        schema = scan_events(source).collect_schema()
        files = [str(p) for p in sorted(path.rglob("*.parquet"))] if path.is_dir() else [str(source)]
        reader = spark.read.parquet(*files)
    sdf = _numbered_files(spark, reader.select("*", F.col("_metadata.file_path").alias(FILE),
                                               F.col("_metadata.row_index").alias(ROW)), single=len(files) == 1)
    if schema is None:
        from pyspark.sql.pandas.types import to_arrow_schema  # noqa: PLC0415

        empty = pl.from_arrow(to_arrow_schema(reader.schema).empty_table())
        assert isinstance(empty, pl.DataFrame)
        schema = pl.Schema({c: t for c, t in empty.schema.items() if c != PART})
    return sdf, pl.Schema({c: t for c, t in schema.items() if c != PART})


def _numbered_files(spark: SparkSession, sdf: SparkFrame, *, single: bool) -> SparkFrame:
    """Replace each row's file path (``_file``) by the file's number in path order.

    The order of the files and the row numbers inside them is the input order that the maps restore; a number
    instead of a path keeps a 70-byte string per event out of every shuffle and Arrow batch (about 40% of a
    generated event's bytes). The numbers come from the paths as Spark writes them (one small distinct job), so
    every row finds its number.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415

    if single:
        return sdf.withColumn(FILE, F.lit(0).cast("int"))
    paths = sorted(row[0] for row in sdf.select(FILE).distinct().collect())
    numbers = spark.createDataFrame(list(enumerate(paths)), f"_file_no int, {FILE} string")
    return sdf.join(F.broadcast(numbers), FILE).drop(FILE).withColumnRenamed("_file_no", FILE)


def _route(sdf: SparkFrame, schema: pl.Schema, partitions: int) -> SparkFrame:
    """Add ``_part``: the hash group of each event's identity component (see analysis.engine.partition).

    The components are found by Spark joins (:func:`analysis.engine.spark_identity.route_labels`); no link is
    collected to the driver. Each event is keyed by its user id, else its device id, and joined to the labels
    once (one shuffle of the events, not one per identifier column).
    """
    from pyspark.sql import functions as F  # noqa: PLC0415

    user = F.col(s.USER_ID) if s.USER_ID in schema else F.lit(None).cast("string")
    anon = F.col(s.ANONYMOUS_ID) if s.ANONYMOUS_ID in schema else F.lit(None).cast("string")
    out = sdf.withColumn(ROUTE, F.when(user.isNotNull(), F.concat(F.lit(USER_NODE), user))
                         .otherwise(F.concat(F.lit(DEVICE_NODE), anon)))
    if s.USER_ID in schema and s.ANONYMOUS_ID in schema:
        labels = route_labels(sdf, list(schema.names()))
        out = out.join(labels.select(F.col("node").alias(ROUTE), F.col("label").alias("_label")), ROUTE, "left")
        route = F.coalesce(F.col("_label"), F.col(ROUTE))
    else:
        route = F.col(ROUTE)
    return out.withColumn(PART, F.pmod(F.xxhash64(route), F.lit(partitions)).cast("int")).drop(ROUTE, "_label")


def _apply(sdf: SparkFrame, fn: Callable[[pl.DataFrame], pl.DataFrame], in_schema: pl.Schema, out: pl.Schema,
           *, keep_part: bool = False) -> SparkFrame:
    from pyspark.sql.pandas.types import from_arrow_schema  # noqa: PLC0415

    full = pl.Schema({**dict(out), PART: pl.Int32(), ROW: pl.Int64()}) if keep_part else out
    target = arrow_schema(full)
    with quiet_pandas_warning():
        return sdf.groupBy(PART).applyInArrow(_mapper(fn, in_schema, target, keep_part=keep_part),
                                              from_arrow_schema(target))


def _collect(sdf: SparkFrame, stage: Stage, schema: pl.Schema) -> pl.DataFrame:
    from pyspark.sql import functions as F  # noqa: PLC0415

    if stage.keys is not None:
        aggs = [getattr(F, how)(c).alias(c) for c, how in stage.aggs.items()]
        sdf = sdf.groupBy(*stage.keys).agg(*aggs) if stage.keys else sdf.agg(*aggs)
    return _finish(stage, _from_arrow(sdf.toArrow(), schema).select(schema.names()))


def _finish(stage: Stage, merged: pl.DataFrame) -> pl.DataFrame:
    """The merged partials in the stage's order, finished (the same row order on every engine)."""
    if stage.order and merged.height:
        merged = merged.sort(list(stage.order), maintain_order=True)
    return stage.finish(merged)


def _groups(spark: SparkSession, sdf: SparkFrame, source: object, partitions: int | None,
            events_per_group: int | None) -> int:
    """The number of person groups: ``partitions`` when given, else from the number of events (one count)."""
    if partitions is not None:
        if partitions < 1:
            raise AnalysisError(f"partitions must be at least 1, got {partitions}")
        return partitions
    target = events_per_group if events_per_group is not None else int(
        spark.conf.get(GROUPS_CONF, None) or EVENTS_PER_GROUP)
    events = source.height if isinstance(source, pl.DataFrame) else sdf.count()
    return group_count(events, events_per_group=target)


def _grouped(spark: SparkSession, source: pl.DataFrame | str | Path, *, partitions: int | None,
             events_per_group: int | None, before: Stage | None, progress: Progress
             ) -> tuple[SparkFrame, pl.Schema, pl.Schema]:
    """The events with their person group (``_part``), ``before`` applied; their schema and the maps' input's."""
    sdf, schema = _read(spark, source)
    if PART in sdf.columns:  # already grouped by person (prepare_to_parquet_spark's output): keep the groups
        routed = sdf
    else:
        groups = _groups(spark, sdf, source, partitions, events_per_group)
        routed = _step(spark, "identity", lambda: _route(sdf, schema, groups), progress)
    in_schema = pl.Schema({**dict(schema), ROW: pl.Int64(), FILE: pl.Int32()})
    if before is not None:
        prepared_schema = before.schema(schema)
        routed = _apply(routed, before.map, in_schema, prepared_schema, keep_part=True)
        schema, in_schema = prepared_schema, pl.Schema({**dict(prepared_schema), ROW: pl.Int64()})
    return routed, schema, in_schema


def run_spark(
    source: pl.DataFrame | str | Path,
    stages: Mapping[str, Stage],
    *,
    spark: SparkSession | None = None,
    partitions: int | None = None,
    events_per_group: int | None = None,
    before: Stage | None = None,
    progress: Progress = quiet,
) -> dict[str, pl.DataFrame]:
    """Run ``stages`` on Spark: the same maps as :func:`analysis.engine.run_embedded`, merged by Spark.

    ``before`` (a row-level stage such as the prepare stage) runs first on every person group; its output is cached
    and each stage then maps over it. The groups number ``partitions``, or, when None, follow the data: about
    ``events_per_group`` events each (default :data:`EVENTS_PER_GROUP`). ``progress(step, done, total)`` hears the
    tasks done of each step while Spark works.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.attribution.stage import paths_stage
    >>> from analysis.prepare.stage import prepare_stage
    >>> out = run_spark(generate_sample(50, seed=1).events, {"paths": paths_stage()},
    ...                 before=prepare_stage())  # doctest: +SKIP
    """
    spark = spark if spark is not None else spark_session()
    folders = person_parts(source) if before is None else []
    if folders:  # prepared person groups on a shared file system: each task reads its own group's files
        schema = _folder_schema(str(source))
        return {name: _step(spark, name, partial(_rows_from_folders, spark, folders, stage, schema)
                            if stage.keys is None else
                            partial(_collect, _map_folders(spark, folders, stage, schema), stage, stage.schema(schema)),
                            progress)
                for name, stage in stages.items()}
    routed, schema, in_schema = _grouped(spark, source, partitions=partitions, events_per_group=events_per_group,
                                        before=before, progress=progress)
    if before is not None:
        routed = routed.cache()
    results: dict[str, pl.DataFrame] = {}
    try:
        for name, stage in stages.items():
            out_schema = stage.schema(schema)
            read = stage.inputs(schema)  # only the columns the map reads are shuffled and sent to Python
            engine_cols = [c for c in in_schema.names() if c not in schema]
            mapped = _apply(routed.select(*read, *engine_cols, PART), stage.map,
                            pl.Schema({c: in_schema[c] for c in (*read, *engine_cols)}), out_schema)
            results[name] = _step(spark, name, partial(_collect, mapped, stage, out_schema), progress)
    finally:
        if before is not None:
            routed.unpersist()
    return results


def prepare_to_parquet_spark(
    source: pl.DataFrame | str | Path,
    out_dir: str | Path,
    *,
    before: Stage,
    spark: SparkSession | None = None,
    partitions: int | None = None,
    events_per_group: int | None = None,
    progress: Progress = quiet,
) -> list[Path]:
    """Run ``before`` (prepare) per person group and let the executors write ``out_dir/_part=<group>/*.parquet``.

    Each folder holds whole persons, rows in the stage's order (user, time); nothing event-sized reaches the
    driver. :func:`run_spark` on ``out_dir`` reuses these groups. Returns the group folders.

    Examples
    --------
    >>> from analysis.prepare.stage import prepare_stage
    >>> prepare_to_parquet_spark("events/", "prepared/", before=prepare_stage())  # doctest: +SKIP
    """
    spark = spark if spark is not None else spark_session()
    target = str(out_dir)
    if "://" not in target:
        return _prepare_to_folders(spark, source, Path(target), before=before, partitions=partitions,
                                   events_per_group=events_per_group, progress=progress)
    routed, schema, _ = _grouped(spark, source, partitions=partitions, events_per_group=events_per_group,
                                        before=before, progress=progress)
    # sorted by group then output position, so the writer keeps each group's row order (no sort of its own)
    ordered = routed.sortWithinPartitions(PART, ROW).select(*schema.names(), PART)
    _step(spark, "write", lambda: ordered.write.mode("overwrite").partitionBy(PART).parquet(target), progress)
    return []


def _prepare_to_folders(spark: SparkSession, source: pl.DataFrame | str | Path, out: Path, *, before: Stage,
                        partitions: int | None, events_per_group: int | None, progress: Progress) -> list[Path]:
    """:func:`prepare_to_parquet_spark` on a path every executor sees (this machine, or a shared file system).

    Each task prepares its person group and writes it with Polars to ``out/_part=<group>/part-00000.parquet``; only
    the group's row count comes back. The prepared events never return to the JVM, so Spark neither converts them
    from Arrow, nor sorts them, nor runs its own Parquet writer (at 10M events on ``local[2]`` that was two thirds of
    prepare's time, docs/performance.md).
    """
    routed, _, in_schema = _grouped(spark, source, partitions=partitions, events_per_group=events_per_group,
                                        before=None, progress=progress)
    out = out.resolve()
    shutil.rmtree(out, ignore_errors=True)  # overwrite, as Spark's writer did
    out.mkdir(parents=True)
    written = pl.Schema({PART: pl.Int32(), "rows": pl.Int64()})
    writer = _folder_writer(before.map, in_schema, out)
    from pyspark.sql.pandas.types import from_arrow_schema  # noqa: PLC0415

    with quiet_pandas_warning():
        done = routed.groupBy(PART).applyInArrow(writer, from_arrow_schema(arrow_schema(written)))
    _step(spark, "prepare", done.collect, progress)
    (out / PERSON_PARTS).touch()
    return sorted(out.glob(f"{PART}=*"))


def _folder_writer(fn: Callable[[pl.DataFrame], pl.DataFrame], in_schema: pl.Schema, out: Path
                   ) -> Callable[[tuple[Any, ...], pa.Table], pa.Table]:
    """For applyInArrow: restore the input order, run ``fn`` and write the group's result under ``out``."""
    def run(key: tuple[Any, ...], table: pa.Table) -> pa.Table:
        result = _map_group(fn, table, in_schema)
        folder = out / f"{PART}={key[0]}"
        folder.mkdir(parents=True, exist_ok=True)
        result.write_parquet(folder / "part-00000.parquet")
        return pa.table({PART: pa.array([key[0]], pa.int32()), "rows": pa.array([result.height], pa.int64())})
    return run


def _folder_schema(source: str | Path) -> pl.Schema:
    return pl.Schema({c: t for c, t in scan_events(source).collect_schema().items() if c != PART})


def _map_folders(spark: SparkSession, folders: list[Path], stage: Stage, schema: pl.Schema, *,
                 sink: Path | None = None) -> SparkFrame:
    """``stage.map`` on each person group (a folder or a file), one task per group: the task reads it with Polars (only
    the columns the map reads), so no event crosses the JVM; Spark schedules the tasks and merges their partials.

    With ``sink``, each task writes its partial to ``sink/part-<group>.parquet`` and returns only its row count.
    """
    from pyspark.sql.pandas.types import from_arrow_schema  # noqa: PLC0415

    out = arrow_schema(stage.schema(schema) if sink is None else pl.Schema({"rows": pl.Int64()}))
    columns, fn = stage.inputs(schema), stage.map

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for number, path in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                files = sorted(Path(path).glob("*.parquet")) if Path(path).is_dir() else [Path(path)]
                result = fn(pl.read_parquet(files, columns=columns))
                if sink is not None:
                    result.write_parquet(sink / f"part-{number:06d}.parquet")
                    result = pl.DataFrame({"rows": [result.height]}, schema={"rows": pl.Int64()})
                yield from _to_arrow(result, out).to_batches()

    rows = [(i, str(f.resolve())) for i, f in enumerate(folders)]
    tasks = spark.createDataFrame(rows, "number int, path string").repartition(len(rows))
    with quiet_pandas_warning():
        return tasks.mapInArrow(run, from_arrow_schema(out))


def _rows_from_folders(spark: SparkSession, folders: list[Path], stage: Stage, schema: pl.Schema) -> pl.DataFrame:
    """A row-level stage (one row per person, e.g. persona features) over person groups: the tasks write the rows
    beside the groups and this process reads the files, so a person-sized result never passes Spark's result
    channel to the driver (``spark.driver.maxResultSize``)."""
    sink = folders[0].parent.parent / f".journeylens-{stage.name}-{uuid.uuid4().hex}"
    sink.mkdir()
    try:
        _map_folders(spark, folders, stage, schema, sink=sink.resolve()).collect()
        files = sorted(sink.glob("part-*.parquet"))
        out_schema = stage.schema(schema)
        # one read of every part (no list of frames concatenated into a second copy)
        merged = pl.read_parquet(files) if files else pl.DataFrame(schema=out_schema)
    finally:
        shutil.rmtree(sink, ignore_errors=True)
    return _finish(stage, merged.select(out_schema.names()))
