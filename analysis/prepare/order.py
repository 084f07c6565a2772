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
    return frame.sort(person, timestamp, maintain_order=True)
