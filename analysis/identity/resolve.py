"""Person keys for event rows and people records from the identity graph, and people attributes per person.

An event's person comes from its best identifier (:data:`analysis.identity.graph.ID_TYPES` order). Its
``user_id`` is first resolved by the device rule of :mod:`analysis.identity.stitch`, so on event-only data the
result equals :func:`~analysis.identity.stitch.stitch_identities` exactly: the graph adds links, never removes one
that stitching made.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis import schema as s
from analysis.identity.graph import ID_TYPES, IdentityGraph, IdentityRules, id_columns, identity_graph
from analysis.identity.stitch import stitched_users

#: Column of a people table (and of the events made from it) naming the file it came from.
SOURCE_FILE = "source_file"
#: Column of a people table counting the records behind each person (after :func:`people_attributes`).
RECORDS = "records"


def person_expr(graph: IdentityGraph, columns: list[str]) -> pl.Expr:
    """The person of each row: the person of its best identifier present among ``columns``."""
    parts = [graph.person_of(t, pl.col(t)) for t in ID_TYPES if t in columns]
    return pl.coalesce(parts) if parts else pl.lit(None, pl.String)


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
    person = person_expr(graph, id_columns(stitched))
    columns = events.columns if s.USER_ID in events.columns else [s.USER_ID, *events.columns]
    out = stitched.with_columns(person.alias(s.USER_ID)).select(columns)
    resolved_people = None
    if people is not None:
        resolved_people = people.with_columns(person_expr(graph, id_columns(people)).alias("person"))
    return Resolved(events=out, people=resolved_people, graph=graph)
