"""Conversion paths: the ordered touches before each conversion, plus the non-converting (null) paths.

A *touch* is a session (the prepared events' ``session_id``; on events without one, the one session rule of
:func:`analysis.prepare.sessions.session_starts` at its default gap) labelled with the channel (or source, medium,
campaign) of its first event. The journeys and which touches belong to each are the one journey definition,
:func:`analysis.journeys.cut.journey_touches`: each conversion closes a journey, whose path holds the touches that
started after the user's previous conversion, up to and including the session the conversion happened in, within
the lookback window (attribution's own option, :data:`~analysis.vocabulary.ATTRIBUTION_LOOKBACK` by default).
Touches after a user's last conversion (or all of a user's touches when they never converted) form one null path.

Offline events (channel ``Offline``: orders and lifecycle changes from people files) are never a touch: an offline
conversion's path holds the person's visits in the lookback, and is empty when there is none, a conversion that no
channel is credited with (``attribute`` reports it as ``(no touch)``; docs/decisions/0014-offline-events-no-touch.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict, Unpack

import polars as pl

from analysis.conversions import require_conversions
from analysis.engine import Engine, EngineOptions, Source, run
from analysis.errors import AnalysisError
from analysis.journeys.cut import journey_touches
from analysis.prepare.channels import OFFLINE
from analysis.prepare.order import in_person_time_order
from analysis.prepare.person import person_key
from analysis.prepare.sessions import PERSON, add_sessions, session_starts
from analysis.schema import (
    ANONYMOUS_ID,
    CAMPAIGN,
    CHANNEL,
    EVENT,
    MEDIUM,
    REVENUE,
    SESSION_ID,
    SOURCE,
    TIMESTAMP,
    USER_ID,
)
from analysis.vocabulary import ATTRIBUTION_LOOKBACK, CONVERSION_EVENTS, SESSION_GAP, TOUCHES, Touch, check_choice

NO_VALUE = "(none)"

_DAY_US = 86_400_000_000


def _touch_expr(touch: Touch, columns: Sequence[str]) -> pl.Expr:
    needed = {
        "channel": [CHANNEL],
        "source": [SOURCE],
        "medium": [MEDIUM],
        "campaign": [CAMPAIGN],
        "source_medium": [SOURCE, MEDIUM],
    }
    check_choice("touch", touch, TOUCHES)
    missing = [c for c in needed[touch] if c not in columns]
    if missing:
        raise AnalysisError(f"touch={touch!r} needs the column(s) {', '.join(missing)}; present: {', '.join(columns)}")
    if touch == "source_medium":
        return pl.concat_str(pl.col(SOURCE).fill_null(NO_VALUE), pl.lit(" / "), pl.col(MEDIUM).fill_null(NO_VALUE))
    return pl.col(needed[touch][0]).fill_null(NO_VALUE)


class PathKeywords(TypedDict, total=False):
    """The fields of :class:`PathOptions` as keywords of :func:`journey_paths` and :func:`conversion_paths`."""

    conversion_events: Sequence[str]
    lookback: timedelta | None
    touch: Touch
    collapse_repeats: bool
    first_conversion_only: bool


@dataclass(frozen=True, kw_only=True)
class PathOptions:
    """How conversion paths are cut: the one place for these options and their defaults.

    ``conversion_events`` close a journey; ``lookback`` keeps the touches that started within it before the
    conversion (None: all); ``touch`` labels a session; ``collapse_repeats`` merges consecutive equal touches;
    ``first_conversion_only`` keeps each user's first conversion and drops their later touches.

    Examples
    --------
    >>> PathOptions.of({"touch": "source"}).touch
    'source'
    """

    conversion_events: Sequence[str] = CONVERSION_EVENTS
    lookback: timedelta | None = ATTRIBUTION_LOOKBACK
    touch: Touch = "channel"
    collapse_repeats: bool = False
    first_conversion_only: bool = False

    @classmethod
    def of(cls, keywords: PathKeywords) -> PathOptions:
        """The options given as keywords, the defaults for the rest."""
        return cls(**keywords)


def journey_paths(events: pl.DataFrame, **options: Unpack[PathKeywords]) -> pl.DataFrame:
    """One row per journey: who, the ordered touches, when they happened, and whether it converted.

    Options: :class:`PathOptions`.

    Columns: ``user_id`` (String), ``path`` (List[String]), ``days_before_end`` (List[Float64], days from each
    touch's start to the conversion, or to the journey's last touch for a null journey), ``converted``
    (Boolean), ``value`` (Float64, the conversion's revenue, 0.0 when missing or not converted).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda h: datetime(2026, 1, 1, h, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u", "u", "u"], "timestamp": [t(1), t(5), t(5)],
    ...                    "event": ["page_view", "page_view", "purchase"],
    ...                    "channel": ["Email", "Direct", "Direct"], "revenue": [None, None, 10.0]})
    >>> journey_paths(ev)["path"].to_list()
    [['Email', 'Direct']]
    """
    return journey_table(events, PathOptions.of(options))


def journey_table(events: pl.DataFrame, options: PathOptions) -> pl.DataFrame:
    """:func:`journey_paths` with its options as one :class:`PathOptions`."""
    conversion_events, lookback, touch = options.conversion_events, options.lookback, options.touch
    for col in (TIMESTAMP, EVENT):
        if col not in events.columns:
            raise AnalysisError(f"events lack the column {col!r}; present: {', '.join(events.columns)}")
    if USER_ID not in events.columns and ANONYMOUS_ID not in events.columns:
        raise AnalysisError("events need a user_id or anonymous_id column to build journeys")
    if lookback is not None and lookback <= timedelta(0):
        raise AnalysisError(f"lookback must be positive or None, got {lookback}")
    label = _touch_expr(touch, events.columns)
    user = person_key(events)
    revenue = pl.col(REVENUE).cast(pl.Float64) if REVENUE in events.columns else pl.lit(None, pl.Float64)
    has_sid = SESSION_ID in events.columns
    offline = (pl.col(CHANNEL) == OFFLINE).fill_null(False) if CHANNEL in events.columns else pl.lit(False)
    ev = (
        events.select(
            _u=user.cast(pl.String),
            _t=pl.col(TIMESTAMP),
            _conv=pl.col(EVENT).is_in(list(conversion_events)),
            _label=label,
            _rev=revenue,
            _sid_in=pl.col(SESSION_ID) if has_sid else pl.lit(None, pl.String),
            _off=offline,
        )
    )
    if ev["_u"].null_count() or ev["_t"].null_count():
        ev = ev.filter(pl.col("_u").is_not_null() & pl.col("_t").is_not_null())
    if not in_person_time_order(ev, person="_u", timestamp="_t"):  # prepared events are: no sort, no copy
        # the row number breaks timestamp ties like a stable sort would, at a fraction of its cost
        ev = ev.with_columns(_i=pl.int_range(pl.len(), dtype=pl.UInt32 if ev.height < 2**32 else pl.UInt64)
                             ).sort("_u", "_t", "_i").drop("_i")
    any_offline = bool(ev["_off"].any())
    if any_offline and not has_sid:  # raw events: the one session rule keeps offline events out of sessions
        ev = ev.with_columns(_sid_in=_session_ids(ev))
        has_sid = True
    # shift-compare sessionising on the sorted frame (no window functions), by the rule sessionize follows; a
    # session is a touch, numbered 0..S-1 in order, so its start and label are a gather by number, not a join
    starts = session_starts(person=pl.col("_u"), timestamp=pl.col("_t"),
                            session_id=pl.col("_sid_in") if has_sid else None)
    # an offline event's own session (an order on a day without a visit) is no touch, and no touch of its conversion
    ev = ev.with_columns(_new=starts & ~pl.col("_off"), _outside=starts & pl.col("_off"))
    sessions = ev.filter(pl.col("_new")).select(_start=pl.col("_t"), _label=pl.col("_label"))
    # which touches belong to which journey: the one journey definition
    spans = journey_touches(ev, person="_u", conversion="_conv", touch_start="_new", keep=("_u", "_t", "_rev"),
                            outside="_outside" if any_offline else None)
    if options.first_conversion_only:
        spans = spans.filter("first_journey")
    converted = spans.filter("converted").select(
        "_u", _end=pl.col("_t"), _lo="first_touch", _hi="last_touch", _value=pl.col("_rev").fill_null(0.0),
        _converted=pl.lit(True), _own="own_touch",
    )
    # an open journey (after the last conversion, or a person's only one) is a null path when it holds a touch; it
    # ends at its last touch's start
    tails = spans.filter(~pl.col("converted") & (pl.col("first_touch") <= pl.col("last_touch")))
    nulls = tails.select(
        "_u", _end=sessions["_start"].gather(tails["last_touch"]), _lo="first_touch", _hi="last_touch",
        _value=pl.lit(0.0), _converted=pl.lit(False), _own=pl.lit(True),
    )
    journeys = pl.concat([converted, nulls]).with_columns(_j=pl.int_range(pl.len(), dtype=pl.Int64))
    touches = (
        journeys.filter(pl.col("_lo") <= pl.col("_hi"))
        .with_columns(_s=pl.int_ranges("_lo", pl.col("_hi") + 1))
        .explode("_s")
    )
    at = touches["_s"]
    touches = touches.with_columns(_start=sessions["_start"].gather(at), _label=sessions["_label"].gather(at))
    if lookback is not None:
        # the touch a conversion happened in always counts; an offline conversion's latest visit only within it
        touches = touches.filter((pl.col("_end") - pl.col("_start") <= lookback)
                                 | ((pl.col("_s") == pl.col("_hi")) & pl.col("_own")))
    if options.collapse_repeats:
        touches = touches.filter(
            (pl.col("_j") != pl.col("_j").shift(1)).fill_null(True)
            | (pl.col("_label") != pl.col("_label").shift(1)).fill_null(True)
        )
    table = (
        touches.group_by("_j", maintain_order=True)
        .agg(
            user_id=pl.col("_u").first(),
            path=pl.col("_label"),
            days_before_end=((pl.col("_end") - pl.col("_start")).dt.total_microseconds() / _DAY_US),
            converted=pl.col("_converted").first(),
            value=pl.col("_value").first(),
        )
    )
    if table.height < journeys.height:  # conversions left without a touch (offline): kept, with an empty path
        table = pl.concat([table, journeys.join(table.select("_j"), on="_j", how="anti").select(
            "_j", user_id="_u", path=pl.lit([], pl.List(pl.String)), days_before_end=pl.lit([], pl.List(pl.Float64)),
            converted="_converted", value="_value")]).sort("_j")
    return table.drop("_j")


def _session_ids(ev: pl.DataFrame) -> pl.Series:
    """Session ids of sorted raw events by the one rule, offline events kept out (see ``add_sessions``)."""
    frame = ev.select(pl.col("_u").alias(PERSON), pl.col("_t").alias(TIMESTAMP),
                      pl.when("_off").then(pl.lit(OFFLINE)).alias(CHANNEL))
    return add_sessions(frame, gap=SESSION_GAP)[SESSION_ID]


def aggregate_paths(journeys: pl.DataFrame, *, with_times: bool = False) -> pl.DataFrame:
    """Group journeys into the path table: ``path``, ``conversions``, ``nulls``, ``value``.

    With ``with_times`` the touch times (``days_before_end``) stay part of the key, so time decay can use them;
    every other model treats such a table exactly like the plain one.

    Examples
    --------
    >>> j = pl.DataFrame({"path": [["A"], ["A"], ["B"]], "converted": [True, False, True],
    ...                   "value": [5.0, 0.0, 2.0]})
    >>> aggregate_paths(j)["conversions"].to_list()
    [1, 1]
    """
    keys = ["path", "days_before_end"] if with_times else ["path"]
    missing = [c for c in (*keys, "converted", "value") if c not in journeys.columns]
    if missing:
        raise AnalysisError(f"journeys lack the column(s) {', '.join(missing)}; build them with journey_paths()")
    return (
        journeys.group_by(keys)
        .agg(
            conversions=pl.col("converted").cast(pl.Int64).sum(),
            nulls=(~pl.col("converted")).cast(pl.Int64).sum(),
            value=pl.col("value").fill_null(0.0).cast(pl.Float64).sum(),
        )
        .sort(keys)
        .select("path", "conversions", "nulls", "value", *keys[1:])
    )


def conversion_paths(
    events: Source,
    *,
    with_times: bool = False,
    engine: Engine | EngineOptions | None = None,
    **options: Unpack[PathKeywords],
) -> pl.DataFrame:
    """The attribution input: distinct paths with their conversions, null journeys and conversion value.

    Columns ``path`` (List[String]), ``conversions`` (Int64), ``nulls`` (Int64), ``value`` (Float64), and
    ``days_before_end`` (List[Float64]) when ``with_times`` (needed by the time-decay model). See
    :func:`journey_paths` for the journey rules.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda d: datetime(2026, 1, d, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b"], "timestamp": [t(1), t(2), t(1)],
    ...                    "event": ["page_view", "purchase", "page_view"],
    ...                    "channel": ["Email", "Direct", "Email"], "revenue": [None, 9.0, None]})
    >>> conversion_paths(ev).rows()
    [(['Email'], 0, 1, 0.0), (['Email', 'Direct'], 1, 0, 9.0)]

    Raises :class:`~analysis.errors.NoConversionsError` when none of ``conversion_events`` occurs in ``events``
    (naming the events found and the likely conversion events), instead of a table with nothing to attribute.

    Options: :class:`PathOptions`. With ``engine`` (``"polars"``, ``"spark"`` or
    :class:`~analysis.engine.EngineOptions`, whose ``before`` may prepare raw events per partition) the paths are
    counted per person partition and added up (:mod:`analysis.attribution.stage`), the same table as in memory;
    ``events`` may then be a Parquet file or folder, and a table without conversions is returned as it is.
    """
    opts = PathOptions.of(options)
    if engine is not None or not isinstance(events, pl.DataFrame):
        from analysis.attribution.stage import paths_stage  # noqa: PLC0415 (the stage builds on this module)

        return run(events, paths_stage(opts, with_times=with_times), engine=engine or "polars")
    require_conversions(events, opts.conversion_events)
    return aggregate_paths(journey_table(events, opts), with_times=with_times)
