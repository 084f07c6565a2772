"""The one journey definition: which events and which touches belong to which journey of a person.

On events sorted by person and time (prepared events are):

* **events**: a journey starts at a person's first event and at the event after each of their conversions, and runs
  up to and including the next conversion; the events after a person's last conversion form one open,
  unconverted journey (:func:`journey_starts`, numbered by :func:`journey_number`);
* **touches** (sessions, in attribution): a touch belongs to the journey of the event that starts it, and a
  converted journey also ends with the touch its conversion happened in (:func:`journey_touches`); an offline
  conversion outside any visit has no touch of its own, so its journey may hold none.

So a conversion in the middle of a session closes its journey with that session, and the session's later events
open the next journey without making the session one of its touches (it started before). Two conversions in one
session: the second journey holds no touch that started in it, only the session of its conversion. A person who
never converts has one open journey holding all their events and touches.

:func:`analysis.journeys.journeys` (the Journeys page) builds on the events rule; it lists a journey's sessions by
its own events, so a session cut by a conversion shows in both journeys' ``channels``.
:func:`analysis.attribution.journey_paths` (conversion paths) builds on the touches rule, so every touch is credited
to one journey at most; its lookback and touch labels are attribution's own options.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def journey_starts(*, person: pl.Expr, conversion: pl.Expr) -> pl.Expr:
    """True where a journey starts, on rows sorted by person and time: the one journey rule.

    A journey starts at a person's first row and at the row after each of the person's conversions.

    Examples
    --------
    >>> ev = pl.DataFrame({"p": ["a", "a", "a", "b"], "conv": [False, True, False, True]})
    >>> ev.select(journey_starts(person=pl.col("p"), conversion=pl.col("conv")))["p"].to_list()
    [True, False, True, True]
    """
    return ~person.eq_missing(person.shift()) | conversion.shift().fill_null(False)


def journey_number(*, person: pl.Expr, conversion: pl.Expr) -> pl.Expr:
    """The journey of each row (Int64, from 1 per person), on rows sorted by person and time (no window function).

    Examples
    --------
    >>> ev = pl.DataFrame({"p": ["a", "a", "a", "b"], "conv": [False, True, False, True]})
    >>> ev.select(journey_number(person=pl.col("p"), conversion=pl.col("conv")))["p"].to_list()
    [1, 1, 2, 1]
    """
    total = journey_starts(person=person, conversion=conversion).cast(pl.Int64).cum_sum()
    first = ~person.eq_missing(person.shift())
    return total - pl.when(first).then(total - 1).forward_fill()


def journey_touches(
    ordered: pl.DataFrame,
    *,
    person: str,
    conversion: str,
    touch_start: str,
    keep: Sequence[str] = (),
    outside: str | None = None,
) -> pl.DataFrame:
    """One row per journey of ``ordered`` (sorted by person and time), in order, with the range of touches it holds.

    ``conversion`` and ``touch_start`` are Boolean columns. Touches are numbered from 0 in row order (the n-th True
    of ``touch_start``). ``outside`` (a Boolean column) marks rows in no touch, such as an offline order on a day
    without a visit: a conversion there has no touch of its own, so its journey holds only the touches that started
    in it (none at all when the person had no visit since their previous conversion). Columns: ``first_journey``
    (Boolean, the person's first journey), ``converted`` (Boolean, ends at a conversion), ``first_touch`` and
    ``last_touch`` (Int64: the journey holds the touches ``first_touch`` to ``last_touch``, none when
    ``first_touch > last_touch``), ``own_touch`` (Boolean: the conversion happened in ``last_touch``), then ``keep``
    (columns of the journey's last row, e.g. its conversion's time).

    Examples
    --------
    >>> ev = pl.DataFrame({"p": ["a"] * 5, "conv": [False, True, False, True, False],
    ...                    "touch": [True, False, False, False, True]})
    >>> journey_touches(ev, person="p", conversion="conv", touch_start="touch").rows()
    [(True, True, 0, 0, True), (False, True, 0, 0, True), (False, False, 1, 1, False)]
    """
    starts = journey_starts(person=pl.col(person), conversion=pl.col(conversion))
    marked = ordered.select(
        pl.col(person).alias("_p"),
        pl.col(conversion).alias("_c"),
        (pl.col(conversion) & ~pl.col(outside)).alias("_own") if outside else pl.col(conversion).alias("_own"),
        pl.col(touch_start).alias("_ts"),
        starts.alias("_js"),
        (pl.col(touch_start).cast(pl.Int64).cum_sum() - 1).alias("_touch"),
        *[pl.col(k) for k in keep],
    ).with_columns(_je=pl.col("_js").shift(-1).fill_null(True))
    # a journey's touches start with the first touch that starts at or after its first event
    firsts = marked.filter("_js").select(
        first_journey=~pl.col("_p").eq_missing(pl.col("_p").shift()),
        _lo=pl.col("_touch") + (~pl.col("_ts")).cast(pl.Int64),
    )
    lasts = marked.filter("_je").select(pl.col("_c").alias("converted"), pl.col("_touch").alias("last_touch"),
                                        pl.col("_own").alias("own_touch"), *keep)
    # ... and end with the touch of its last event; a conversion's own touch always counts (an offline one has none)
    lo = pl.when(pl.col("own_touch")).then(pl.min_horizontal("_lo", "last_touch")).otherwise(pl.col("_lo"))
    return pl.concat([firsts, lasts], how="horizontal").select(
        "first_journey", "converted", lo.alias("first_touch"), "last_touch", "own_touch", *keep
    )
