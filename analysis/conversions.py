"""Which events count as conversions, and the main funnel that leads to them: a suggestion, with its reason.

The app asks the user right after a load; these functions give the proposal it shows (marked as a suggestion).

- :func:`likely_conversion_events` ranks the events that look like conversions by one rule: well-known conversion
  names first (:data:`analysis.vocabulary.CONVERSION_NAMES`: ``purchase``, ``conversion``, ``order``, ``Kauf`` …,
  in that order), then the events that come late in most of their people's timelines, rarest first; when neither
  exists, the event that comes latest.
- :func:`suggest_conversions`: the first of them, with the reason (what the Data page proposes).
- :func:`require_conversions`: the refusal every analysis that needs conversions (journeys, attribution) gives when
  none of the chosen events occurs, naming the events found (:func:`event_summary`) and the first three likely
  conversion events.
- :func:`suggest_funnel`: the events most converters did before their first conversion, the ones closest to it,
  in the order people did them, followed by the conversion.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from analysis import schema as s
from analysis.engine.partition import lazy_events
from analysis.errors import AnalysisError, NoConversionsError
from analysis.prepare.person import person_key
from analysis.vocabulary import CONVERSION_NAMES

#: How late an event must come (share of its people who first do it in the second half of their timeline).
LATE_SHARE = 0.5
#: The funnel's prior steps must have been done by at least this share of converters before converting.
STEP_COVERAGE = 0.5
_PERSON = "_person"


@dataclass(frozen=True)
class ConversionSuggestion:
    """Proposed conversion events and why (``known_name``: found by its name rather than by behaviour)."""

    events: tuple[str, ...]
    reason: str
    known_name: bool


@dataclass(frozen=True)
class FunnelSuggestion:
    """Proposed funnel steps (event names, in order, ending with a conversion) and why."""

    steps: tuple[str, ...]
    reason: str


def normalise_name(name: str) -> str:
    """An event name as compared with :data:`~analysis.vocabulary.CONVERSION_NAMES`: lower case, runs of
    space/./- as ``_``.

    Examples
    --------
    >>> normalise_name("Order Completed")
    'order_completed'
    """
    return re.sub(r"[\s.\-_]+", "_", name.strip().lower())


def _check(events: pl.DataFrame) -> None:
    missing = [c for c in (s.TIMESTAMP, s.EVENT) if c not in events.columns]
    if missing or not ({s.USER_ID, s.ANONYMOUS_ID} & set(events.columns)):
        need = ", ".join(missing) or "user_id or anonymous_id"
        raise AnalysisError(f"Cannot suggest conversions: the events have no {need} column (canonical events "
                            f"need timestamp, event and user_id or anonymous_id).")


def _people(events: pl.DataFrame) -> pl.DataFrame:
    """``_person`` (user_id, else anonymous_id), timestamp, event; rows without any of them left out."""
    return _people_lazy(events.lazy(), events.columns).collect()


def _people_lazy(events: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    return events.select(person_key(columns).alias(_PERSON), pl.col(s.TIMESTAMP), pl.col(s.EVENT)).drop_nulls()


def _known(names: list[str]) -> list[str]:
    """The names that are well-known conversion names, best first (then alphabetical)."""
    rank = {known: i for i, known in enumerate(CONVERSION_NAMES)}
    return [n for _, n in sorted((rank[normalise_name(n)], n) for n in names if normalise_name(n) in rank)]


def _late(stats: pl.DataFrame) -> pl.DataFrame:
    """Events most of whose people first do them late, done by at least two people: rarest first, then later."""
    return stats.filter((pl.col("late_share") >= LATE_SHARE) & (pl.col("people") >= 2)).sort(
        ["people", "late_share", s.EVENT], descending=[False, True, False])


def _latest(stats: pl.DataFrame) -> dict[str, Any]:
    """The event that comes latest (the fallback when no name is known and no event comes late)."""
    return stats.sort(["late_share", "people", s.EVENT], descending=[True, False, False]).row(0, named=True)


def likely_conversion_events(events: pl.DataFrame | pl.LazyFrame | str | Path, *, n: int = 3) -> list[str]:
    """Up to ``n`` events that look like conversions, best first (the rule in the module docstring).

    ``events`` may be a frame, a lazy frame or the path of a canonical Parquet file. Without timestamps or person
    ids only the names count.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b", "b"], "event": ["view", "Kauf", "view", "view"],
    ...                    "timestamp": [1, 2, 1, 2]})
    >>> likely_conversion_events(ev)
    ['Kauf']
    """
    lazy = lazy_events(events)
    columns = lazy.collect_schema().names()
    if s.EVENT not in columns:
        raise AnalysisError(f"events lack the column {s.EVENT!r}; present: {', '.join(columns)}")
    names = lazy.select(pl.col(s.EVENT).drop_nulls().unique()).collect()[s.EVENT].cast(pl.String).to_list()
    picked = _known(names)
    timeline = s.TIMESTAMP in columns and bool({s.USER_ID, s.ANONYMOUS_ID} & set(columns))
    if len(picked) < n and timeline:
        stats = _lateness(_people_lazy(lazy, columns))
        picked += _late(stats)[s.EVENT].to_list()
        if not picked and not stats.is_empty():
            picked.append(str(_latest(stats)[s.EVENT]))
    return list(dict.fromkeys(picked))[:n]


def suggest_conversions(events: pl.DataFrame) -> ConversionSuggestion:
    """Propose the events that count as conversions.

    The first of :func:`likely_conversion_events`: a known conversion name
    (:data:`~analysis.vocabulary.CONVERSION_NAMES`, the earliest in that list) wins. Otherwise the rarest event
    (fewest people) among those that most of their people first do in the second half of their timeline, done by
    at least two people; ties go to the later event, then the name. Without events: an empty proposal.

    Examples
    --------
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b"], "event": ["page_view", "Kauf", "page_view"],
    ...                    "timestamp": [datetime(2026, 1, 1, h) for h in (1, 2, 3)]})
    >>> suggest_conversions(ev).events
    ('Kauf',)
    """
    _check(events)
    names = events[s.EVENT].drop_nulls().unique().sort().to_list()
    if not names:
        return ConversionSuggestion((), "The data has no events, so there is nothing to suggest.", False)
    known = _known(names)
    if known:
        name = known[0]
        return ConversionSuggestion(
            (name,), f"“{name}” is a usual name for a conversion event. Check it is the one that means success "
                     "for you.", True)
    stats = _lateness(_people_lazy(events.lazy(), events.columns))
    candidates = _late(stats)
    if candidates.is_empty():
        last = _latest(stats)
        return ConversionSuggestion(
            (last[s.EVENT],), f"No event has a usual conversion name and none comes late for most people; "
                              f"“{last[s.EVENT]}” comes latest ({last['late_share']:.0%} of its people do it first "
                              "in the second half of their events). Choose the events that mean success.", False)
    row = candidates.row(0, named=True)
    return ConversionSuggestion(
        (row[s.EVENT],),
        f"No event has a usual conversion name. “{row[s.EVENT]}” is the rarest event that comes late: "
        f"{row['people']:,} people ({row['people_share']:.1%}) did it, {row['late_share']:.0%} of them first in "
        "the second half of their events, as conversions tend to be.", False)


def _lateness(people: pl.LazyFrame) -> pl.DataFrame:
    """Per event name (from :func:`_people_lazy`): ``people`` doing it, their share of everyone, and
    ``late_share``: the share of them whose first occurrence is in the second half of their own timeline (people
    with one event count as early)."""
    rows = people.sort([_PERSON, s.TIMESTAMP, s.EVENT]).with_columns(
        position=pl.int_range(pl.len()).over(_PERSON), length=pl.len().over(_PERSON))
    firsts = rows.group_by(_PERSON, s.EVENT).agg(pl.col("position").min(), pl.col("length").first())
    total = pl.col(_PERSON).n_unique().clip(lower_bound=1)
    late = (pl.col("length") > 1) & (pl.col("position") / (pl.col("length") - 1).clip(lower_bound=1) >= 0.5)
    return (firsts.with_columns(total.alias("_total"))
            .group_by(s.EVENT).agg(people=pl.len(), late_share=late.mean(), _total=pl.col("_total").first())
            .select(s.EVENT, "people", "late_share", people_share=pl.col("people") / pl.col("_total"))
            .collect())


def suggest_funnel(events: pl.DataFrame, *, conversion_events: tuple[str, ...] | list[str],
                   max_steps: int = 4) -> FunnelSuggestion:
    """Propose a funnel that ends with the most common conversion event.

    The prior steps are events done by at least :data:`STEP_COVERAGE` of converters before their first
    conversion; the ``max_steps - 1`` whose first occurrence comes closest to the conversion (median number of
    distinct events in between) are kept, in the order people first did them. Without converters, or when no
    event qualifies, the most common event leads to the conversion.

    Examples
    --------
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
    ...                    "event": ["view", "cart", "buy", "view", "cart"],
    ...                    "timestamp": [datetime(2026, 1, 1, h) for h in (1, 2, 3, 1, 2)]})
    >>> suggest_funnel(ev, conversion_events=["buy"]).steps
    ('view', 'cart', 'buy')
    """
    _check(events)
    if max_steps < 2:
        raise AnalysisError(f"A funnel needs at least 2 steps; max_steps={max_steps}.")
    conversions = [c for c in dict.fromkeys(conversion_events)]
    if not conversions:
        raise AnalysisError("Pick at least one conversion event to suggest a funnel for.")
    rows = _people(events)
    hits = rows.filter(pl.col(s.EVENT).is_in(conversions))
    if hits.is_empty():
        return FunnelSuggestion((), f"Nobody did {', '.join(map(repr, conversions))}, so there is no funnel to "
                                    "suggest. Pick other conversion events.")
    final = hits.group_by(s.EVENT).agg(people=pl.col(_PERSON).n_unique()).sort(
        ["people", s.EVENT], descending=[True, False])[s.EVENT][0]
    converted = hits.group_by(_PERSON).agg(pl.col(s.TIMESTAMP).min().alias("_converted"))
    before = (rows.join(converted, on=_PERSON)
              .filter((pl.col(s.TIMESTAMP) < pl.col("_converted")) & ~pl.col(s.EVENT).is_in(conversions))
              .group_by(_PERSON, s.EVENT).agg(pl.col(s.TIMESTAMP).min().alias("_first"))
              .sort([_PERSON, "_first", s.EVENT])
              .with_columns(to_go=(pl.len() - 1 - pl.int_range(pl.len())).over(_PERSON)))
    stats = before.group_by(s.EVENT).agg(people=pl.len(), to_go=pl.col("to_go").median()).with_columns(
        coverage=pl.col("people") / converted.height)
    steps = (stats.filter(pl.col("coverage") >= STEP_COVERAGE)
             .sort(["to_go", "coverage", s.EVENT], descending=[False, True, False]).head(max_steps - 1)
             .sort(["to_go", "coverage", s.EVENT], descending=[True, True, False]))
    if steps.is_empty():
        others = rows.filter(pl.col(s.EVENT) != final).group_by(s.EVENT).agg(people=pl.col(_PERSON).n_unique())
        if others.is_empty():
            return FunnelSuggestion((final,), f"The data has no event besides “{final}”: no funnel to suggest.")
        first = others.sort(["people", s.EVENT], descending=[True, False])[s.EVENT][0]
        return FunnelSuggestion((first, final), f"No event was done by most converters before converting; the "
                                                f"most common event, “{first}”, leads to “{final}”.")
    parts = ", ".join(f"“{e}” ({c:.0%})" for e, c in steps.select(s.EVENT, "coverage").iter_rows())
    return FunnelSuggestion(
        (*steps[s.EVENT].to_list(), final),
        f"Of the {converted.height:,} people who converted, most did {parts} before converting, in this order; "
        f"these are the events closest to the conversion.")


#: How many event names a refusal lists.
_SHOWN = 12


def _frame(events: pl.DataFrame | pl.LazyFrame | str | Path) -> pl.LazyFrame:
    lazy = lazy_events(events)
    names = lazy.collect_schema().names()
    if s.EVENT not in names:
        raise AnalysisError(f"events lack the column {s.EVENT!r}; present: {', '.join(names)}")
    return lazy


def event_summary(events: pl.DataFrame | pl.LazyFrame | str | Path) -> pl.DataFrame:
    """Per event name: ``events`` (rows), ``people`` and ``last_of`` (people whose last event it is), most rows first.

    ``events`` may be a frame, a lazy frame or the path of a canonical Parquet file.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
    ...                    "timestamp": [1, 2, 1]})
    >>> event_summary(ev).rows()
    [('view', 2, 2, 1), ('buy', 1, 1, 1)]
    """
    lazy = _frame(events)
    names = lazy.collect_schema().names()
    person = person_key(names) if s.USER_ID in names or s.ANONYMOUS_ID in names else None
    lazy = lazy.filter(pl.col(s.EVENT).is_not_null())
    if person is None:
        counts = lazy.group_by(s.EVENT).agg(events=pl.len(), people=pl.lit(0, pl.UInt32), last_of=pl.lit(0, pl.UInt32))
    else:
        lazy = lazy.with_columns(person.alias("_p"))
        last = (lazy.filter(pl.col("_p").is_not_null())
                .group_by("_p").agg(pl.col(s.EVENT).sort_by(s.TIMESTAMP).last() if s.TIMESTAMP in names
                                    else pl.col(s.EVENT).last())
                .group_by(s.EVENT).agg(last_of=pl.len()))
        counts = (lazy.group_by(s.EVENT).agg(events=pl.len(), people=pl.col("_p").n_unique())
                  .join(last, on=s.EVENT, how="left"))
    return (counts.collect()
            .select(pl.col(s.EVENT).cast(pl.String), pl.col("events", "people", "last_of").fill_null(0).cast(pl.Int64))
            .sort(["events", s.EVENT], descending=[True, False]))


def require_conversions(events: pl.DataFrame | pl.LazyFrame | str | Path, conversion_events: Sequence[str]) -> None:
    """Raise :class:`NoConversionsError` when none of ``conversion_events`` occurs in ``events``.

    The message names the chosen events, the events the data holds (most frequent first, with counts) and the
    likely conversion events to choose instead.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", "a"], "event": ["view", "order_placed"], "timestamp": [1, 2]})
    >>> require_conversions(ev, ["order_placed"])
    >>> require_conversions(ev, ["purchase"])
    Traceback (most recent call last):
    ...
    analysis.errors.NoConversionsError: no conversions: the conversion event 'purchase' does not occur in the data. \
