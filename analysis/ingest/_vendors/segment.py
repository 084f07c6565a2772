"""Segment messages (track, page, screen, identify) as Segment's raw exports deliver them (one JSON per line).

Contract: Segment's "Spec" (segment.com/docs/connections/spec: Common Fields, Track, Page, Screen, Identify):
``type``, ``messageId`` (unique per message: the duplicate key), ``timestamp`` (ISO 8601), ``userId``,
``anonymousId``, ``event`` (track), ``name`` (page and screen), ``context.campaign.{source,medium,name}``,
``context.page.referrer``, ``properties`` and ``traits``. An identify call carries both ``anonymousId`` and
``userId``: it is kept as an ``identify`` event, so stitching links the device to the person even when the person
has no other event under that userId. Page and screen calls are named the way Segment's own destinations name
them: ``Viewed <name> Page`` / ``Viewed <name> Screen``, or ``Loaded a Page`` / ``Loaded a Screen`` without a
name; that ``name`` field is kept as ``page_name`` (it names a page, not a person).
"""

from __future__ import annotations

import polars as pl

from analysis.ingest._vendors.common import Prepared, find, text

EVENT = "segment.event"
IDENTIFY = "identify"


def prepare(raw: pl.DataFrame, *, name: str) -> Prepared:
    """One event name per message, whatever its type.

    Examples
    --------
    >>> raw = pl.DataFrame({"type": ["track", "page", "page", "identify"], "event": ["Signed Up", None, None, None],
    ...                     "name": [None, "Pricing", None, None]})
    >>> prepare(raw, name="f").frame[EVENT].to_list()
    ['Signed Up', 'Viewed Pricing Page', 'Loaded a Page', 'identify']
    """
    cols = raw.columns
    kind = text(raw, find(cols, "type")).str.to_lowercase()
    event, label = text(raw, find(cols, "event")), text(raw, find(cols, "name"))
    derived = (
        pl.when(kind == "page").then(pl.coalesce(pl.format("Viewed {} Page", label), pl.lit("Loaded a Page")))
        .when(kind == "screen").then(pl.coalesce(pl.format("Viewed {} Screen", label), pl.lit("Loaded a Screen")))
        .when(kind == "identify").then(pl.lit(IDENTIFY))
        .when(kind.is_in(["group", "alias"])).then(kind)
        .otherwise(event).alias(EVENT)
    )
    out = raw.with_columns(derived)
    notes = []
    label_col = find(cols, "name")
    if label_col is not None and "page_name" not in cols:
        # page and screen calls name a page, not a person: kept as page_name so no one takes it for personal data
        out = out.rename({label_col: "page_name"})
        notes.append(f"the page and screen '{label_col}' field is kept as page_name")
    identifies = int((out[EVENT] == IDENTIFY).sum()) if find(cols, "type") else 0
    if identifies:
        notes.append(f"{identifies:,} identify call(s) kept as 'identify' events: each links its anonymousId to "
                     "its userId, so the device's events join the person's journey")
    return Prepared(out, notes)
