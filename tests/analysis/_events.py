"""Tiny canonical event frames for the journeys tests (identity, channels, sessions, journeys, paths)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from analysis import schema as s

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ts(minutes: float) -> datetime:
    """``T0`` plus ``minutes``."""
    return T0 + timedelta(minutes=minutes)


def frame(**columns: list[Any]) -> pl.DataFrame:
    """A frame with canonical types for the canonical columns given (timestamps as minutes after ``T0``)."""
    data = dict(columns)
    if s.TIMESTAMP in data:
        data[s.TIMESTAMP] = [ts(m) for m in data[s.TIMESTAMP]]
    schema = {name: s.CANONICAL_SCHEMA.get(name, pl.String()) for name in data}
    return pl.DataFrame(data, schema=schema)
