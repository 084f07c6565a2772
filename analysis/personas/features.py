"""Per-user behavioural features from prepared events: the input of persona clustering.

One row per user, one column per feature, all computed with vectorised Polars. Column names carry their group as
a prefix so that profiles can speak about them: ``event:<name>`` (event counts), ``pair:<a> > <b>`` (consecutive
event pairs, optional), ``channel:<name>`` (share of the user's sessions arriving through the channel),
``device:<value>`` and ``<column>:<value>`` (share of the user's events), and the scalars ``events`` (frequency),
``revenue`` (monetary), ``recency_days``, ``sessions`` and ``days_between_sessions``.

Rows are taken in user-then-time order (prepared events already are, so the sort is skipped) and every per-user sum
is one ``numpy.bincount`` over dense user codes: no hash group-by over the events. A session is a run of consecutive
events of a user sharing a ``session_id`` (the one rule of :func:`analysis.prepare.sessions.session_starts`).

Event columns hold raw counts here; :class:`EventWeighter` turns them into shares or tf-idf inside the model's
pipeline, where the idf learned on the training users is kept for labelling new data.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal, Self, get_args

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.personas._rows import SESSION_START, UserIndex, ordered

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
    as_of: datetime | None = None,
) -> pl.DataFrame:
    """One row per user with behavioural features (see the module docstring for the columns).

    Parameters
    ----------
    events
        Prepared events (:func:`analysis.prepare`): sessions are their ``session_id``. Events without one (not
        prepared) are split into sessions by the default gap of :func:`analysis.prepare.sessions.session_starts`.
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
    ev = ordered(events, columns)
    if ev.height == 0:
        raise AnalysisError("no events with a user_id or anonymous_id to build user features from")
    idx = UserIndex.of(ev)
    vocab = list(vocabulary) if vocabulary is not None else None
    n_events = np.bincount(idx.code, minlength=idx.n).astype(np.float64)
    blocks: list[tuple[list[str], np.ndarray]] = [(["events"], n_events[:, None])]

    if "events" in groups:
        blocks.append(_counts(idx, ev[s.EVENT], "event", top_events, vocab))
    if "pairs" in groups:
        pair = ev[s.EVENT] + PAIR_SEPARATOR + ev[s.EVENT].shift(-1)
        has_next = np.r_[~idx.new_user[1:], False]
        blocks.append(_counts(idx, pair.set(pl.Series(~has_next), None), "pair", top_events, vocab))
    starts = np.flatnonzero(ev[SESSION_START].to_numpy())  # positions of each session's first event
    s_code = idx.code[starts]
    n_sessions = np.bincount(s_code, minlength=idx.n).astype(np.float64)
    if "channels" in groups and s.CHANNEL in ev.columns:
        names, counts = _counts(UserIndex.subset(idx, s_code), ev[s.CHANNEL].gather(starts), "channel",
                                top_values, vocab)
        blocks.append((names, counts / n_sessions[:, None]))
    if "devices" in groups and DEVICE in ev.columns:
        names, counts = _counts(idx, ev[DEVICE], DEVICE, top_values, vocab)
        blocks.append((names, counts / n_events[:, None]))
    for column in columns:
        values = ev[column]
        if values.dtype.is_numeric():
            x = values.cast(pl.Float64).fill_nan(None)
            total = np.bincount(idx.code, weights=x.fill_null(0.0).to_numpy(), minlength=idx.n)
            seen = np.bincount(idx.code, weights=x.is_not_null().to_numpy().astype(float), minlength=idx.n)
            blocks.append(([f"{column}:mean"], np.divide(total, seen, out=np.zeros(idx.n), where=seen > 0)[:, None]))
        else:
            names, counts = _counts(idx, values, column, top_values, vocab)
            blocks.append((names, counts / n_events[:, None]))
    ts = ev[s.TIMESTAMP].dt.epoch("us").to_numpy()
    if "rfm" in groups:
        end_us = ts.max() if as_of is None else int(pl.Series([as_of]).dt.epoch("us")[0])
        revenue = (ev[s.REVENUE].fill_nan(None).fill_null(0.0).to_numpy() if s.REVENUE in ev.columns
                   else np.zeros(ev.height))
        last = ts[np.r_[idx.starts[1:], ev.height] - 1]  # events are in time order within each user
        blocks.append((["revenue", "recency_days"],
                       np.c_[np.bincount(idx.code, weights=revenue, minlength=idx.n),
                             np.maximum(end_us - last, 0) / 86_400e6]))
    if "sessions" in groups:
        s_ts = ts[starts]
        is_last = np.r_[s_code[1:] != s_code[:-1], True]
        span_days = (s_ts[is_last] - ts[idx.starts]) / 86_400e6
        between = np.divide(span_days, n_sessions - 1, out=np.zeros(idx.n), where=n_sessions > 1)
        blocks.append((["sessions", "days_between_sessions"], np.c_[n_sessions, between]))
    if "rfm" not in groups and "sessions" not in groups:
        blocks = blocks[1:]
    out = _frame(idx.users, blocks)
    if vocab is not None:
        absent = [c for c in vocab if c not in out.columns]
        out = out.with_columns(pl.lit(0.0).alias(c) for c in absent).select(s.USER_ID, *vocab)
    return out


def event_columns(features: Sequence[str]) -> list[str]:
    """The names among ``features`` that hold event or event-pair counts."""
    return [c for c in features if c.startswith(("event:", "pair:"))]


def _top_values(values: pl.Series, prefix: str, top: int, vocab: list[str] | None) -> list[str]:
    """Values to keep: those named in ``vocab``, else the ``top`` most frequent (ties by name)."""
    if vocab is not None:
        return [c.split(":", 1)[1] for c in vocab if c.startswith(prefix + ":")]
    counts = values.drop_nulls().value_counts(name="len").sort(["len", values.name], descending=[True, False])
    return counts.head(top)[values.name].to_list()


def _counts(idx: UserIndex, values: pl.Series, prefix: str, top: int,
            vocab: list[str] | None) -> tuple[list[str], np.ndarray]:
    """Per user (rows of ``idx``): how often each kept value occurs, as ``prefix:value`` columns."""
    values = values.cast(pl.String).fill_null("(none)") if prefix != "pair" else values.cast(pl.String)
    keep = _top_values(values, prefix, top, vocab)
    codes = values.replace_strict(keep, list(range(len(keep))), default=-1, return_dtype=pl.Int64).fill_null(-1)
    cat = codes.to_numpy()
    mask = cat >= 0
    flat = np.bincount(idx.code[mask] * len(keep) + cat[mask], minlength=idx.n * len(keep))
    return [f"{prefix}:{v}" for v in keep], flat.reshape(idx.n, len(keep)).astype(np.float64)


def _frame(users: pl.Series, blocks: list[tuple[list[str], np.ndarray]]) -> pl.DataFrame:
    """``user_id`` plus one Float64 column per named column of each block."""
    columns = [users.alias(s.USER_ID).cast(pl.String)]
    columns += [pl.Series(name, np.ascontiguousarray(values[:, i]), dtype=pl.Float64)
                for names, values in blocks for i, name in enumerate(names)]
    return pl.DataFrame(columns)


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
