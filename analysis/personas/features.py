"""Per-user behavioural features from prepared events: the input of persona clustering.

One row per user, one column per feature, all computed with vectorised Polars. Column names carry their group as
a prefix so that profiles can speak about them: ``event:<name>`` (event counts), ``pair:<a> > <b>`` (consecutive
event pairs, optional), ``channel:<name>`` (share of the user's sessions arriving through the channel),
``device:<value>`` and ``<column>:<value>`` (share of the user's events), and the scalars ``events`` (frequency),
``revenue`` (monetary), ``recency_days``, ``sessions`` and ``days_between_sessions``.

Event columns hold raw counts here; :class:`EventWeighter` turns them into shares or tf-idf inside the model's
pipeline, where the idf learned on the training users is kept for labelling new data.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Literal, Self, get_args

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin

from analysis import schema as s
from analysis.errors import AnalysisError

FeatureGroup = Literal["events", "pairs", "channels", "rfm", "sessions", "devices"]
EventWeighting = Literal["share", "tfidf", "count"]
DEFAULT_GROUPS: tuple[FeatureGroup, ...] = ("events", "channels", "rfm", "sessions", "devices")
SCALARS = ("events", "revenue", "recency_days", "sessions", "days_between_sessions")
DEVICE = "device"
PAIR_SEPARATOR = " > "


def user_features(
    events: pl.DataFrame,
    *,
    groups: Collection[FeatureGroup] = DEFAULT_GROUPS,
    columns: Sequence[str] = (),
    top_events: int = 100,
    top_values: int = 20,
    vocabulary: Sequence[str] | None = None,
    session_gap: timedelta = timedelta(minutes=30),
    as_of: datetime | None = None,
) -> pl.DataFrame:
    """One row per user with behavioural features (see the module docstring for the columns).

    Parameters
    ----------
    events
        Prepared events (canonical schema, identities stitched). ``session_id`` is used when present, otherwise
        sessions are split at ``session_gap`` of inactivity.
    groups
        Which feature groups to compute.
    columns
        Extra event columns to describe users by: share of events per value for text columns (top
        ``top_values`` values), mean per user for numeric ones.
    top_events
        The most frequent events (and event pairs) kept as ``event:`` columns; rarer ones are dropped.
    vocabulary
        Exact feature columns to produce, in this order (missing ones filled with 0); used to label new data
        with a fitted model's columns.
    as_of
        The moment recency is measured from; the data's last event by default.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b"], "timestamp": [t, t, t], "event": ["x", "y", "x"]},
    ...                   schema_overrides={"timestamp": pl.Datetime("us", "UTC")})
    >>> user_features(ev, groups=["events"]).to_dicts()
    [{'user_id': 'a', 'event:x': 1.0, 'event:y': 1.0}, {'user_id': 'b', 'event:x': 1.0, 'event:y': 0.0}]
    """
    s.validate_events(events)
    unknown = sorted(set(groups) - set(get_args(FeatureGroup)))
    if unknown:
        raise AnalysisError(f"unknown feature group(s) {unknown}; valid: {list(get_args(FeatureGroup))}")
    missing = [c for c in columns if c not in events.columns]
    if missing:
        raise AnalysisError(f"feature column(s) {missing} not in the events; present: {events.columns}")
    user = s.person_key() if s.ANONYMOUS_ID in events.columns else pl.col(s.USER_ID)
    ev = events.select(
        user.alias(s.USER_ID),
        pl.col(s.TIMESTAMP),
        pl.col(s.EVENT).fill_null("(none)"),
        *[pl.col(c) for c in {s.SESSION_ID, s.CHANNEL, s.REVENUE, DEVICE, *columns} if c in events.columns],
    ).filter(pl.col(s.USER_ID).is_not_null())
    if ev.height == 0:
        raise AnalysisError("no events with a user_id or anonymous_id to build user features from")
    ev = _with_sessions(ev, session_gap)
    out = ev.group_by(s.USER_ID).agg(pl.len().cast(pl.Float64).alias("events")).sort(s.USER_ID)
    vocab = list(vocabulary) if vocabulary is not None else None

    parts: list[pl.DataFrame] = []
    if "events" in groups:
        parts.append(_counts(ev, s.EVENT, "event", top_events, vocab))
    if "pairs" in groups:
        pairs = ev.sort(s.USER_ID, s.TIMESTAMP, maintain_order=True).with_columns(
            (pl.col(s.EVENT) + PAIR_SEPARATOR + pl.col(s.EVENT).shift(-1).over(s.USER_ID)).alias("_pair")
        ).filter(pl.col("_pair").is_not_null())
        parts.append(_counts(pairs, "_pair", "pair", top_events, vocab))
    sessions = ev.group_by(s.USER_ID, s.SESSION_ID).agg(
        pl.col(s.TIMESTAMP).min().alias("_start"),
        *([pl.col(s.CHANNEL).drop_nulls().first().fill_null("(none)")] if s.CHANNEL in ev.columns else []),
    )
    if "channels" in groups and s.CHANNEL in ev.columns:
        parts.append(_shares(sessions, s.CHANNEL, "channel", top_values, vocab))
    if "devices" in groups and DEVICE in ev.columns:
        parts.append(_shares(ev, DEVICE, DEVICE, top_values, vocab))
    for column in columns:
        if ev.schema[column].is_numeric():
            parts.append(ev.group_by(s.USER_ID).agg(pl.col(column).cast(pl.Float64).mean().fill_null(0.0)
                                                    .alias(f"{column}:mean")))
        else:
            parts.append(_shares(ev, column, column, top_values, vocab))
    if "rfm" in groups:
        end = as_of if as_of is not None else ev[s.TIMESTAMP].max()
        revenue = pl.col(s.REVENUE).fill_nan(None).sum() if s.REVENUE in ev.columns else pl.lit(0.0)
        parts.append(ev.group_by(s.USER_ID).agg(
            revenue.cast(pl.Float64).alias("revenue"),
            ((pl.lit(end) - pl.col(s.TIMESTAMP).max()).dt.total_seconds() / 86_400).clip(0).alias("recency_days"),
        ))
    if "sessions" in groups:
        n = pl.len().cast(pl.Float64)
        span_days = (pl.col("_start").max() - pl.col("_start").min()).dt.total_seconds() / 86_400
        parts.append(sessions.group_by(s.USER_ID).agg(
            n.alias("sessions"),
            pl.when(n > 1).then(span_days / (n - 1)).otherwise(0.0).alias("days_between_sessions"),
        ))
    for part in parts:
        out = out.join(part, on=s.USER_ID, how="left", maintain_order="left")
    if "rfm" not in groups and "sessions" not in groups:
        out = out.drop("events")
    out = out.with_columns(pl.exclude(s.USER_ID).cast(pl.Float64).fill_null(0.0))
    if vocab is not None:
        absent = [c for c in vocab if c not in out.columns]
        out = out.with_columns(pl.lit(0.0).alias(c) for c in absent).select(s.USER_ID, *vocab)
    return out


def event_columns(features: Sequence[str]) -> list[str]:
    """The names among ``features`` that hold event or event-pair counts."""
    return [c for c in features if c.startswith(("event:", "pair:"))]


def _with_sessions(ev: pl.DataFrame, gap: timedelta) -> pl.DataFrame:
    """Add ``session_id`` by inactivity gap unless the events carry one."""
    if s.SESSION_ID in ev.columns and ev[s.SESSION_ID].null_count() == 0:
        return ev
    ordered = ev.sort(s.USER_ID, s.TIMESTAMP, maintain_order=True)
    new = (pl.col(s.TIMESTAMP).diff().over(s.USER_ID) > gap).fill_null(True)
    return ordered.with_columns(new.cum_sum().over(s.USER_ID).cast(pl.String).alias(s.SESSION_ID))


def _top_values(frame: pl.DataFrame, column: str, prefix: str, top: int, vocab: list[str] | None) -> list[str]:
    """Values of ``column`` to keep: those named in ``vocab``, else the ``top`` most frequent (ties by name)."""
    if vocab is not None:
        return [c.split(":", 1)[1] for c in vocab if c.startswith(prefix + ":")]
    counts = frame.group_by(column).len().sort(["len", column], descending=[True, False])
    return counts.head(top)[column].to_list()


def _counts(frame: pl.DataFrame, column: str, prefix: str, top: int, vocab: list[str] | None) -> pl.DataFrame:
    """Per user: how often each kept value of ``column`` occurs (``prefix:value`` columns)."""
    keep = _top_values(frame, column, prefix, top, vocab)
    counts = frame.filter(pl.col(column).is_in(keep)).group_by(s.USER_ID, column).len()
    return _pivot(counts, column, "len", prefix, keep)


def _shares(frame: pl.DataFrame, column: str, prefix: str, top: int, vocab: list[str] | None) -> pl.DataFrame:
    """Per user: the share of the user's rows with each kept value of ``column``."""
    keep = _top_values(frame.with_columns(pl.col(column).cast(pl.String).fill_null("(none)")), column, prefix,
                       top, vocab)
    counts = (
        frame.with_columns(pl.col(column).cast(pl.String).fill_null("(none)"))
        .group_by(s.USER_ID, column).len()
        .with_columns((pl.col("len") / pl.col("len").sum().over(s.USER_ID)).alias("share"))
        .filter(pl.col(column).is_in(keep))
    )
    return _pivot(counts, column, "share", prefix, keep)