Events found (2): order_placed (1), view (1). Likely conversion events: order_placed. Choose the conversion events \
(e.g. --conversion-events order_placed).
    """
    chosen = list(conversion_events)
    if not chosen:
        raise NoConversionsError("no conversion events chosen; pick the events that count as a conversion")
    if _frame(events).filter(pl.col(s.EVENT).is_in(chosen)).head(1).collect().height:
        return
    summary = event_summary(events)
    what = (f"the conversion event {chosen[0]!r} does not" if len(chosen) == 1
            else f"none of the conversion events {', '.join(repr(c) for c in chosen)}")
    if summary.is_empty():
        raise NoConversionsError(f"no conversions: {what} occur in the data, which holds no events at all; widen "
                                 "the dates or loosen the filters")
    shown = ", ".join(f"{e} ({c:,})" for e, c in summary.head(_SHOWN).select(s.EVENT, "events").iter_rows())
    more = f" and {summary.height - _SHOWN:,} more" if summary.height > _SHOWN else ""
    likely = likely_conversion_events(events)
    hint = (f" Likely conversion events: {', '.join(likely)}. Choose the conversion events (e.g. "
            f"--conversion-events {','.join(likely[:1])})." if likely
            else " Choose the conversion events among them.")
    raise NoConversionsError(f"no conversions: {what} occur in the data. Events found ({summary.height:,}): "
                             f"{shown}{more}.{hint}")
