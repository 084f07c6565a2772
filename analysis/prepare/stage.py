"""Prepare as map and merge: each person partition is stitched, channelled and sessionized on its own.

Identity components never cross partitions (the engines route by them), so preparing each partition equals
preparing the whole data. :func:`prepare_first` is what an analysis runs on each partition before its own map when
given raw events; :func:`prepare_events` and :func:`prepare_to_parquet` return or write the prepared events.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from analysis import schema as s
from analysis.engine import (
    PERSON_PARTS,
    Engine,
    EngineOptions,
    Source,
    Stage,
    engine_options,
    run,
    run_partitions,
    split,
)
from analysis.errors import AnalysisError
from analysis.filters import filter_dates
from analysis.prepare.pipeline import prepare
from analysis.vocabulary import SESSION_GAP


def prepared_schema(raw: pl.Schema) -> pl.Schema:
    """The columns :func:`~analysis.prepare.prepare` returns for input columns ``raw``."""
    out: dict[str, pl.DataType] = dict(raw)
    for name in (s.USER_ID, s.CHANNEL, s.SESSION_ID):
        out.setdefault(name, pl.String())
    return pl.Schema(out)


def prepare_stage(
    *,
    session_gap: timedelta = SESSION_GAP,
    channel_rules: pl.DataFrame | None = None,
    date_range: tuple[date, date] | None = None,
) -> Stage:
    """Prepared events (row level): stitched ``user_id``, ``channel``, ``session_id``, sorted by user and time.

    With ``date_range`` the prepared events are then cut to those days (:func:`analysis.filters.filter_dates`),
    as the app does with its sidebar range: sessions and identities come from all the data.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> st = prepare_stage()
    >>> st.merge([st.map(generate_sample(20, seed=1).events)])["session_id"].null_count()
    0
    """
    def run_one(part: pl.DataFrame) -> pl.DataFrame:
        if part.height:
            out = prepare(part, session_gap=session_gap, channel_rules=channel_rules)
            return filter_dates(out, *date_range) if date_range is not None else out
        added = [c for c in (s.USER_ID, s.CHANNEL, s.SESSION_ID) if c not in part.columns]
        return part.with_columns(pl.lit(None, pl.String).alias(c) for c in added)

    return Stage("prepare", run_one, prepared_schema, keys=None, order=(s.USER_ID, s.TIMESTAMP))


def dates_stage(start: date, end: date) -> Stage:
    """Keep the events of whole days ``start`` .. ``end`` (row level; for events prepared earlier)."""
    return Stage("dates", lambda part: filter_dates(part, start, end), lambda schema: schema, keys=None,
                 order=(s.USER_ID, s.TIMESTAMP))


def prepare_first(
    *,
    prepared: bool = False,
    session_gap: timedelta = SESSION_GAP,
    date_range: tuple[date, date] | None = None,
) -> Stage | None:
    """What runs on each partition before an analysis: prepare (and the date cut), or for events ``prepared``
    already only the date cut (nothing without ``date_range``); the ``before`` of :class:`EngineOptions`.

    Examples
    --------
    >>> prepare_first().name, prepare_first(prepared=True)
    ('prepare', None)
    """
    if not prepared:
        return prepare_stage(session_gap=session_gap, date_range=date_range)
    return dates_stage(*date_range) if date_range is not None else None


def prepare_events(
    source: Source,
    *,
    engine: Engine | EngineOptions = "polars",
    session_gap: timedelta = SESSION_GAP,
    channel_rules: pl.DataFrame | None = None,
    date_range: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """:func:`~analysis.prepare.prepare`, run per person partition on ``engine``; the same frame as the in-memory call.

    ``date_range`` then keeps whole days ``(start, end)`` (:func:`analysis.filters.filter_dates`).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> events = generate_sample(50, seed=1).events
    >>> prepare_events(events, engine=EngineOptions(partitions=2))["session_id"].null_count()
    0
    """
    options = engine_options(engine)
    if options.before is not None:
        raise AnalysisError("prepare_events prepares the events itself: give EngineOptions without 'before'")
    stage = prepare_stage(session_gap=session_gap, channel_rules=channel_rules, date_range=date_range)
    return run(source, stage, engine=options)


def prepare_to_parquet(
    source: Source,
    out_dir: str | Path,
    *,
    session_gap: timedelta = SESSION_GAP,
    channel_rules: pl.DataFrame | None = None,
    date_range: tuple[date, date] | None = None,
    engine: EngineOptions | None = None,
) -> list[Path]:
    """Prepare a source too big for memory: write ``out_dir/part-<i>.parquet``, each whole persons, sorted.

    ``engine`` gives the engine, partitions, working folder and progress. On Spark the executors write
    ``out_dir/_part=<group>/`` (:func:`analysis.engine.spark.prepare_to_parquet_spark`) and the group folders are
    returned; nothing event-sized reaches the driver.
    """
    options = engine or EngineOptions()
    before = prepare_stage(session_gap=session_gap, channel_rules=channel_rules, date_range=date_range)
    if options.engine == "spark":
        from analysis.engine.spark import prepare_to_parquet_spark  # noqa: PLC0415 (PySpark is optional)

        return prepare_to_parquet_spark(source, out_dir, before=before, spark=options.spark,
                                        partitions=options.partitions, progress=options.progress)
    out = Path(out_dir)
    for old in [*out.glob("part-*.parquet"), out / PERSON_PARTS]:  # overwrite: no part of an earlier run stays
        old.unlink(missing_ok=True)
    with split(source, partitions=options.embedded_partitions, workdir=options.workdir) as parts:
        run_partitions(parts, {}, before=before, keep=out_dir, progress=options.progress)
    (out / PERSON_PARTS).touch()  # the parts hold whole persons: analyses map them as they are
    return sorted(Path(out_dir).glob("part-*.parquet"))
