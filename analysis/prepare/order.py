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
    The rows are then gathered column by column (:func:`gather_rows`).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, 1, h, tzinfo=timezone.utc) for h in (2, 1, 3)]
    >>> sort_person_time(pl.DataFrame({"user_id": ["b", "b", "a"], "timestamp": t}))["user_id"].to_list()
    ['a', 'b', 'b']
    """
    if frame.height < 2 or frame[person].null_count() or frame[timestamp].null_count():
        return frame.sort(person, timestamp, maintain_order=True)
    micros = pl.col(timestamp).dt.epoch("us")
    first, last = frame.select(micros.min().alias("lo"), micros.max().alias("hi")).row(0)
    time_bits = max(int(last - first).bit_length(), 1)
    rank = person_rank(frame.get_column(person))
    if int(rank.max() or 0).bit_length() + time_bits > 63:  # type: ignore[arg-type]
        return frame.sort(person, timestamp, maintain_order=True)
    key = rank * (1 << time_bits) + frame.select((micros - first).cast(pl.UInt64)).to_series()
    del rank
    order = key.to_frame("key").select(pl.arg_sort_by("key", maintain_order=True)).to_series()
    del key
    return gather_rows(frame, order)


def person_rank(values: pl.Series) -> pl.Series:
    """The position of each of ``values`` (a String column without nulls) among its distinct values sorted, as
    ``UInt64``.

    By 64-bit hashes, which cost a fraction of hashing the strings: the distinct values are those at the first row
    of every distinct hash, and a value's position is looked up by its hash in one integer join. Two distinct
    values sharing a hash would drop one of them; the answer is checked row by row (the value at each position is
    the row's value) and otherwise computed by an ``Enum`` cast of the strings.

    Examples
    --------
    >>> person_rank(pl.Series(["b", "a", "b"])).to_list()
    [1, 0, 1]
    """
    values = values.rechunk()
    hashes = values.hash()
    people = values.gather(hashes.arg_unique()).sort()
    positions = pl.DataFrame({"hash": people.hash(), "rank": pl.int_range(people.len(), dtype=pl.UInt64, eager=True)})
    rank = (
        hashes.to_frame("hash").join(positions, on="hash", how="left", maintain_order="left")
        .get_column("rank").alias(values.name)
    )
    if rank.null_count() == 0 and bool((people.gather(rank) == values).all()):
        return rank
    return values.cast(pl.Enum(values.unique().sort())).to_physical().cast(pl.UInt64).alias(values.name)


def gather_rows(frame: pl.DataFrame, order: pl.Series) -> pl.DataFrame:
    """The rows of ``frame`` at ``order``, gathered one column at a time from contiguous memory.

    A frame read from Parquet comes in many chunks, and a random gather from a chunked string column costs several
    times one from a contiguous copy; column by column, one such copy is alive at a time. All-null columns (the
    optional canonical columns an export lacks) are not gathered but made as nulls of their type.

    Examples
    --------
    >>> gather_rows(pl.DataFrame({"a": ["x", "y", "z"], "b": [1, 2, 3]}), pl.Series([2, 0])).rows()
    [('z', 3), ('x', 1)]
    """
    return pl.DataFrame([_gather(frame.get_column(name), order) for name in frame.columns])


def _gather(column: pl.Series, order: pl.Series) -> pl.Series:
    """One column of :func:`gather_rows`; an all-null flat column is made anew (no gather, no copy)."""
    if column.null_count() == column.len() and not column.dtype.is_nested():
        return pl.repeat(None, order.len(), dtype=column.dtype, eager=True).alias(column.name)
    return column.rechunk().gather(order)
