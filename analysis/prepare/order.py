"""The one order of prepared events: by person, then time, ties in input order.

:func:`analysis.prepare.prepare` sorts the events into this order once; every later step (funnels, journeys,
conversion paths, persona features) checks it with :func:`in_person_time_order`, one linear pass, and sorts only
input that is not in it (raw events handed to an analysis directly).
"""

from __future__ import annotations

import polars as pl

from analysis import schema as s


def in_person_time_order(frame: pl.DataFrame, *, person: str = s.USER_ID, timestamp: str = s.TIMESTAMP) -> bool:
    """True when ``frame``'s rows are sorted by ``person`` then ``timestamp`` (a linear check, no sort).

    Rows with a null person or time are expected to be filtered out first.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, 1, h, tzinfo=timezone.utc) for h in (2, 1, 3)]
    >>> in_person_time_order(pl.DataFrame({"user_id": ["a", "b", "b"], "timestamp": t}))
    True
    >>> in_person_time_order(pl.DataFrame({"user_id": ["b", "b", "a"], "timestamp": t}))
    False
    """
    if frame.height < 2:
        return True
    u, t = pl.col(person), pl.col(timestamp)
    step = (u > u.shift()) | ((u == u.shift()) & (t >= t.shift()))
    return bool(frame.select(step.slice(1).all()).item())


def person_time_ordered(frame: pl.DataFrame, *, person: str = s.USER_ID, timestamp: str = s.TIMESTAMP) -> pl.DataFrame:
    """``frame`` sorted by ``person`` then ``timestamp`` (ties keep their order), the frame itself when it already is.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, 1, h, tzinfo=timezone.utc) for h in (2, 1)]
    >>> person_time_ordered(pl.DataFrame({"user_id": ["b", "a"], "timestamp": t}))["user_id"].to_list()
    ['a', 'b']
    """
    if in_person_time_order(frame, person=person, timestamp=timestamp):
        return frame
    return sort_person_time(frame, person=person, timestamp=timestamp)


def sort_person_time(frame: pl.DataFrame, *, person: str = s.USER_ID, timestamp: str = s.TIMESTAMP) -> pl.DataFrame:
    """``frame`` stably sorted by ``person`` (a String column) then ``timestamp``: the one sort of a dataset.

    The person's rank among the distinct persons (sorted as strings) and the microseconds since the first event are
    packed into one unsigned 64-bit key when they fit (about 2^20 people over years of data do), which Polars sorts
    about twice as fast as the string column and the time; otherwise, or with nulls, the two columns are sorted.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, 1, h, tzinfo=timezone.utc) for h in (2, 1, 3)]
    >>> sort_person_time(pl.DataFrame({"user_id": ["b", "b", "a"], "timestamp": t}))["user_id"].to_list()
    ['a', 'b', 'b']
    """
    if frame.height < 2 or frame[person].null_count() or frame[timestamp].null_count():
        return frame.sort(person, timestamp, maintain_order=True)
    people = frame.get_column(person).unique().sort()
    micros = pl.col(timestamp).dt.epoch("us")
    first, last = frame.select(micros.min().alias("lo"), micros.max().alias("hi")).row(0)
    time_bits = max(int(last - first).bit_length(), 1)
    if (people.len() - 1).bit_length() + time_bits > 63:
        return frame.sort(person, timestamp, maintain_order=True)
    rank = pl.col(person).cast(pl.Enum(people)).to_physical().cast(pl.UInt64)
    return frame.sort(rank * (1 << time_bits) + (micros - first).cast(pl.UInt64), maintain_order=True)
