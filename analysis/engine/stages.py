"""Analyses written as a map over person partitions and a merge of partials.

A :class:`Stage` is what an engine runs: ``map`` turns the events of one person-complete partition into a partial
frame (Polars inside, no knowledge of the engine), and the merge either concatenates row-level partials
(``keys=None``: prepared events, per-user features) or groups the partials by ``keys`` and combines the value
columns with ``aggs`` (``"sum"`` for counts and values, ``"max"``/``"min"`` for extremes), then ``finish`` turns the
merged frame into the result. Every engine uses the same ``map``; only where it runs and how it merges differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal

import polars as pl

from analysis import schema as s
from analysis.attribution.paths import Touch, aggregate_paths, journey_paths
from analysis.filters import filter_dates
from analysis.funnels import BREAKDOWN, FunnelSpec, funnel_table, funnel_units
from analysis.journeys import journeys
from analysis.personas.features import DEVICE, user_features
from analysis.prepare import prepare
from analysis.vocabulary import OTHER

Agg = Literal["sum", "max", "min"]
Frame = Callable[[pl.DataFrame], pl.DataFrame]
SchemaFn = Callable[[pl.Schema], pl.Schema]


def _identity(frame: pl.DataFrame) -> pl.DataFrame:
    return frame


@dataclass(frozen=True)
class Stage:
    """One analysis as map and merge (see the module docstring).

    ``schema`` gives the map's output schema from its input schema (engines that must declare it up front, like
    Spark, need it). ``order`` sorts the merged result so that every engine returns the same row order.
    """

    name: str
    map: Frame
    schema: SchemaFn
    keys: tuple[str, ...] | None = None
    aggs: Mapping[str, Agg] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    finish: Frame = _identity

    def merge(self, partials: Sequence[pl.DataFrame]) -> pl.DataFrame:
        """Merge partial frames in Polars (the embedded engine's merge; Spark runs the same as an aggregation)."""
        frames = [p for p in partials if p.height] or list(partials[:1])
        merged = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=self.schema(pl.Schema()))
        return self.finish(self.combine(merged))

    def combine(self, merged: pl.DataFrame) -> pl.DataFrame:
        """Group concatenated partials by ``keys`` and combine their values, then sort by ``order``."""
        if self.keys is not None:
            exprs = [getattr(pl.col(c), how)().alias(c) for c, how in self.aggs.items()]
            merged = merged.group_by(list(self.keys)).agg(exprs) if self.keys else merged.select(exprs)
        return merged.sort(list(self.order), maintain_order=True) if self.order and merged.height else merged


def after_prepare(
    stage: Stage, *, session_gap: timedelta = timedelta(minutes=30), channel_rules: pl.DataFrame | None = None
) -> Stage:
    """The same stage run on raw events: each partition is prepared first (stitching needs whole persons)."""
    def run(part: pl.DataFrame) -> pl.DataFrame:
        return stage.map(prepare(part, session_gap=session_gap, channel_rules=channel_rules))

    def schema(raw: pl.Schema) -> pl.Schema:
        return stage.schema(prepared_schema(raw))

    return replace(stage, name=f"prepare+{stage.name}", map=run, schema=schema)


def prepared_schema(raw: pl.Schema) -> pl.Schema:
    """The columns :func:`analysis.prepare.prepare` returns for input columns ``raw``."""
    out: dict[str, pl.DataType] = dict(raw)
    for name in (s.USER_ID, s.CHANNEL, s.SESSION_ID):
        out.setdefault(name, pl.String())
    return pl.Schema(out)