def _pivot(long: pl.DataFrame, column: str, values: str, prefix: str, keep: list[str]) -> pl.DataFrame:
    """Wide frame ``user_id, prefix:value...`` with a column for every kept value, in ``keep`` order."""
    wide = long.pivot(on=column, on_columns=keep, index=s.USER_ID, values=values)
    return wide.select(s.USER_ID, *[pl.col(v).cast(pl.Float64).alias(f"{prefix}:{v}") for v in keep])


class EventWeighter(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Turn event-count columns into per-user shares, tf-idf or leave them as counts (first pipeline step).

    ``columns`` are the positions of the event-count columns in the feature matrix; other columns pass through.
    tf-idf uses scikit-learn's smooth idf, ``log((1 + n) / (1 + df)) + 1``, learned in ``fit`` as ``idf_``.

    Examples
    --------
    >>> EventWeighter(columns=[0, 1], mode="share").fit_transform(np.array([[1.0, 3.0, 7.0]])).tolist()
    [[0.25, 0.75, 7.0]]
    """

    def __init__(self, columns: Sequence[int] = (), mode: EventWeighting = "share") -> None:
        self.columns = columns
        self.mode = mode

    def fit(self, X: np.ndarray, y: object = None) -> Self:
        if self.mode not in get_args(EventWeighting):
            raise AnalysisError(f"event weighting {self.mode!r} is not one of {list(get_args(EventWeighting))}")
        cols = np.asarray(self.columns, dtype=int)
        df = (np.asarray(X)[:, cols] > 0).sum(axis=0)
        n = X.shape[0]
        self.idf_ = np.log((1 + n) / (1 + df)) + 1.0
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        out = np.array(X, dtype=np.float64, copy=True)
        cols = np.asarray(self.columns, dtype=int)
        if self.mode == "count" or cols.size == 0:
            return out
        counts = out[:, cols]
        total = counts.sum(axis=1, keepdims=True)
        tf = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
        out[:, cols] = tf * self.idf_ if self.mode == "tfidf" else tf
        return out
