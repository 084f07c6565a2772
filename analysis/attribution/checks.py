"""What attribution refuses to answer: no conversions in the chosen events, with the events found and a suggestion.

An attribution over data in which none of the chosen conversion events occurs would credit every channel with
zero: a table that looks like an answer. :func:`require_conversions` raises :class:`NoConversionsError` instead,
naming the events the data holds and the likely conversion events
(:func:`analysis.conversions.likely_conversion_events`, the same rule the Data page suggests by).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from analysis import schema as s
from analysis.conversions import likely_conversion_events
from analysis.engine.partition import lazy_events
from analysis.errors import AnalysisError, NoConversionsError
from analysis.prepare.person import person_key

_SHOWN = 12


def _frame(events: pl.DataFrame | pl.LazyFrame | str | Path) -> pl.LazyFrame:
    lazy = lazy_events(events)
    names = lazy.collect_schema().names()
    if s.EVENT not in names:
        raise AnalysisError(f"events lack the column {s.EVENT!r}; present: {', '.join(names)}")
    return lazy


def event_summary(events: pl.DataFrame | pl.LazyFrame | str | Path) -> pl.DataFrame:
    """Per event name: ``events`` (rows), ``people`` and ``last_of`` (people whose last event it is), most rows first.

    ``events`` may be a frame, a lazy frame or the path of a canonical Parquet file.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
    ...                    "timestamp": [1, 2, 1]})
    >>> event_summary(ev).rows()
    [('view', 2, 2, 1), ('buy', 1, 1, 1)]
    """
    lazy = _frame(events)
    names = lazy.collect_schema().names()
    person = person_key(names) if s.USER_ID in names or s.ANONYMOUS_ID in names else None
    lazy = lazy.filter(pl.col(s.EVENT).is_not_null())
    if person is None:
        counts = lazy.group_by(s.EVENT).agg(events=pl.len(), people=pl.lit(0, pl.UInt32), last_of=pl.lit(0, pl.UInt32))
    else:
        lazy = lazy.with_columns(person.alias("_p"))
        last = (lazy.filter(pl.col("_p").is_not_null())
                .group_by("_p").agg(pl.col(s.EVENT).sort_by(s.TIMESTAMP).last() if s.TIMESTAMP in names
                                    else pl.col(s.EVENT).last())
                .group_by(s.EVENT).agg(last_of=pl.len()))
        counts = (lazy.group_by(s.EVENT).agg(events=pl.len(), people=pl.col("_p").n_unique())
                  .join(last, on=s.EVENT, how="left"))
    return (counts.collect()
            .select(pl.col(s.EVENT).cast(pl.String), pl.col("events", "people", "last_of").fill_null(0).cast(pl.Int64))
            .sort(["events", s.EVENT], descending=[True, False]))


def require_conversions(events: pl.DataFrame | pl.LazyFrame | str | Path, conversion_events: Sequence[str]) -> None:
    """Raise :class:`NoConversionsError` when none of ``conversion_events`` occurs in ``events``.

    The message names the chosen events, the events the data holds (most frequent first, with counts) and the
    likely conversion events to choose instead.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", "a"], "event": ["view", "order_placed"], "timestamp": [1, 2]})
    >>> require_conversions(ev, ["order_placed"])
    >>> require_conversions(ev, ["purchase"])
    Traceback (most recent call last):
    ...
    analysis.errors.NoConversionsError: no conversions: the conversion event 'purchase' does not occur in the data. \
Events found (2): order_placed (1), view (1). Likely conversion events: order_placed. Choose the conversion events \
(e.g. --conversion-events order_placed).
    """
    chosen = list(conversion_events)
    if not chosen:
        raise NoConversionsError("no conversion events chosen; pick the events that count as a conversion")
    if _frame(events).filter(pl.col(s.EVENT).is_in(chosen)).head(1).collect().height:
        return
    summary = event_summary(events)
    what = (f"the conversion event {chosen[0]!r} does not" if len(chosen) == 1
            else f"none of the conversion events {', '.join(repr(c) for c in chosen)}")
    if summary.is_empty():
        raise NoConversionsError(f"no conversions: {what} occur in the data, which holds no events at all; widen "
                                 "the dates or loosen the filters")
    shown = ", ".join(f"{e} ({c:,})" for e, c in summary.head(_SHOWN).select(s.EVENT, "events").iter_rows())
    more = f" and {summary.height - _SHOWN:,} more" if summary.height > _SHOWN else ""
    likely = likely_conversion_events(events)
    hint = (f" Likely conversion events: {', '.join(likely)}. Choose the conversion events (e.g. "
            f"--conversion-events {','.join(likely[:1])})." if likely
            else " Choose the conversion events among them.")
    raise NoConversionsError(f"no conversions: {what} occur in the data. Events found ({summary.height:,}): "
                             f"{shown}{more}.{hint}")
