"""Conversion paths: the ordered touches before each conversion, plus the non-converting (null) paths.

A *touch* is a session (the prepared events' ``session_id``; on events without one, the one session rule of
:func:`analysis.prepare.sessions.session_starts` at its default gap) labelled with the channel (or source, medium,
campaign) of its first event. Each conversion closes a journey: its path holds the touches that started after the
user's previous conversion, up to and including the session the conversion happened in, within the lookback window.
Touches after a user's last conversion (or all of a user's touches when they never converted) form one null path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

import polars as pl

from analysis.attribution.checks import require_conversions
from analysis.errors import AnalysisError
from analysis.prepare.order import in_person_time_order
from analysis.prepare.person import person_key
from analysis.prepare.sessions import session_starts
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

Touch = Literal["channel", "source", "medium", "campaign", "source_medium"]
TOUCHES: tuple[Touch, ...] = ("channel", "source", "medium", "campaign", "source_medium")
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
    if touch not in needed:
        raise AnalysisError(f"touch={touch!r} is not known; valid: {', '.join(TOUCHES)}")
    missing = [c for c in needed[touch] if c not in columns]
    if missing:
        raise AnalysisError(f"touch={touch!r} needs the column(s) {', '.join(missing)}; present: {', '.join(columns)}")
    if touch == "source_medium":
        return pl.concat_str(pl.col(SOURCE).fill_null(NO_VALUE), pl.lit(" / "), pl.col(MEDIUM).fill_null(NO_VALUE))
    return pl.col(needed[touch][0]).fill_null(NO_VALUE)


def journey_paths(
    events: pl.DataFrame,
    *,
    conversion_events: Sequence[str] = ("purchase",),
    lookback: timedelta | None = timedelta(days=30),
    touch: Touch = "channel",
    collapse_repeats: bool = False,
    first_conversion_only: bool = False,
) -> pl.DataFrame:
    """One row per journey: who, the ordered touches, when they happened, and whether it converted.

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
    ev = (
        events.select(
            _u=user.cast(pl.String),
            _t=pl.col(TIMESTAMP),
            _conv=pl.col(EVENT).is_in(list(conversion_events)),
            _label=label,
            _rev=revenue,
            _sid_in=pl.col(SESSION_ID) if has_sid else pl.lit(None, pl.String),
        )
    )
    if ev["_u"].null_count() or ev["_t"].null_count():
        ev = ev.filter(pl.col("_u").is_not_null() & pl.col("_t").is_not_null())
    if not in_person_time_order(ev, person="_u", timestamp="_t"):  # prepared events are: no sort, no copy
        # the row number breaks timestamp ties like a stable sort would, at a fraction of its cost
        ev = ev.with_columns(_i=pl.int_range(pl.len(), dtype=pl.UInt32 if ev.height < 2**32 else pl.UInt64)
                             ).sort("_u", "_t", "_i").drop("_i")
    new_user = (pl.col("_u") != pl.col("_u").shift(1)).fill_null(True)
    # shift-compare sessionising on the sorted frame (no window functions), by the rule sessionize follows
    boundary = session_starts(person=pl.col("_u"), timestamp=pl.col("_t"),
                              session_id=pl.col("_sid_in") if has_sid else None)
    # integer user and session numbers on the sorted frame: sessions are numbered 0..S-1 in order, so a
    # session's attributes are a gather by its number, not a join
    ev = ev.with_columns(_new=new_user | boundary, _nu=new_user).with_columns(
        _ui=pl.col("_nu").cast(pl.Int64).cum_sum() - 1,
        _sid=pl.col("_new").cast(pl.Int64).cum_sum() - 1,
    )
    ev = ev.with_columns(_first=pl.when(pl.col("_nu")).then(pl.col("_sid")).forward_fill())
    sessions = ev.filter(pl.col("_new")).select("_u", "_ui", "_sid", _start=pl.col("_t"), _label=pl.col("_label"))
    conv = ev.filter(pl.col("_conv")).select("_u", "_ui", "_sid", "_t", "_first", _value=pl.col("_rev").fill_null(0.0))
    if first_conversion_only:
        conv = conv.filter((pl.col("_ui") != pl.col("_ui").shift(1)).fill_null(True))
    same_user = (pl.col("_ui") == pl.col("_ui").shift(1)).fill_null(False)
    conv = conv.with_columns(
        _lo=pl.min_horizontal(
            pl.when(same_user).then(pl.col("_sid").shift(1) + 1).otherwise(pl.col("_first")), pl.col("_sid")
        ),
        _j=pl.int_range(pl.len(), dtype=pl.Int64),
    )
    touches = conv.select(
        "_j", "_u", _end=pl.col("_t"), _hi=pl.col("_sid"), _value="_value", _s=pl.int_ranges("_lo", pl.col("_sid") + 1)
    ).explode("_s")
    at = touches["_s"]
    touches = touches.with_columns(_start=sessions["_start"].gather(at), _label=sessions["_label"].gather(at))
    if lookback is not None:
        touches = touches.filter((pl.col("_end") - pl.col("_start") <= lookback) | (pl.col("_s") == pl.col("_hi")))
    touches = touches.with_columns(_converted=pl.lit(True))

    last_conv = conv.group_by("_ui").agg(_last=pl.col("_sid").max())
    tail = sessions.join(last_conv, on="_ui", how="left", maintain_order="left")
    if first_conversion_only:
        tail = tail.filter(pl.col("_last").is_null())
    else:
        tail = tail.filter(pl.col("_last").is_null() | (pl.col("_sid") > pl.col("_last")))
    # the journey ends at the user's last session: it closes every user's run in this sorted frame
    is_last = (pl.col("_ui") != pl.col("_ui").shift(-1)).fill_null(True)
    tail = tail.with_columns(_end=pl.when(is_last).then(pl.col("_start")).backward_fill())
    if lookback is not None:
        tail = tail.filter(pl.col("_end") - pl.col("_start") <= lookback)
    nulls = tail.select(
        _j=pl.col("_ui") + conv.height,
        _u="_u",
        _end="_end",
        _s="_sid",
        _start="_start",
        _label="_label",
        _value=pl.lit(0.0),
        _converted=pl.lit(False),
    )
    cols = ["_j", "_u", "_s", "_start", "_end", "_label", "_value", "_converted"]
    allt = pl.concat([touches.select(cols), nulls.select(cols)]).sort("_j", "_s")
    if collapse_repeats:
        allt = allt.filter(
            (pl.col("_j") != pl.col("_j").shift(1)).fill_null(True)
            | (pl.col("_label") != pl.col("_label").shift(1)).fill_null(True)
        )
    return (
        allt.group_by("_j", maintain_order=True)
        .agg(
            user_id=pl.col("_u").first(),
            path=pl.col("_label"),
            days_before_end=((pl.col("_end") - pl.col("_start")).dt.total_microseconds() / _DAY_US),
            converted=pl.col("_converted").first(),
            value=pl.col("_value").first(),
        )
        .drop("_j")
    )


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
    events: pl.DataFrame,
    *,
    conversion_events: Sequence[str] = ("purchase",),
    lookback: timedelta | None = timedelta(days=30),
    touch: Touch = "channel",
    collapse_repeats: bool = False,
    first_conversion_only: bool = False,
    with_times: bool = False,
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
    """
    require_conversions(events, conversion_events)
    journeys = journey_paths(
        events,
        conversion_events=conversion_events,
        lookback=lookback,
        touch=touch,
        collapse_repeats=collapse_repeats,
        first_conversion_only=first_conversion_only,
    )
    return aggregate_paths(journeys, with_times=with_times)
