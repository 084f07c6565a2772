"""Sessionization: split each person's events into sessions by inactivity (and optionally by campaign change).

Rules, per person (``user_id``, else ``anonymous_id``), events in time order:

* a new session starts at the person's first event and after every gap **longer** than ``gap`` (a gap of exactly
  ``gap`` stays in the session);
* with ``new_session_on_campaign=True`` also at an event whose source/medium/campaign differ from the latest ones
  carried earlier by the same person (events without acquisition fields never start one);
* offline events (channel ``Offline``: orders and lifecycle changes from people files) take no part: an offline
  event never starts, extends, splits or bridges a session; it sits in the session it falls within (between two of
  its events) or is a session of its own, ``"<person>-offline-<n>"``;
* an export's own ``session_id`` is respected: events that carry one keep it (prefixed with the person when the same
  id occurs for several people, so a session never spans people); events without one get a derived id
  ``"<person>-<n>"`` from the rules above (``n`` counts from 1 per person).

Every event lands in exactly one session.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.prepare.channels import OFFLINE
from analysis.prepare.person import person_key
from analysis.vocabulary import SESSION_GAP

PERSON = "_person"


def campaign_key(columns: Collection[str]) -> pl.Expr:
    """The normalised source/medium/campaign of an event, null when it carries none of them."""
    parts = [
        pl.col(c).cast(pl.String).str.strip_chars().str.to_lowercase() if c in columns else pl.lit(None)
        for c in (s.SOURCE, s.MEDIUM, s.CAMPAIGN)
    ]
    carried = pl.any_horizontal([p.is_not_null() & (p != "") for p in parts])
    return pl.when(carried).then(pl.concat_str([p.fill_null("") for p in parts], separator="\x1f"))


def session_starts(
    *,
    person: pl.Expr,
    timestamp: pl.Expr,
    gap: timedelta = SESSION_GAP,
    session_id: pl.Expr | None = None,
    campaign: pl.Expr | None = None,
) -> pl.Expr:
    """True where a session starts, on rows sorted by person and time: the one session rule.

    A session starts at a person's first event; where a row or the row before it carries a session id, at every
    change of that id; between rows without one, after a gap longer than ``gap`` and, given ``campaign`` (see
    :func:`campaign_key`), at an event whose campaign differs from the latest one carried earlier by the person.
    :func:`sessionize` and :func:`~analysis.prepare.prepare` derive ``session_id`` with it; analyses of prepared
    events call it with their ``session_id`` (whose changes are then the sessions, whatever the gap).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, 1, 10, m, tzinfo=timezone.utc) for m in (0, 20, 55, 56)]
    >>> ev = pl.DataFrame({"p": ["u1"] * 4, "t": t, "sid": [None, None, None, "s9"]})
    >>> ev.select(session_starts(person=pl.col("p"), timestamp=pl.col("t"), session_id=pl.col("sid")))["p"].to_list()
    [True, False, True, True]
    """
    if gap <= timedelta(0):
        raise AnalysisError(f"session gap must be positive, got {gap}")
    first = ~person.eq_missing(person.shift())
    derived = ((timestamp - timestamp.shift()) > gap).fill_null(True)
    if campaign is not None:
        row = pl.int_range(pl.len(), dtype=pl.Int64)
        person_start = pl.when(first).then(row).forward_fill()
        carrier = pl.when(campaign.is_not_null()).then(row).forward_fill()
        latest = pl.when(carrier >= person_start).then(campaign.forward_fill())
        derived = derived | (campaign.is_not_null() & latest.shift().is_not_null() & (campaign != latest.shift())
                             & ~first).fill_null(False)
    if session_id is None:
        return first | derived
    neither = session_id.is_null() & session_id.shift().is_null()
    return first | pl.when(neither).then(derived).otherwise(session_id.ne_missing(session_id.shift()))


def _derived_ids(events: pl.DataFrame) -> pl.Series:
    """``<person>-<n>`` with ``n`` counting sessions per person from 1, for events sorted by person with their
    ``_new_session`` flags (true on each person's first row): formatted once per session and repeated over its
    rows, with no group-by."""
    person, start = pl.col(PERSON), pl.col("_new_session")
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    nth = row - pl.when(~person.eq_missing(person.shift())).then(row).forward_fill() + 1
    ids = events.select(person.filter(start)).select(pl.format("{}-{}", person, nth)).to_series()
    return ids.gather(events.select(start.cum_sum() - 1).to_series()).alias(s.SESSION_ID)


def _given_ids(events: pl.DataFrame) -> pl.Expr | None:
    """The export's session ids, prefixed by person when an id is shared by several people; None if absent."""
    if s.SESSION_ID not in events.columns or events[s.SESSION_ID].null_count() == events.height:
        return None
    shared = (
        events.lazy().select(PERSON, s.SESSION_ID).drop_nulls(s.SESSION_ID)
        .group_by(s.SESSION_ID).agg(pl.col(PERSON).n_unique().alias("n")).filter(pl.col("n") > 1)
        .select(pl.len()).collect().item()
    )
    return pl.format("{}:{}", pl.col(PERSON), pl.col(s.SESSION_ID)) if shared else pl.col(s.SESSION_ID)


def add_sessions(
    events: pl.DataFrame, *, gap: timedelta, new_session_on_campaign: bool = False
) -> pl.DataFrame:
    """Add ``session_id`` and a ``_new_session`` flag to events already sorted by ``_person`` and time.

    Offline events (channel ``Offline``) take no part in the rule: sessions are cut over the other events alone, so
    an offline event never starts, extends, splits or bridges one. It then sits in the session it falls within
    (between two of its events), or is a session of its own, ``"<person>-offline-<n>"``.
    """
    if s.CHANNEL not in events.columns or not events.select((pl.col(s.CHANNEL) == OFFLINE).any()).item():
        return _sessions(events, gap=gap, new_session_on_campaign=new_session_on_campaign)
    offline = events.select((pl.col(s.CHANNEL) == OFFLINE).fill_null(False)).to_series()
    needed = [c for c in (PERSON, s.TIMESTAMP, s.SESSION_ID, *(
        (s.SOURCE, s.MEDIUM, s.CAMPAIGN) if new_session_on_campaign else ())) if c in events.columns]
    web = _sessions(events.select(needed).filter(~offline), gap=gap, new_session_on_campaign=new_session_on_campaign)
    at = (~offline).arg_true()
    sid = pl.Series(s.SESSION_ID, [None], dtype=pl.String).extend_constant(None, events.height - 1)
    sid.scatter(at, web[s.SESSION_ID])
    row, person = pl.int_range(pl.len(), dtype=pl.Int64), pl.col(PERSON)
    first, last = ~person.eq_missing(person.shift()), ~person.eq_missing(person.shift(-1))
    start, end = pl.when(first).then(row).forward_fill(), pl.when(last).then(row).backward_fill()
    is_web = ~pl.col("_offline")
    before = pl.when(pl.when(is_web).then(row).forward_fill() >= start).then(pl.col("_sid").forward_fill())
    after = pl.when(pl.when(is_web).then(row).backward_fill() <= end).then(pl.col("_sid").backward_fill())
    count = pl.col("_offline").cast(pl.Int64).cum_sum()
    nth = count - pl.when(first).then(count - pl.col("_offline").cast(pl.Int64)).forward_fill()
    own = pl.format("{}-offline-{}", person, nth)
    given = pl.col(s.SESSION_ID) if s.SESSION_ID in events.columns else pl.lit(None, pl.String)
    session = (pl.when(is_web).then(pl.col("_sid"))
               .when(before.eq_missing(after) & before.is_not_null()).then(before)
               .otherwise(pl.coalesce(given, own)))
    out = events.with_columns(_offline=offline, _sid=sid).with_columns(session.alias(s.SESSION_ID))
    return out.with_columns(
        pl.col(s.SESSION_ID).ne_missing(pl.col(s.SESSION_ID).shift()).fill_null(True).alias("_new_session")
    ).drop("_offline", "_sid")


def _sessions(
    events: pl.DataFrame, *, gap: timedelta, new_session_on_campaign: bool
) -> pl.DataFrame:
    """:func:`add_sessions` without offline events."""
    flags = session_starts(person=pl.col(PERSON), timestamp=pl.col(s.TIMESTAMP), gap=gap,
                           campaign=campaign_key(events.columns) if new_session_on_campaign else None)
    flagged = events.with_columns(flags.alias("_new_session"))
    derived = _derived_ids(flagged)
    given = _given_ids(events)
    if given is None:
        return flagged.with_columns(derived)
    out = events.with_columns(pl.coalesce(given, pl.lit(derived)).alias(s.SESSION_ID))
    return out.with_columns(
        pl.col(s.SESSION_ID).ne_missing(pl.col(s.SESSION_ID).shift()).fill_null(True).alias("_new_session")
    )


def sessionize(
    events: pl.DataFrame, *, gap: timedelta = SESSION_GAP, new_session_on_campaign: bool = False
) -> pl.DataFrame:
    """Assign every event a ``session_id`` (see the module docstring for the rules).

    Returns a new frame sorted by person (``user_id``, else ``anonymous_id``) and ``timestamp`` (ties keep input
    order) with ``session_id`` filled on every row. Run :func:`~analysis.prepare.identity.stitch_identities` first so
    that anonymous events before a login share sessions with the person's later events.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, 1, 10, m, tzinfo=timezone.utc) for m in (0, 20, 55)]
    >>> ev = pl.DataFrame({"user_id": ["u1"] * 3, "timestamp": t, "event": ["a", "b", "c"]})
    >>> sessionize(ev)["session_id"].to_list()
    ['u1-1', 'u1-1', 'u1-2']
    """
    s.validate_events(events)
    ordered = events.with_columns(person_key(events).alias(PERSON)).sort(
        PERSON, s.TIMESTAMP, maintain_order=True
    )
    out = add_sessions(ordered, gap=gap, new_session_on_campaign=new_session_on_campaign)
    columns = events.columns if s.SESSION_ID in events.columns else [*events.columns, s.SESSION_ID]
    return out.select(columns)
