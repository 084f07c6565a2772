"""Events as contiguous runs of users: the shared row layout of the persona features and profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

from analysis import schema as s
from analysis.prepare import sessions

DEVICE = "device"


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
    """The columns needed, one person key, rows sorted by user then time (skipping the sort when they already are)."""
    user = s.person_key() if s.ANONYMOUS_ID in events.columns else pl.col(s.USER_ID)
    wanted = {s.SESSION_ID, s.CHANNEL, s.REVENUE, DEVICE, *columns}
    ev = events.select(
        user.alias(s.USER_ID),
        pl.col(s.TIMESTAMP),
        pl.col(s.EVENT).fill_null("(none)"),
        *[pl.col(c) for c in events.columns if c in wanted and c != s.USER_ID],
    ).filter(pl.col(s.USER_ID).is_not_null() & pl.col(s.TIMESTAMP).is_not_null())
    u, t = pl.col(s.USER_ID), pl.col(s.TIMESTAMP)
    in_order = ev.select(((u > u.shift(1)) | ((u == u.shift(1)) & (t >= t.shift(1)))).slice(1).all()).item()
    return ev if in_order else ev.sort(s.USER_ID, s.TIMESTAMP, maintain_order=True)


def session_starts(ev: pl.DataFrame, new_user: np.ndarray, gap: timedelta) -> np.ndarray:
    """Row positions where a session starts (:func:`~analysis.prepare.sessions.session_starts`, sessionize's rule)."""
    sid = pl.col(s.SESSION_ID) if s.SESSION_ID in ev.columns else None
    change = ev.select(sessions.session_starts(person=pl.col(s.USER_ID), timestamp=pl.col(s.TIMESTAMP), gap=gap,
                                               session_id=sid)).to_series()
    return np.flatnonzero(change.to_numpy() | new_user)
