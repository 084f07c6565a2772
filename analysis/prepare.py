"""Prepare canonical events for analysis: identity stitching, channels and sessions in one pass.

Minimal first version (foundation); the full stitching, GA4 channel rules and sessionization options replace it.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from analysis import schema as s


def prepare(events: pl.DataFrame, *, session_gap: timedelta = timedelta(minutes=30)) -> pl.DataFrame:
    """Return events sorted by person and time with a resolved ``user_id`` and a ``session_id``.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> prepare(generate_sample(50, seed=1).events)["session_id"].null_count()
    0
    """
    s.validate_events(events)
    anon = pl.col(s.ANONYMOUS_ID) if s.ANONYMOUS_ID in events.columns else pl.lit(None, pl.String)
    resolved = pl.coalesce(pl.col(s.USER_ID).drop_nulls().first().over(anon), pl.col(s.USER_ID), anon)
    out = events.with_columns(resolved.alias(s.USER_ID)).sort(s.USER_ID, s.TIMESTAMP, maintain_order=True)
    new_session = (pl.col(s.TIMESTAMP).diff().over(s.USER_ID) > session_gap).fill_null(True)
    return out.with_columns(
        pl.format("{}-{}", pl.col(s.USER_ID), new_session.cum_sum().over(s.USER_ID)).alias(s.SESSION_ID)
    )
