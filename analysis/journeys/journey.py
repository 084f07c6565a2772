"""Journeys: each person's events cut into journeys that end at a conversion or at the end of the data.

A journey runs from the event after the person's previous conversion (or their first event) up to and including
the next conversion event; the events after a person's last conversion form one open, unconverted journey. That
cut is the one journey definition, :mod:`analysis.journeys.cut`, which conversion paths
(:mod:`analysis.attribution.paths`) build on too. With a ``lookback`` (default
:data:`~analysis.vocabulary.JOURNEY_LOOKBACK`: none), a journey keeps only its events within ``lookback`` before
its last event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from analysis import schema as s
from analysis.conversions import require_conversions
from analysis.engine import Engine, EngineOptions, Source, run
from analysis.errors import AnalysisError, EmptyResultError
from analysis.journeys.cut import journey_number
from analysis.prepare.order import person_time_ordered
from analysis.vocabulary import CONVERSION_EVENTS, JOURNEY_LOOKBACK

JOURNEY = "journey"


def _check(events: pl.DataFrame, conversion_events: Sequence[str], attributes: Sequence[str]) -> None:
    s.validate_events(events, require=(s.USER_ID, s.CHANNEL, s.SESSION_ID))
    if isinstance(conversion_events, str):
        raise AnalysisError(
            f"conversion_events must be a list of event names, got the string {conversion_events!r}; "
            f"write ({conversion_events!r},)"
        )
    missing = [a for a in attributes if a not in events.columns]
    if missing:
        raise AnalysisError(
            f"cannot keep journey attribute(s) {', '.join(missing)}: no such column; present: "
            f"{', '.join(events.columns)}"
        )


def journey_events(
    events: pl.DataFrame,
    *,
    conversion_events: Sequence[str] = CONVERSION_EVENTS,
    lookback: timedelta | None = JOURNEY_LOOKBACK,
) -> pl.DataFrame:
    """Prepared events sorted by user and time with a ``journey`` number (from 1 per user) and ``_conversion`` flag.

    The journeys are the one cut of :func:`analysis.journeys.cut.journey_number`. Events outside the ``lookback``
    of their journey are dropped.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import generate_sample
    >>> journey_events(prepare(generate_sample(20, seed=1).events)).columns[-2:]
    ['_conversion', 'journey']
    """
    _check(events, conversion_events, ())
    conversion = pl.col(s.EVENT).is_in(list(conversion_events))
    out = (
        person_time_ordered(events)  # prepared events are already: no sort
        .with_columns(conversion.alias("_conversion"))
        .with_columns(journey_number(person=pl.col(s.USER_ID), conversion=pl.col("_conversion")).alias(JOURNEY))
    )
    if lookback is not None:
        if lookback <= timedelta(0):
            raise AnalysisError(f"lookback must be positive, got {lookback}")
        end = pl.col(s.TIMESTAMP).max().over(s.USER_ID, JOURNEY)
        out = out.filter(pl.col(s.TIMESTAMP) >= end - lookback)
    return out


def journeys(
    events: Source,
    *,
    conversion_events: Sequence[str] = CONVERSION_EVENTS,
    lookback: timedelta | None = JOURNEY_LOOKBACK,
    attributes: Sequence[str] = (),
    engine: Engine | EngineOptions | None = None,
    check_events: bool = True,
) -> pl.DataFrame:
    """One row per journey per person: ordered touchpoints and channels, start, end, converted, value, sessions.

    When none of ``conversion_events`` occurs in ``events`` it raises
    :class:`~analysis.errors.NoConversionsError` (naming the events found and the likely conversion events) rather
    than call every journey unconverted; ``check_events=False`` skips that check, for the map of a distributed run
    whose partitions may lack a conversion the whole data holds (or be empty). No events at all raise
    :class:`~analysis.errors.EmptyResultError`. An empty ``conversion_events`` is an explicit choice: each person's
    history is one open journey.

    ``events`` are prepared events (:func:`analysis.prepare.prepare`): ``user_id``, ``channel`` and ``session_id``
    filled. Columns: ``user_id``, ``journey`` (1, 2, … per user), ``touchpoints`` (event names in order),
    ``channels`` (the channel of each session in the journey, in order: one entry per session), ``start``,
    ``end``, ``converted``, ``value`` (revenue of the journey's conversion events, 0 when none), ``n_events``,
    ``n_sessions``, then each of ``attributes`` (its first value in the journey, e.g. ``device``).

    With ``engine`` (``"polars"``, ``"spark"`` or :class:`~analysis.engine.EngineOptions`) the journeys are built
    per person partition (:mod:`analysis.journeys.stage`); ``events`` may then be a Parquet file or folder.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import generate_sample
    >>> j = journeys(prepare(generate_sample(50, seed=1).events))
    >>> j.columns[:4]
    ['user_id', 'journey', 'touchpoints', 'channels']
    """
    if isinstance(events, pl.DataFrame):
        _check(events, conversion_events, attributes)
        if check_events and events.is_empty():
            raise EmptyResultError("no events to cut into journeys: the data (after dates and filters) is empty; "
                                   "widen the dates or loosen the filters")
        if check_events and len(conversion_events):
            require_conversions(events, conversion_events)
    if engine is not None or not isinstance(events, pl.DataFrame):
        from analysis.journeys.stage import journeys_stage  # noqa: PLC0415 (the stage builds on this module)

        stage = journeys_stage(conversion_events=conversion_events, lookback=lookback, attributes=attributes)
        return run(events, stage, engine=engine or "polars")
    ordered = journey_events(events, conversion_events=conversion_events, lookback=lookback)
    key = [s.USER_ID, JOURNEY]
    first_of_session = ~pl.struct(*key, s.SESSION_ID).eq_missing(pl.struct(*key, s.SESSION_ID).shift())
    revenue = pl.col(s.REVENUE) if s.REVENUE in events.columns else pl.lit(None, pl.Float64)
    return (
        ordered.with_columns(first_of_session.fill_null(True).alias("_touch"), revenue.alias("_revenue"))
        .group_by(key, maintain_order=True)
        .agg(
            pl.col(s.EVENT).alias("touchpoints"),
            pl.col(s.CHANNEL).filter(pl.col("_touch")).alias("channels"),
            pl.col(s.TIMESTAMP).first().alias("start"),
            pl.col(s.TIMESTAMP).last().alias("end"),
            pl.col("_conversion").any().alias("converted"),
            pl.col("_revenue").filter(pl.col("_conversion")).sum().cast(pl.Float64).alias("value"),
            pl.len().cast(pl.Int64).alias("n_events"),
            pl.col(s.SESSION_ID).n_unique().cast(pl.Int64).alias("n_sessions"),
            *[pl.col(a).first() for a in attributes],
        )
        .with_columns(pl.col(JOURNEY).cast(pl.Int64))
    )
