"""Events as contiguous runs of users: the shared row layout of the persona features and profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis import schema as s
from analysis.prepare.order import person_time_ordered
from analysis.prepare.person import person_key
from analysis.prepare.sessions import session_starts

DEVICE = "device"
SESSION_START = "_session_start"


@dataclass(frozen=True)
class UserIndex:
    """Users as contiguous runs of rows: a dense code per row (0..n-1 in user order) and each run's start."""

    code: np.ndarray
    starts: np.ndarray
    new_user: np.ndarray
    users: pl.Series
    n: int

    @staticmethod
    def of(ev: pl.DataFrame) -> UserIndex:
        new_user = ev.select(pl.col(s.USER_ID).ne_missing(pl.col(s.USER_ID).shift(1))).to_series().to_numpy()
        code = np.cumsum(new_user) - 1
        starts = np.flatnonzero(new_user)
        return UserIndex(code, starts, new_user, ev[s.USER_ID].gather(starts), len(starts))

    @staticmethod
    def subset(idx: UserIndex, code: np.ndarray) -> UserIndex:
        """The same users over other rows (e.g. sessions) given those rows' user codes."""
        return UserIndex(code, idx.starts, idx.new_user, idx.users, idx.n)


def ordered(events: pl.DataFrame, columns: Sequence[str] = ()) -> pl.DataFrame:
    """The columns needed, one person key, rows sorted by user then time (skipping the sort when they already are),
    and ``SESSION_START`` flagging each session's first row (the one session rule, on ``session_id`` when present).
    """
    user = person_key(events)
    wanted = {s.SESSION_ID, s.CHANNEL, s.REVENUE, DEVICE, *columns}
    ev = events.select(
        user.alias(s.USER_ID),
        pl.col(s.TIMESTAMP),
        pl.col(s.EVENT).fill_null("(none)") if events[s.EVENT].null_count() else pl.col(s.EVENT),
        *[pl.col(c) for c in events.columns if c in wanted and c != s.USER_ID],
    )
    if ev[s.USER_ID].null_count() or ev[s.TIMESTAMP].null_count():
        ev = ev.filter(pl.col(s.USER_ID).is_not_null() & pl.col(s.TIMESTAMP).is_not_null())
    ev = person_time_ordered(ev)
    sid = pl.col(s.SESSION_ID) if s.SESSION_ID in ev.columns else None
    return ev.with_columns(session_starts(person=pl.col(s.USER_ID), timestamp=pl.col(s.TIMESTAMP), session_id=sid)
                           .alias(SESSION_START))
