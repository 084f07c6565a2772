"""The canonical event schema every analysis relies on (see docs/architecture.md).

One row per event. Ingest maps any input onto these columns; everything downstream reads them by these names.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from analysis.errors import AnalysisError

USER_ID = "user_id"
ANONYMOUS_ID = "anonymous_id"
TIMESTAMP = "timestamp"
EVENT = "event"
SOURCE = "source"
MEDIUM = "medium"
CAMPAIGN = "campaign"
REFERRER = "referrer"
CHANNEL = "channel"
REVENUE = "revenue"
SESSION_ID = "session_id"

TIMESTAMP_DTYPE = pl.Datetime("us", "UTC")

#: Canonical columns and their types; extra columns are kept as event properties.
CANONICAL_SCHEMA: dict[str, pl.DataType] = {
    USER_ID: pl.String(),
    ANONYMOUS_ID: pl.String(),
    TIMESTAMP: TIMESTAMP_DTYPE,
    EVENT: pl.String(),
    SOURCE: pl.String(),
    MEDIUM: pl.String(),
    CAMPAIGN: pl.String(),
    REFERRER: pl.String(),
    CHANNEL: pl.String(),
    REVENUE: pl.Float64(),
    SESSION_ID: pl.String(),
}

REQUIRED = (TIMESTAMP, EVENT)
ACQUISITION = (SOURCE, MEDIUM, CAMPAIGN, REFERRER)


def validate_events(events: pl.DataFrame, *, require: Iterable[str] = ()) -> pl.DataFrame:
    """Check that ``events`` follows the canonical schema and return it unchanged.

    Raises :class:`AnalysisError` naming the column and the type that was expected.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> df = pl.DataFrame({"user_id": ["u1"], "timestamp": [datetime(2026, 1, 1, tzinfo=timezone.utc)],
    ...                    "event": ["page_view"]})
    >>> validate_events(df).height
    1
    """
    missing = [c for c in (*REQUIRED, *require) if c not in events.columns]
    if USER_ID not in events.columns and ANONYMOUS_ID not in events.columns:
        missing.append(f"{USER_ID} or {ANONYMOUS_ID}")
    if missing:
        raise AnalysisError(
            f"events lack the column(s) {', '.join(missing)}; present: {', '.join(events.columns) or 'none'}"
        )
    for name, dtype in CANONICAL_SCHEMA.items():
        if name in events.columns and events.schema[name] != dtype:
            raise AnalysisError(f"column {name!r} has type {events.schema[name]}, expected {dtype}")
    return events


def empty_events() -> pl.DataFrame:
    """An empty frame with every canonical column."""
    return pl.DataFrame(schema=CANONICAL_SCHEMA)

