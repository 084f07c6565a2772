"""What a funnel refuses to answer: a step whose events never occur, or nobody entering at all.

A funnel over data in which a step's event never occurs gives that step (and every later one) a row of zeros: a
table that looks like an answer, and usually a misspelt or renamed event. :func:`require_step_events` raises
:class:`~analysis.errors.MissingEventError` instead, naming the close matches and the events the data holds.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import polars as pl

from analysis import schema as s
from analysis.conversions import event_summary
from analysis.engine.partition import lazy_events
from analysis.errors import EmptyResultError, MissingEventError
from analysis.funnels.spec import FunnelSpec

_SHOWN = 12


def require_step_events(events: pl.DataFrame | pl.LazyFrame | str | Path, spec: FunnelSpec) -> None:
    """Raise :class:`~analysis.errors.MissingEventError` when none of a step's events occurs in ``events``.

    The message names the first such step, its close matches among the events found and the events found (most
    frequent first, with counts). ``events`` may be a frame, a lazy frame or the path of a canonical Parquet file.

    Examples
    --------
    >>> from analysis.funnels import funnel_spec
    >>> ev = pl.DataFrame({"user_id": ["a", "a"], "event": ["view_item", "purchase"], "timestamp": [1, 2]})
    >>> require_step_events(ev, funnel_spec(["view_item", "purchase"]))
    >>> require_step_events(ev, funnel_spec(["view_item", "purchse"]))
    Traceback (most recent call last):
    ...
    analysis.errors.MissingEventError: step 2 'purchse' does not occur in the data, so nobody can reach it and \
every count from it on would be zero. Close matches: purchase. Events found (2): purchase (1), view_item (1).
    """
    lazy = lazy_events(events)
    wanted = sorted({e for step in spec.steps for e in step.events})
    if s.EVENT not in lazy.collect_schema().names():
        raise MissingEventError(f"events lack the column {s.EVENT!r}, so no funnel step can be found")
    present = lazy.select(pl.col(s.EVENT).cast(pl.String).filter(pl.col(s.EVENT).cast(pl.String).is_in(wanted))
                          .unique()).collect()
    found = set(present[s.EVENT].to_list())
    for k, step in enumerate(spec.steps):
        if found.intersection(step.events):
            continue
        summary = event_summary(events)
        names = summary[s.EVENT].to_list()
        close = list(dict.fromkeys(m for e in step.events for m in difflib.get_close_matches(e, names, n=3,
                                                                                             cutoff=0.6)))
        hint = f" Close matches: {', '.join(close)}." if close else ""
        if summary.is_empty():
            raise MissingEventError(f"step {k + 1} {spec.labels[k]!r} does not occur in the data, which holds no "
                                    "events at all; widen the dates or loosen the filters")
        shown = ", ".join(f"{e} ({c:,})" for e, c in summary.head(_SHOWN).select(s.EVENT, "events").iter_rows())
        more = f" and {summary.height - _SHOWN:,} more" if summary.height > _SHOWN else ""
        raise MissingEventError(f"step {k + 1} {spec.labels[k]!r} does not occur in the data, so nobody can reach "
                                f"it and every count from it on would be zero.{hint} Events found "
                                f"({summary.height:,}): {shown}{more}.")


def require_entrants(units: pl.DataFrame, spec: FunnelSpec) -> None:
    """Raise :class:`~analysis.errors.EmptyResultError` when no unit entered the funnel (an all-zero table).

    Examples
    --------
    >>> from analysis.funnels import funnel_spec
    >>> require_entrants(pl.DataFrame({"entered_at": []}), funnel_spec(["view", "buy"]))
    Traceback (most recent call last):
    ...
    analysis.errors.EmptyResultError: no one entered the funnel (step 1: 'view') in these events; widen the dates, \
loosen the filters or check the first step
    """
    if units.is_empty():
        raise EmptyResultError(f"no one entered the funnel (step 1: {spec.labels[0]!r}) in these events; widen the "
                               "dates, loosen the filters or check the first step")
