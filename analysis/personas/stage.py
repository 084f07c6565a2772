"""Persona features as map and merge, for the engines (Spark, out of core), in two passes over the data.

The first pass counts values over the whole data (:func:`vocabulary_stage`: which events, channels and devices
become columns, and the last event time); :func:`features_from_counts` turns the merged counts into the second
pass, :func:`features_stage`, which builds each partition's per-user rows with that vocabulary.
:func:`analysis.personas.user_features` runs both when given ``engine=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from analysis import schema as s
from analysis.engine import Engine, EngineOptions, Source, Stage, run_two_pass
from analysis.errors import AnalysisError
from analysis.personas.features import DEVICE, user_features

_VOCAB_SCHEMA = pl.Schema({"group": pl.String(), "value": pl.String(), "n": pl.Int64(), "last": s.TIMESTAMP_DTYPE})


def vocabulary_stage() -> Stage:
    """What persona features need from the whole data: value counts per feature group and the last event time.

    Counts follow :func:`analysis.personas.features.user_features`: events per event name, sessions per channel
    (the session's first non-null channel), events per device. Run on prepared events.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import generate_sample
    >>> st = vocabulary_stage()
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))]).columns
    ['group', 'value', 'n', 'last']
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
    """The feature columns :func:`user_features` would pick (most frequent first, ties by name), from counts.

    Examples
    --------
    >>> counts = pl.DataFrame({"group": ["event", "event", "channel"], "value": ["b", "a", "Email"],
    ...                        "n": [2, 5, 3]})
    >>> feature_vocabulary(counts, top_events=1)
    ['event:a', 'channel:Email']
    """
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


def features_on_engine(
    source: Source,
    *,
    engine: Engine | EngineOptions,
    top_events: int = 100,
    top_values: int = 20,
    as_of: datetime | None = None,
) -> pl.DataFrame:
    """Persona features (default groups) of ``source`` on ``engine``: the vocabulary pass, then the feature pass.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import generate_sample
    >>> features_on_engine(prepare(generate_sample(50, seed=1).events), engine="polars").columns[:2]
    ['user_id', 'events']
    """
    def then(counts: pl.DataFrame) -> Stage:
        return features_from_counts(counts, top_events=top_events, top_values=top_values, as_of=as_of)

    return run_two_pass(source, vocabulary_stage(), then, engine=engine)
