"""The overlap of sources: how many people appear in which combination of files (web only, CRM + shop, ...)."""

from __future__ import annotations

import polars as pl

from analysis import schema as s
from analysis.prepare.identity.graph import IdentityRules
from analysis.prepare.identity.resolve import SOURCE_FILE, Resolved, resolve_identities

#: The source name of event rows that came from no people file (the web or app analytics export).
EVENTS_SOURCE = "web events"


def source_overlap(resolved: Resolved, *, events_source: str = EVENTS_SOURCE) -> pl.DataFrame:
    """People per combination of sources: ``combination`` (``"crm.csv + web events"``), ``sources`` (count),
    ``people``; largest first.

    An event row's source is its ``source_file`` (events made from a people file) or ``events_source``; a people
    record's is its ``source_file``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> web = pl.DataFrame({"user_id": ["u1", "u2"], "timestamp": [t, t], "event": ["x", "x"]})
    >>> crm = pl.DataFrame({"user_id": ["u1", "u3"], "source_file": ["crm.csv", "crm.csv"]})
    >>> source_overlap(resolve_identities(web, people=crm)).rows()
    [('crm.csv + web events', 2, 1), ('crm.csv', 1, 1), ('web events', 1, 1)]
    """
    src = pl.col(SOURCE_FILE) if SOURCE_FILE in resolved.events.columns else pl.lit(None, pl.String)
    parts = [resolved.events.select(pl.col(s.USER_ID).alias("person"), src.fill_null(events_source).alias("source"))]
    if resolved.people is not None and SOURCE_FILE in resolved.people.columns:
        parts.append(resolved.people.select("person", pl.col(SOURCE_FILE).alias("source")))
    per_person = (pl.concat(parts).unique().group_by("person")
                  .agg(pl.col("source").sort().str.join(" + ").alias("combination"), pl.len().alias("sources")))
    return (per_person.group_by("combination", "sources").agg(pl.len().cast(pl.Int64).alias("people"))
            .with_columns(pl.col("sources").cast(pl.Int64))
            .sort(["sources", "people", "combination"], descending=[True, True, False]))


def overlap_report(events: pl.DataFrame, *, people: pl.DataFrame | None = None,
                   rules: IdentityRules | None = None) -> tuple[pl.DataFrame, Resolved]:
    """:func:`source_overlap` of the events and people tables, and the resolution behind it."""
    resolved = resolve_identities(events, people=people, rules=rules)
    return source_overlap(resolved), resolved
