"""Per-person facts behind every snapshot table, and the person -> persona frame (from a model or a frame).

This is the small documented fallback the snapshot uses in place of model internals: every number in a snapshot
is recomputed here from prepared events plus a ``user_id -> persona`` frame, after small personas are folded,
so the privacy gate sees each group it publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.prepare.person import person_key
from analysis.privacy import redact_values

PERSONA = "persona"
PERSON = "_person"
UNASSIGNED = "Unassigned"
ALL_USERS = "All users"
PATH_LENGTH = 4  # channels shown per path variant


def person_frame_for(personas: Any) -> pl.DataFrame | None:
    """``user_id`` -> ``persona`` from a fitted ``Personas`` model (``assignments()``) or a frame with those columns.

    Returns None for None (everyone in one group). Raises :class:`AnalysisError` for anything else.
    """
    if personas is None:
        return None
    frame = personas.assignments() if hasattr(personas, "assignments") else personas
    if not isinstance(frame, pl.DataFrame) or not {s.USER_ID, PERSONA} <= set(frame.columns):
        raise AnalysisError("personas must be a fitted Personas model or a frame with columns 'user_id' and "
                            f"'persona'; got {type(personas).__name__}")
    return frame.select(pl.col(s.USER_ID).cast(pl.String), pl.col(PERSONA).cast(pl.String)).unique(s.USER_ID)


def person_table(
    events: pl.DataFrame, personas: pl.DataFrame | None, *, conversion_events: Sequence[str] = ("purchase",)
) -> pl.DataFrame:
    """One row per person: ``_person``, ``persona``, ``first_channel``, ``path``, ``sessions``, ``converted``,
    ``revenue``.

    ``first_channel`` is the channel of the person's first event; ``path`` the channels of the person's sessions in
    order (repeats collapsed, first four, joined by " > "). Labels that look like personal data are redacted.
    People without a persona are "Unassigned"; with ``personas=None`` everyone is "All users".

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda h: datetime(2026, 1, 1, h, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "a"], "timestamp": [t(1), t(5), t(9)],
    ...                    "event": ["page_view", "page_view", "purchase"], "channel": ["Email", "Direct", "Direct"],
    ...                    "session_id": ["a-1", "a-2", "a-3"], "revenue": [None, None, 9.0]})
    >>> person_table(ev, None).select("path", "converted", "revenue").row(0)
    ('Email > Direct', True, 9.0)
    """
    s.validate_events(events)
    key = person_key(events)
    channel = (pl.col(s.CHANNEL) if s.CHANNEL in events.columns else pl.lit(None, pl.String)).fill_null("(none)")
    session = pl.col(s.SESSION_ID) if s.SESSION_ID in events.columns else pl.lit("all")
    revenue = pl.col(s.REVENUE) if s.REVENUE in events.columns else pl.lit(0.0)
    ev = events.select(
        key.alias(PERSON), pl.col(s.TIMESTAMP), pl.col(s.EVENT), channel.alias("channel"), session.alias("_session"),
        revenue.cast(pl.Float64).fill_null(0.0).alias("_revenue"),
    ).with_columns(redact_values("channel")).sort(PERSON, s.TIMESTAMP, maintain_order=True)
    sessions = (
        ev.group_by(PERSON, "_session").agg(pl.col(s.TIMESTAMP).first().alias("_start"), pl.col("channel").first())
        .sort(PERSON, "_start")
        .filter(pl.col("channel") != pl.col("channel").shift(1).over(PERSON).fill_null(""))
        .group_by(PERSON).agg(pl.col("channel").head(PATH_LENGTH).str.join(" > ").alias("path"))
    )
    conversion = pl.col(s.EVENT).is_in(list(conversion_events))
    people = ev.group_by(PERSON).agg(
        pl.col("channel").first().alias("first_channel"),
        pl.col("_session").n_unique().cast(pl.Int64).alias("sessions"),
        conversion.any().alias("converted"),
        pl.col("_revenue").filter(conversion).sum().alias("revenue"),
    ).join(sessions, on=PERSON, how="left")
    if personas is None:
        return people.with_columns(pl.lit(ALL_USERS).alias(PERSONA)).sort(PERSON)
    labels = personas.rename({s.USER_ID: PERSON}).with_columns(redact_values(PERSONA))
    return (people.join(labels, on=PERSON, how="left")
            .with_columns(pl.col(PERSONA).fill_null(UNASSIGNED)).sort(PERSON))
