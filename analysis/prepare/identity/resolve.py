"""Person keys for event rows and people records from the identity graph, and people attributes per person.

An event's person comes from its best identifier (:data:`analysis.prepare.identity.graph.ID_TYPES` order). Its
``user_id`` is first resolved by the device rule of :mod:`analysis.prepare.identity.stitch`, so on event-only data the
result equals :func:`~analysis.prepare.identity.stitch.stitch_identities` exactly: the graph adds links, never
removes one that stitching made.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis import schema as s
from analysis.prepare.identity.graph import ID_TYPES, IdentityGraph, IdentityRules, identity_graph, own_key
from analysis.prepare.identity.stitch import stitched_users

#: Column of a people table (and of the events made from it) naming the file it came from.
SOURCE_FILE = "source_file"
#: Column of a people table counting the records behind each person (after :func:`people_attributes`).
RECORDS = "records"


def with_person(frame: pl.DataFrame, graph: IdentityGraph, *, name: str) -> pl.DataFrame:
    """``frame`` plus ``name``: the person of each row's best identifier (joins on the graph's node table)."""
    types = [t for t in ID_TYPES if t in frame.columns]
    if not types:
        return frame.with_columns(pl.lit(None, pl.String).alias(name))
    # the joins run on the identifier columns alone: joining the whole frame would copy every column per type
    # (as strings: a column with no value at all has type Null)
    ids = frame.select(pl.col(types).cast(pl.String))
    keys = []
    for i, kind in enumerate(types):
        table = graph.nodes.filter(pl.col("id_type") == kind).select(
            pl.col("value").alias(kind), pl.col("person").alias(f"_p{i}"))
        ids = ids.join(table, on=kind, how="left", maintain_order="left", nulls_equal=False)
        keys.append(pl.coalesce(f"_p{i}", own_key(kind, pl.col(kind))))
    return frame.with_columns(ids.select(pl.coalesce(keys).alias(name)).to_series())


@dataclass(frozen=True)
class Resolved:
    """Events with ``user_id`` set to the person, people records with ``person``, and the graph behind them."""

    events: pl.DataFrame
    people: pl.DataFrame | None
    graph: IdentityGraph


def resolve_identities(events: pl.DataFrame, *, people: pl.DataFrame | None = None,
                       rules: IdentityRules | None = None) -> Resolved:
    """Give every event and people record its person through the identity graph.

    ``events`` keeps its rows, columns and order; ``user_id`` becomes the person key (the user id when the person
    has one, else ``customer:<number>``, ``email:<hash>``, ``phone:<hash>`` or the device's anonymous id).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> web = pl.DataFrame({"user_id": ["u1", None], "anonymous_id": ["a1", "a1"], "timestamp": [t, t],
    ...                     "event": ["login", "page_view"]})
    >>> crm = pl.DataFrame({"customer_id": ["K7", "K7"], "email": ["e1", None], "user_id": [None, "u1"]})
    >>> r = resolve_identities(web, people=crm)
    >>> r.events["user_id"].to_list(), r.people["person"].to_list()
    (['u1', 'u1'], ['u1', 'u1'])
    """
    s.validate_events(events)
    frames = [events] if people is None else [events, people]
    graph = identity_graph(frames, rules=rules)
    stitched = stitched_users(events)
    columns = events.columns if s.USER_ID in events.columns else [s.USER_ID, *events.columns]
    out = with_person(stitched, graph, name="_person").with_columns(pl.col("_person").alias(s.USER_ID)).select(columns)
    resolved_people = None if people is None else with_person(people, graph, name="person")
    return Resolved(events=out, people=resolved_people, graph=graph)