def prepare_stage(
    *,
    session_gap: timedelta = timedelta(minutes=30),
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
    def run(part: pl.DataFrame) -> pl.DataFrame:
        if part.height:
            out = prepare(part, session_gap=session_gap, channel_rules=channel_rules)
            return filter_dates(out, *date_range) if date_range is not None else out
        added = [c for c in (s.USER_ID, s.CHANNEL, s.SESSION_ID) if c not in part.columns]
        return part.with_columns(pl.lit(None, pl.String).alias(c) for c in added)

    return Stage("prepare", run, prepared_schema, keys=None, order=(s.USER_ID, s.TIMESTAMP))


def dates_stage(start: date, end: date) -> Stage:
    """Keep the events of whole days ``start`` .. ``end`` (row level; for events prepared earlier)."""
    return Stage("dates", lambda part: filter_dates(part, start, end), lambda schema: schema, keys=None,
                 order=(s.USER_ID, s.TIMESTAMP))


_PATH_SCHEMA = pl.Schema(
    {"path": pl.List(pl.String()), "conversions": pl.Int64(), "nulls": pl.Int64(), "value": pl.Float64()}
)


def paths_stage(
    *,
    conversion_events: Sequence[str] = ("purchase",),
    lookback: timedelta | None = timedelta(days=30),
    touch: Touch = "channel",
    collapse_repeats: bool = False,
    first_conversion_only: bool = False,
) -> Stage:
    """Conversion paths (``path``, ``conversions``, ``nulls``, ``value``) from prepared events; partials add up.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> st = paths_stage()
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))]).columns
    ['path', 'conversions', 'nulls', 'value']
    """
    def run(part: pl.DataFrame) -> pl.DataFrame:
        if not part.height:
            return pl.DataFrame(schema=_PATH_SCHEMA)
        journeys = journey_paths(part, conversion_events=conversion_events, lookback=lookback, touch=touch,
                                 collapse_repeats=collapse_repeats, first_conversion_only=first_conversion_only)
        return aggregate_paths(journeys)

    def finish(merged: pl.DataFrame) -> pl.DataFrame:
        return merged.select(_PATH_SCHEMA.names())

    return Stage("paths", run, lambda _: _PATH_SCHEMA, keys=("path",),
                 aggs={"conversions": "sum", "nulls": "sum", "value": "sum"}, order=("path",), finish=finish)


_VOCAB_SCHEMA = pl.Schema({"group": pl.String(), "value": pl.String(), "n": pl.Int64(), "last": s.TIMESTAMP_DTYPE})


def vocabulary_stage() -> Stage:
    """What persona features need from the whole data: value counts per feature group and the last event time.

    Counts follow :func:`analysis.personas.features.user_features`: events per event name, sessions per channel
    (the session's first non-null channel), events per device. Run on prepared events.
    """
    def run(part: pl.DataFrame) -> pl.DataFrame:
        if not part.height:
            return pl.DataFrame(schema=_VOCAB_SCHEMA)
        last = part[s.TIMESTAMP].max()
        counts = [part.group_by(value=pl.col(s.EVENT).fill_null("(none)")).len().with_columns(group=pl.lit("event"))]
        if s.CHANNEL in part.columns:
            sessions = part.group_by(s.USER_ID, s.SESSION_ID).agg(
                value=pl.col(s.CHANNEL).drop_nulls().first().fill_null("(none)"))
            counts.append(sessions.group_by("value").len().with_columns(group=pl.lit("channel")))
        if DEVICE in part.columns:
            counts.append(part.group_by(value=pl.col(DEVICE).cast(pl.String).fill_null("(none)")).len()
                          .with_columns(group=pl.lit(DEVICE)))
        return pl.concat([c.select("group", "value", n=pl.col("len").cast(pl.Int64)) for c in counts]).with_columns(
            last=pl.lit(last, s.TIMESTAMP_DTYPE))

    return Stage("vocabulary", run, lambda _: _VOCAB_SCHEMA, keys=("group", "value"),
                 aggs={"n": "sum", "last": "max"}, order=("group", "value"))


def feature_vocabulary(counts: pl.DataFrame, *, top_events: int = 100, top_values: int = 20) -> list[str]:
    """The feature columns :func:`user_features` would pick (most frequent first, ties by name), from counts."""
    top = {"event": top_events, "channel": top_values, DEVICE: top_values}
    names: list[str] = []
    for group in ("event", "channel", DEVICE):
        kept = counts.filter(pl.col("group") == group).sort(["n", "value"], descending=[True, False]).head(top[group])
        names += [f"{group}:{v}" for v in kept["value"].to_list()]
    return names


def features_stage(vocabulary: Sequence[str], *, as_of: datetime) -> Stage:
    """Per-user persona features (row level) with the whole data's vocabulary and recency reference.

    Column order follows :func:`user_features` on the whole data: ``user_id``, ``events``, the event, channel and
    device columns, then ``revenue``, ``recency_days``, ``sessions``, ``days_between_sessions``.
    """
    vocab = list(vocabulary)
    columns = ["events", *[c for c in vocab if c.startswith("event:")],
               *[c for c in vocab if c.startswith("channel:")], *[c for c in vocab if c.startswith(f"{DEVICE}:")],
               "revenue", "recency_days", "sessions", "days_between_sessions"]
    types: dict[str, pl.DataType] = {s.USER_ID: pl.String(), **dict.fromkeys(columns, pl.Float64())}
    schema = pl.Schema(types)

    def run(part: pl.DataFrame) -> pl.DataFrame:
        if not part.height:
            return pl.DataFrame(schema=schema)
        return user_features(part, vocabulary=columns, as_of=as_of)

    return Stage("features", run, lambda _: schema, keys=None, order=(s.USER_ID,))


def sum_stage(name: str, run: Frame, schema: pl.Schema, *, keys: Sequence[str], values: Sequence[str],
              finish: Frame = _identity) -> Stage:
    """A stage whose partials add up: ``values`` summed per ``keys``."""
    return Stage(name, run, lambda _: schema, keys=tuple(keys), aggs=dict.fromkeys(values, "sum"),
                 order=tuple(keys), finish=finish)


def funnel_stage(spec: FunnelSpec) -> Stage:
    """A funnel (:func:`analysis.funnels.funnel`) as map and merge, from prepared events.

    The map is :func:`analysis.funnels.funnel_units` (one row per counted unit with the time of each step, rare
    breakdown values not yet folded); the merge concatenates the units, folds breakdown values outside the
    whole data's ``top_n`` into "Other" and summarises with :func:`analysis.funnels.funnel_table`, so medians are
    exact.

    Examples
    --------
    >>> from analysis.sample import FUNNEL_STEPS, generate_sample
    >>> from analysis.funnels import funnel_spec
    >>> st = funnel_stage(funnel_spec(list(FUNNEL_STEPS)))
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))])["step"].to_list()
    [1, 2, 3, 4]
    """
    unfolded = replace(spec, top_n=None)  # fold rare breakdown values only once all units are merged

    def run(part: pl.DataFrame) -> pl.DataFrame:
        return funnel_units(part, unfolded)

    def schema(columns: pl.Schema) -> pl.Schema:
        return run(pl.DataFrame(schema=columns)).schema

    def finish(units: pl.DataFrame) -> pl.DataFrame:
        if BREAKDOWN in units.columns and spec.top_n is not None:
            top = (units.group_by(BREAKDOWN).len().sort(["len", BREAKDOWN], descending=[True, False])
                   .head(spec.top_n)[BREAKDOWN])
            units = units.with_columns(pl.when(pl.col(BREAKDOWN).is_in(top.implode())).then(pl.col(BREAKDOWN))
                                       .otherwise(pl.lit(OTHER)).alias(BREAKDOWN))
        return funnel_table(units, spec)

    return Stage("funnel", run, schema, keys=None, order=("entered_at", s.USER_ID), finish=finish)


def journeys_stage(*, conversion_events: Sequence[str] = ("purchase",), lookback: timedelta | None = None) -> Stage:
    """Journeys (:func:`analysis.journeys.journeys`, row level: one row per journey per person) from prepared events.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> st = journeys_stage()
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))]).columns[:2]
    ['user_id', 'journey']
    """
    def run(part: pl.DataFrame) -> pl.DataFrame:
        return journeys(part, conversion_events=conversion_events, lookback=lookback)

    def schema(columns: pl.Schema) -> pl.Schema:
        return run(pl.DataFrame(schema=columns)).schema

    return Stage("journeys", run, schema, keys=None, order=(s.USER_ID, "journey"))
