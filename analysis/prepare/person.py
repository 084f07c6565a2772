"""The person key: who an event belongs to, the one definition every step and analysis uses.

On prepared events ``user_id`` holds the resolved person on every row (:func:`analysis.prepare.prepare`); on raw
events the person is the ``user_id``, else the device's ``anonymous_id``.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError


def person_key(events: pl.DataFrame | Collection[str]) -> pl.Expr:
    """The person an event belongs to: ``user_id``, else ``anonymous_id``, using whichever of them ``events`` has.

    ``events`` is a frame or its column names. Given a frame whose ``user_id`` is filled on every row (prepared
    events), the key is ``user_id`` itself: no per-row coalesce. Raises :class:`~analysis.errors.AnalysisError` when
    there is neither column.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", None], "anonymous_id": ["d1", "d2"]})
    >>> ev.select(person_key(ev))["user_id"].to_list()
    ['a', 'd2']
    >>> pl.DataFrame({"anonymous_id": ["d1"]}).select(person_key(["anonymous_id"]))["anonymous_id"].to_list()
    ['d1']
    """
    columns = events.columns if isinstance(events, pl.DataFrame) else events
    complete = isinstance(events, pl.DataFrame) and s.USER_ID in columns and events[s.USER_ID].null_count() == 0
    if s.USER_ID in columns and s.ANONYMOUS_ID in columns and not complete:
        return pl.coalesce(pl.col(s.USER_ID), pl.col(s.ANONYMOUS_ID))
    if s.USER_ID in columns:
        return pl.col(s.USER_ID)
    if s.ANONYMOUS_ID in columns:
        return pl.col(s.ANONYMOUS_ID)
    raise AnalysisError(f"events need a {s.USER_ID} or {s.ANONYMOUS_ID} column to tell people apart; "
                        f"present: {', '.join(columns) or 'none'}")
