"""Prepare canonical events for analysis: identity resolution, channel grouping and sessions in one pass.

Each step is also callable alone: :func:`analysis.prepare.identity.stitch_identities` (or, with people tables,
:func:`analysis.prepare.identity.resolve_identities`), :func:`analysis.prepare.channels.assign_channels`,
:func:`analysis.prepare.sessions.sessionize`. ``prepare`` chains them over one sort by person and time: stitching is
a group-by over devices plus a join, channel rules run once per distinct acquisition touch, and sessions and the
in-session channel fill are window-free expressions over the sorted frame.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from analysis import schema as s
from analysis.prepare.channels import UNASSIGNED, fill_sorted_sessions, touch_channels
from analysis.prepare.identity import CUSTOMER_ID, EMAIL, PHONE, IdentityRules, people_attributes, resolve_identities
from analysis.prepare.identity.graph import id_columns
from analysis.prepare.order import sort_person_time
from analysis.prepare.sessions import PERSON, add_sessions
from analysis.vocabulary import SESSION_GAP

__all__ = ["MATCHING_ONLY", "UNASSIGNED", "prepare"]

#: Identifier columns used for matching only: not in the prepared events.
MATCHING_ONLY = (CUSTOMER_ID, EMAIL, PHONE)


def prepare(
    events: pl.DataFrame,
    *,
    people: pl.DataFrame | None = None,
    identity_rules: IdentityRules | None = None,
    session_gap: timedelta = SESSION_GAP,
    channel_rules: pl.DataFrame | None = None,
    new_session_on_campaign: bool = False,
    source_lists: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Resolve identities, assign channels and build sessions; return a new frame sorted by user and time.

    ``user_id`` holds the resolved person on every row (the ``anonymous_id`` for devices never identified),
    ``session_id`` is filled on every row and ``channel`` on every row (a non-null input ``channel`` is kept).
    On events alone the person is the device rule's (:func:`analysis.prepare.identity.stitch_identities`); every other
    identifier column (``customer_id``, ``email``, ``phone``) links people through the identity graph.

    Parameters
    ----------
    people
        People records (:func:`analysis.load_people`'s ``.people``, several concatenated): their identifiers join
        the identity graph and their attributes (segment, lifecycle, ...) are attached to every event of the person
        as extra columns (named ``<attribute>_person`` where an event column already has the name). The identifier
        columns ``customer_id``, ``email`` and ``phone`` serve matching only and are not in the result.
    identity_rules
        The identity graph's false-merge rule (:class:`~analysis.prepare.identity.IdentityRules`; defaults if None).
    session_gap
        Inactivity longer than this starts a new session.
    channel_rules, source_lists
        Rule table and site lists for :func:`~analysis.prepare.channels.assign_channels`; shipped GA4 defaults if None.
    new_session_on_campaign
        Also start a session when source/medium/campaign change.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> prepared = prepare(generate_sample(50, seed=1).events)
    >>> prepared["session_id"].null_count(), prepared["channel"].null_count()
    (0, 0)
    """
    s.validate_events(events)
    extra: list[str] = []
    if people is None and [c for c in id_columns(events) if events[c].null_count() < events.height] == [s.USER_ID]:
        # identified by user id alone (other identifier columns empty): no links, every user is their own person
        stitched, resolved = events, None
    else:
        resolved = resolve_identities(events, people=people, rules=identity_rules)
        stitched = resolved.events
    if resolved is not None and resolved.people is not None:
        table, _ = people_attributes(resolved.people)
        table = table.drop("records").rename(
            {c: f"{c}_person" for c in table.columns if c != "person" and c in stitched.columns})
        extra = [c for c in table.columns if c != "person"]
        stitched = stitched.join(table.rename({"person": s.USER_ID}), on=s.USER_ID, how="left",
                                 maintain_order="left")
    given = pl.col(s.CHANNEL) if s.CHANNEL in events.columns else pl.lit(None, pl.String)
    needs_channels = s.CHANNEL not in events.columns or events[s.CHANNEL].null_count() > 0
    own = touch_channels(stitched, rules=channel_rules, source_lists=source_lists) if needs_channels else None
    # the one sort of the dataset: by person (user_id holds it on every row now), then time; ties keep input order
    ordered = (
        sort_person_time(stitched.with_columns(*([own.alias("_own")] if own is not None else [])))
        .with_columns(pl.col(s.USER_ID).alias(PERSON))
    )
    sessions = add_sessions(ordered, gap=session_gap, new_session_on_campaign=new_session_on_campaign)
    if own is not None:
        channel = pl.coalesce(given, fill_sorted_sessions(pl.col("_own"), pl.col("_new_session"), default="Direct"))
        sessions = sessions.with_columns(channel.alias(s.CHANNEL))
    # e-mail and phone hashes and customer numbers served matching; the person key in user_id stands for them
    columns = [c for c in events.columns if c not in MATCHING_ONLY] + extra
    for name in (s.USER_ID, s.CHANNEL, s.SESSION_ID):
        if name not in columns:
            columns.append(name)
    return sessions.select(columns)
