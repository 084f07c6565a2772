"""Attribution by segment: the same models run on the journeys of each value of a person-level column.

A segment is a value of a column that describes people rather than events: a CRM segment, a lifecycle stage or a
region attached by ``prepare(events, people=...)``, or a persona label. Each person belongs to one segment (the
first non-null value of the column in their events, ``(none)`` without one), so the segments partition the
journeys: their conversions add up to the whole table's. A segment without a conversion is listed with that
reason and gets no credit rows, never a row of zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack, cast

import polars as pl

from analysis import schema as s
from analysis.attribution.models import ModelKeywords, ModelOptions, credit_table
from analysis.attribution.paths import PathKeywords, PathOptions, aggregate_paths, journey_paths
from analysis.conversions import require_conversions
from analysis.errors import AnalysisError
from analysis.vocabulary import (
    MODELS,
    NONE_VALUE,
    OTHER,
    Model,
    check_choice,
    fold_top_n,
)

SEGMENT = "segment"
NO_CONVERSIONS = "no conversions in this segment"


class SegmentKeywords(PathKeywords, ModelKeywords, total=False):
    """The options of :func:`attribute_by_segment`: how paths are cut and how the models credit them."""


@dataclass(frozen=True)
class SegmentAttribution:
    """Credit per segment and model, and what each segment holds.

    ``table``: ``segment``, ``model``, ``channel``, ``conversions``, ``value``, ``share`` (of the segment's
    conversions), biggest segments first. ``segments``: one row per segment, ``segment``, ``people``, ``journeys``,
    ``conversions``, ``value`` and ``note`` (null when attributed, else why not).
    """

    by: str
    table: pl.DataFrame
    segments: pl.DataFrame


def person_segments(events: pl.DataFrame, by: str, *, top_n: int | None = 10) -> pl.DataFrame:
    """One row per person: ``user_id`` and ``segment`` (their first non-null value of ``by`` in time).

    People without a value are ``(none)``; beyond the ``top_n`` segments with most people, values are folded into
    "Other" (``(none)`` is never folded).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda d: datetime(2026, 1, d, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b", "c"], "timestamp": [t(1), t(2), t(1), t(1)],
    ...                    "tier": [None, "VIP", "Neu", None]})
    >>> person_segments(ev, "tier").sort("user_id").rows()
    [('a', 'VIP'), ('b', 'Neu'), ('c', '(none)')]
    """
    if by not in events.columns:
        raise AnalysisError(f"cannot segment by {by!r}: no such column; present: {', '.join(events.columns)}")
    if by in (s.USER_ID, s.ANONYMOUS_ID, s.TIMESTAMP, s.EVENT, s.SESSION_ID):
        raise AnalysisError(f"cannot segment by {by!r}: it is not a trait of a person; choose a people attribute "
                            "(e.g. segment, lifecycle, region) or a persona label")
    per_person = (events.lazy().filter(pl.col(s.USER_ID).is_not_null()).sort(s.TIMESTAMP)
                  .group_by(s.USER_ID)
                  .agg(pl.col(by).cast(pl.String).drop_nulls().first().fill_null(NONE_VALUE).alias(SEGMENT))
                  .collect())
    return fold_top_n(per_person, SEGMENT, n=top_n, keep=(NONE_VALUE,)).sort(s.USER_ID)


def attribute_by_segment(
    events: pl.DataFrame,
    *,
    by: str,
    models: Sequence[Model] = ("last_touch", "linear", "markov"),
    top_n: int | None = 10,
    **options: Unpack[SegmentKeywords],
) -> SegmentAttribution:
    """Attribute the conversions of each segment of people (values of ``by``) with each of ``models``.

    ``events`` are prepared events; ``by`` is a person-level column (a people attribute or a persona label). The
    journeys are those of :func:`~analysis.attribution.conversion_paths` with the same options, split by the
    person's segment (:func:`person_segments`), so every segment's conversions add up to the whole. No conversion
    anywhere raises :class:`~analysis.errors.NoConversionsError`; a segment without a conversion is listed in
    ``segments`` with the reason and gets no rows in ``table``. Options: the paths' (:class:`PathOptions`) and the
    models' (:class:`ModelOptions`).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda d: datetime(2026, 1, d, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b", "b", "c"], "timestamp": [t(1), t(2), t(1), t(2), t(1)],
    ...                    "event": ["view", "purchase", "view", "purchase", "view"],
    ...                    "session_id": ["a1", "a2", "b1", "b2", "c1"],
    ...                    "channel": ["Email", "Direct", "Paid", "Paid", "Email"],
    ...                    "tier": ["VIP", "VIP", "Neu", "Neu", "Neu"]})
    >>> result = attribute_by_segment(ev, by="tier", models=["last_touch"])
    >>> result.table.filter(pl.col("conversions") > 0).select("segment", "channel", "conversions").rows()
    [('Neu', 'Paid', 1.0), ('VIP', 'Direct', 1.0)]
    >>> result.segments.select("segment", "people", "conversions").rows()
    [('Neu', 2, 1), ('VIP', 1, 1)]
    """
    path_keywords = cast(PathKeywords, {k: v for k, v in options.items() if k in PathKeywords.__annotations__})
    opts = ModelOptions.of(cast(ModelKeywords, {k: v for k, v in options.items() if k not in path_keywords}))
    conversion_events = PathOptions.of(path_keywords).conversion_events
    for model in models:
        check_choice("model", model, MODELS)
    if not models:
        raise AnalysisError("pick at least one attribution model")
    require_conversions(events, conversion_events)
    people = person_segments(events, by, top_n=top_n)
    journeys = journey_paths(events, **path_keywords).join(people, on=s.USER_ID, how="left")
    journeys = journeys.with_columns(pl.col(SEGMENT).fill_null(NONE_VALUE))
    summary = (people.group_by(SEGMENT).agg(pl.len().cast(pl.Int64).alias("people"))
               .join(journeys.group_by(SEGMENT).agg(pl.len().cast(pl.Int64).alias("journeys"),
                                                    pl.col("converted").sum().cast(pl.Int64).alias("conversions"),
                                                    pl.col("value").filter("converted").sum().alias("value")),
                     on=SEGMENT, how="left")
               .with_columns(pl.col("journeys", "conversions").fill_null(0), pl.col("value").fill_null(0.0))
               .with_columns(pl.when(pl.col("conversions") == 0).then(pl.lit(NO_CONVERSIONS)).alias("note"),
                             pl.col(SEGMENT).is_in([OTHER, NONE_VALUE]).alias("_rest"))
               .sort(["_rest", "people", SEGMENT], descending=[False, True, False]).drop("_rest"))
    parts = []
    for segment in summary.filter(pl.col("note").is_null())[SEGMENT].to_list():  # a loop over segments, not rows
        paths = aggregate_paths(journeys.filter(pl.col(SEGMENT) == segment), with_times="time_decay" in models)
        for model in models:
            credit = credit_table(paths, model, opts)
            parts.append(credit.select(pl.lit(segment).alias(SEGMENT), pl.lit(model).alias("model"),
                                       s.CHANNEL, "conversions", "value", "share"))
    return SegmentAttribution(by=by, table=pl.concat(parts, how="vertical_relaxed"), segments=summary)
