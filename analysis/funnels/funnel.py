"""Funnels: who reached which step, conversion and drop-off per step, time to convert, trends.

``funnel_units`` does the expensive part once (one row per counted person, session or attempt, with the time each
step was reached); ``funnel_table``, ``funnel_trend`` and ``time_to_convert`` summarise that frame cheaply, and
``funnel`` is both in one call. The rules (mode, window, anchor, counting, exclusions, date range) are in
:mod:`analysis.funnels.spec`, and ``FunnelSpec.describe()`` says them in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Unpack

import numpy as np
import polars as pl

from analysis import schema as s
from analysis.engine import Engine, EngineOptions, Source, run
from analysis.errors import AnalysisError, EmptyResultError
from analysis.funnels._match import (
    SESSION,
    UID,
    UNIT,
    VALUE,
    attempts,
    event_frame,
    ordered_within_units,
    unit_columns,
)
from analysis.funnels._select import ATTEMPT, select_units
from analysis.funnels.checks import require_entrants, require_step_events
from analysis.funnels.spec import (
    NONE_VALUE,
    FunnelOptions,
    FunnelSpec,
    StepLike,
    as_spec,
    funnel_spec,  # noqa: F401 (the examples below use it)
)
from analysis.prepare.person import person_key
from analysis.vocabulary import (
    EVERIES,
    OTHER,
    Every,
    check_choice,
    fold_top_n,
)

BREAKDOWN = "breakdown"


def step_column(k: int) -> str:
    """Name of the column holding when step ``k`` (1-based) was reached in :func:`funnel_units`."""
    return f"step_{k}_at"


def funnel_units(events: pl.DataFrame, spec: FunnelSpec, *, check_events: bool = True) -> pl.DataFrame:
    """One row per counted unit: who entered, when, how far they got and when they reached each step.

    A step whose events never occur in ``events`` raises :class:`~analysis.errors.MissingEventError` (naming close
    matches) instead of a column that is null for everyone; ``check_events=False`` skips that check, for the map of
    a distributed run, whose partitions may lack an event the whole data holds.

    Columns: ``user_id``, ``session_id`` (counting by sessions), ``attempt`` (counting totals, 1-based),
    ``breakdown`` (when ``spec.breakdown`` is set), ``entered_at``, ``furthest_step`` (1-based, last mandatory step
    reached), ``converted`` and ``step_{k}_at`` per step (null when not reached). Ids never leave this frame's
    caller: the cohort of a step is a filter on it.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda m: datetime(2026, 1, 1, 12, m, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1", "u2"], "timestamp": [t(0), t(5), t(1)],
    ...                    "event": ["view", "buy", "view"]})
    >>> funnel_units(ev, funnel_spec(["view", "buy"]))["furthest_step"].to_list()
    [2, 1]
    """
    frame, names, in_order = event_frame(events, spec)  # validates the columns first
    if check_events and not frame.select(pl.all_horizontal(pl.col(f"_f{k}").any() for k in range(spec.n))).item():
        require_step_events(events, spec)  # a step's events are missing (it raises, naming close matches)
    chosen = select_units(attempts(frame, spec), spec)
    units = unit_columns(spec)
    keys = [*units, *([ATTEMPT] if spec.counting == "totals" else [])]
    # prepared events number people in user_id order: the ids are a gather after the integer sort below
    late = in_order and (spec.breakdown is None or spec.attribution == "step1")
    if late:
        chosen = chosen.with_columns(pl.lit(None, pl.String).alias(UNIT))
    elif in_order:
        chosen = chosen.with_columns(names[UNIT].gather(chosen[UID]))
    else:
        chosen = chosen.join(names, on=UID, how="left")
    out = chosen.select(
        UID, *keys,
        *([VALUE] if VALUE in chosen.columns else []),
        pl.col("_ts").alias("entered_at"),
        pl.col("_reach").cast(pl.Int64).alias("furthest_step"),
        pl.col(f"_t{spec.mandatory[-1]}").is_not_null().alias("converted"),
        "_treach",
        *[pl.col(f"_t{k}").alias(step_column(k + 1)) for k in range(spec.n)],
    )
    if spec.breakdown is not None:
        out = _attribute(out, events, spec, units)
    if in_order and out[UID].is_sorted() and (len(keys) == 1 or out.select(ordered_within_units(keys[1])).item()):
        out = out.sort("entered_at", maintain_order=True)  # already in (person, ...) order: one stable key
    else:
        out = out.sort(["entered_at", UID if in_order else UNIT, *keys[1:]])  # the rest break ties of one person
    if late:
        out = out.with_columns(names[UNIT].gather(out[UID]))
    out = out.drop(UID, "_treach")
    return out.rename({UNIT: s.USER_ID, SESSION: s.SESSION_ID, ATTEMPT: "attempt"}, strict=False)


def _attribute(out: pl.DataFrame, events: pl.DataFrame, spec: FunnelSpec, units: list[str]) -> pl.DataFrame:
    """Give each unit one breakdown value (step 1, first or last touch) and fold rare values into "Other"."""
    assert spec.breakdown is not None
    if spec.attribution != "step1":
        person = [*units]
        touches = events.lazy().select(
            person_key(events).alias(UNIT),
            *([pl.col(s.SESSION_ID).alias(SESSION)] if SESSION in units else []),
            pl.col(s.TIMESTAMP).alias("_tt"), pl.col(spec.breakdown).cast(pl.String).alias("_v"),
        ).filter(pl.col("_v").is_not_null(), pl.col(UNIT).is_not_null()).sort("_tt").collect()
        ref = pl.coalesce("_treach", "entered_at")
        if spec.attribution == "first_touch":
            first = touches.group_by(person).agg(pl.col("_v").first(), pl.col("_tt").first())
            out = out.join(first, on=person, how="left").with_columns(
                pl.when(pl.col("_tt") <= ref).then(pl.col("_v")).alias(VALUE)).drop("_v", "_tt")
        else:
            out = (out.with_columns(ref.alias("_ref")).sort("_ref")
                   .join_asof(touches, left_on="_ref", right_on="_tt", by=person, strategy="backward",
                              check_sortedness=False)
                   .with_columns(pl.col("_v").alias(VALUE)).drop("_v", "_tt", "_ref"))
    out = out.with_columns(pl.col(VALUE).fill_null(NONE_VALUE).alias(BREAKDOWN)).drop(VALUE)
    return fold_top_n(out, BREAKDOWN, n=spec.top_n)  # top_n=None: every value kept, to fold after merging


def funnel_totals(table: pl.DataFrame, spec: FunnelSpec) -> tuple[int, int]:
    """Units that entered step 1 and units that reached the last step, summed over breakdown values.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda m: datetime(2026, 1, 1, 12, m, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1", "u2"], "timestamp": [t(0), t(5), t(1)],
    ...                    "event": ["view", "buy", "view"]})
    >>> spec = funnel_spec(["view", "buy"])
    >>> funnel_totals(funnel_table(funnel_units(ev, spec), spec), spec)
    (2, 1)
    """
    entered = table.filter(pl.col("step") == 1)["entered"].sum()
    converted = table.filter(pl.col("step") == spec.n)["entered"].sum()
    return int(entered), int(converted)


def funnel_table(units: pl.DataFrame, spec: FunnelSpec, *, check_entrants: bool = True) -> pl.DataFrame:
    """Per step (and breakdown value): entered, conversion, drop-off and time to the step, from :func:`funnel_units`.

    ``conversion_from_previous``, ``dropped`` and ``drop_off_rate`` compare with the previous *mandatory* step
    (null at step 1); ``dropped`` = units at the previous step that did not reach this one. Times are seconds:
    ``*_seconds`` from the previous mandatory step, ``*_seconds_from_start`` from entry. Without any unit it
    raises :class:`~analysis.errors.EmptyResultError` rather than return a table of zeros (``check_entrants=False``
    returns the zeros).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda m: datetime(2026, 1, 1, 12, m, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1", "u2"], "timestamp": [t(0), t(5), t(1)],
    ...                    "event": ["view", "buy", "view"]})
    >>> spec = funnel_spec(["view", "buy"])
    >>> funnel_table(funnel_units(ev, spec), spec).select("step", "entered", "dropped", "median_seconds").rows()
    [(1, 2, None, None), (2, 1, 1, 300.0)]
    """
    if check_entrants:
        require_entrants(units, spec)
    keys = [BREAKDOWN] if BREAKDOWN in units.columns else []
    labels = spec.labels
    aggs: list[pl.Expr] = []
    seconds: dict[str, pl.Expr] = {}  # per step: seconds from the previous mandatory step, and from entry
    for k in range(spec.n):  # every step's numbers in one pass over the units (the expressions run in parallel)
        col = pl.col(step_column(k + 1))
        prev = spec.previous_mandatory(k)
        gap = (col - pl.col(step_column(prev + 1))) if prev is not None else pl.lit(None, pl.Duration("us"))
        since = col - pl.col("entered_at")
        step = [col.count().cast(pl.Int64).alias("entered"),
                pl.col(step_column(prev + 1)).count().cast(pl.Int64).alias("_prev") if prev is not None
                else pl.lit(None, pl.Int64).alias("_prev")]
        for expr, suffix in ((gap, ""), (since, "_from_start")):
            sec = expr.dt.total_microseconds() / 1e6
            seconds[f"median_seconds{suffix}__{k}"] = sec
            step += [sec.median().alias(f"median_seconds{suffix}"), sec.mean().alias(f"mean_seconds{suffix}")]
        aggs += [e.name.suffix(f"__{k}") for e in step]
    if keys:
        wide = units.group_by(keys).agg(aggs)
    else:  # one group: numpy's median (a partial sort) is about 3x faster than polars' on a large frame
        medians = units.select(*[e.alias(name) for name, e in seconds.items()])
        wide = units.select([a for a in aggs if not a.meta.output_name().startswith("median_")]).with_columns(
            pl.lit(_median(medians[name]), pl.Float64).alias(name) for name in seconds)
    stats = ["entered", "_prev", "median_seconds", "mean_seconds", "median_seconds_from_start",
             "mean_seconds_from_start"]
    parts = [wide.select(*keys, *[pl.col(f"{c}__{k}").alias(c) for c in stats],
                         pl.lit(k + 1, pl.Int64).alias("step"), pl.lit(labels[k]).alias("name"))
             for k in range(spec.n)]
    long = pl.concat(parts, how="vertical_relaxed")
    first = pl.col("entered").filter(pl.col("step") == 1).first()
    first = first.over(keys) if keys else first
    out = long.with_columns(
        pl.when(first > 0).then(pl.col("entered") / first).alias("conversion_from_start"),
        pl.when(pl.col("_prev") > 0).then(pl.col("entered") / pl.col("_prev")).alias("conversion_from_previous"),
        (pl.col("_prev") - pl.col("entered")).alias("dropped"),
        pl.when(pl.col("_prev") > 0).then(1 - pl.col("entered") / pl.col("_prev")).alias("drop_off_rate"),
        first.alias("_first"),
    )
    if keys:  # biggest groups first, the catch-all groups last
        out = out.with_columns(pl.col(BREAKDOWN).is_in([OTHER, NONE_VALUE]).alias("_rest"))
        out = out.sort(["_rest", "_first", BREAKDOWN, "step"], descending=[False, True, False, False])
    else:
        out = out.sort("step")
    return out.select(*keys, "step", "name", "entered", "conversion_from_start", "conversion_from_previous",
                      "dropped", "drop_off_rate", "median_seconds", "mean_seconds", "median_seconds_from_start",
                      "mean_seconds_from_start")


def _median(values: pl.Series) -> float | None:
    """The median of the non-null values (as polars computes it), None when there are none."""
    present = values.drop_nulls().to_numpy()
    return float(np.median(present)) if present.size else None


def funnel(
    events: Source,
    steps: Sequence[StepLike] | FunnelSpec,
    *,
    engine: Engine | EngineOptions | None = None,
    check_events: bool = True,
    **options: Unpack[FunnelOptions],
) -> pl.DataFrame:
    """Conversion through ``steps``: one row per step (and breakdown value).

    Rules (our choice; the peers differ, see docs): ``mode='ordered'`` = steps in order with anything in between,
    ``'strict'`` = each step directly followed by the next, ``'unordered'`` = all steps within the window in any
    order. The ``window`` runs from the step-1 event of the attempt. ``anchor='furthest'`` (default, as PostHog and
    Amplitude): every step-1 event starts an attempt and the one that gets furthest counts; ``'first'``: only the
    first step-1 event in the date range (Mixpanel). ``entry_start``/``entry_end`` govern entry only: later steps
    count up to the end of the window. ``counting``: ``users`` (uniques), ``sessions`` or ``totals`` (re-entry
    after an attempt ends). Steps may be a list of events (any of them) or :class:`~analysis.funnels.Step` objects
    (``optional``, ``within`` a time of the previous step). :class:`~analysis.funnels.Exclusion` events between two
    steps disqualify the attempt. Columns: see :func:`funnel_table`. A step whose events never occur raises
    :class:`~analysis.errors.MissingEventError` and nobody entering :class:`~analysis.errors.EmptyResultError`,
    never a table of zeros (``check_events=False`` returns the zeros: a missing step is reached by nobody).

    ``steps`` may also be a :class:`~analysis.funnels.FunnelSpec` (then without options: they are inside it); the
    options and their defaults are those of :func:`~analysis.funnels.funnel_spec`. ``events`` are prepared events in
    memory; with ``engine`` (``"polars"``, ``"spark"`` or :class:`~analysis.engine.EngineOptions`, whose ``before``
    may prepare raw events per partition) they may also be a Parquet file or folder, split by person and run as
    map and merge (:mod:`analysis.funnels.stage`), with the same result.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda m: datetime(2026, 1, 1, 13, m, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u1"] * 4, "timestamp": [t(0), t(30), t(45), t(59)],
    ...                    "event": ["A", "A", "B", "C"]})
    >>> funnel(ev, ["A", "B", "C"], window=timedelta(minutes=50))["entered"].to_list()
    [1, 1, 1]
    >>> funnel(ev, ["A", "B", "C"], window=timedelta(minutes=50), anchor="first")["entered"].to_list()
    [1, 1, 0]
    >>> funnel(ev, ["A", "B", "C"], window=timedelta(minutes=50), engine="polars")["entered"].to_list()
    [1, 1, 1]
    """
    spec = as_spec(steps, options)
    if engine is None and isinstance(events, pl.DataFrame):
        return funnel_table(funnel_units(events, spec, check_events=check_events), spec, check_entrants=check_events)
    if check_events and isinstance(events, pl.DataFrame | str | Path):
        require_step_events(events, spec)
    from analysis.funnels.stage import funnel_stage  # noqa: PLC0415 (the stage builds on this module)

    return run(events, funnel_stage(spec, check_entrants=check_events), engine=engine or "polars")


def data_end(events: pl.DataFrame) -> datetime | None:
    """The last timestamp in ``events`` (None without any): how far the data can see, for :func:`funnel_trend`.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> data_end(pl.DataFrame({"timestamp": [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (3, 1)]})).day
    3
    """
    if s.TIMESTAMP not in events.columns:
        raise AnalysisError(f"events lack the column {s.TIMESTAMP!r}; present: {', '.join(events.columns)}")
    last = events[s.TIMESTAMP].max()
    return last if isinstance(last, datetime) else None


def funnel_trend(units: pl.DataFrame, spec: FunnelSpec, *, every: Every = "day",
                 as_of: datetime | None = None) -> pl.DataFrame:
    """Conversion over time by entry day or ISO week: ``period``, ``step``, ``name``, ``entered``,
    ``conversion_from_start`` (of the units that entered in that period) and ``complete``.

    A period is ``complete`` when everyone who entered in it has had the whole conversion window before ``as_of``
    (the end of the data: pass :func:`data_end` of the events); the later periods are still filling up, so their
    conversion is a floor, not a rate to compare. Without ``as_of`` the latest time in ``units`` is used, which can
    only be earlier than the data's end (so periods are never called complete too early). Without any unit it
    raises :class:`~analysis.errors.EmptyResultError` rather than return an empty trend.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1", "u2"], "event": ["view", "buy", "view"],
    ...                    "timestamp": [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (1, 1, 2)]})
    >>> spec = funnel_spec(["view", "buy"], window=timedelta(hours=12))
    >>> noon = datetime(2026, 1, 2, 12, tzinfo=timezone.utc)
    >>> trend = funnel_trend(funnel_units(ev, spec), spec, as_of=noon).filter(pl.col("step") == 2)
    >>> trend.select("conversion_from_start", "complete").rows()
    [(1.0, True), (0.0, False)]
    """
    check_choice("every", every, EVERIES)
    period = pl.col("entered_at").dt.truncate("1d" if every == "day" else "1w").dt.date().alias("period")
    parts = [units.group_by(period).agg(pl.col(step_column(k + 1)).count().cast(pl.Int64).alias("entered"),
                                        pl.len().cast(pl.Int64).alias("_all"))
             .with_columns(pl.lit(k + 1, pl.Int64).alias("step"), pl.lit(spec.labels[k]).alias("name"))
             for k in range(spec.n)]
    if not parts or units.is_empty():
        raise EmptyResultError(f"no one entered the funnel (step 1: {spec.labels[0]!r}) in these events, so there is "
                               "no trend to show; widen the dates or check the first step")
    if as_of is None:
        seen = units.select(pl.max_horizontal(pl.col("entered_at").max(),
                                              *[pl.col(step_column(k + 1)).max() for k in range(spec.n)])).item()
        as_of = seen
    length = timedelta(days=1 if every == "day" else 7)
    # the last entry of a period is just before its end; its window must close by as_of
    period_end = pl.col("period").cast(pl.Datetime("us", "UTC")) + length
    out = pl.concat(parts).with_columns((pl.col("entered") / pl.col("_all")).alias("conversion_from_start"))
    return (out.with_columns((period_end + spec.window <= pl.lit(as_of, pl.Datetime("us", "UTC"))).alias("complete"))
            .select("period", "step", "name", "entered", "conversion_from_start", "complete").sort("period", "step"))


def time_to_convert(units: pl.DataFrame, spec: FunnelSpec, *, from_step: int = 1, to_step: int | None = None,
                    bins: int = 20) -> pl.DataFrame:
    """Histogram of seconds from ``from_step`` to ``to_step`` (1-based, default the last) over units that did both.

    Columns ``bin_start_seconds``, ``bin_end_seconds``, ``units``, ``share`` (of the units in the histogram). When
    nobody did both steps it raises :class:`~analysis.errors.EmptyResultError` rather than return an empty histogram.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda m: datetime(2026, 1, 1, 12, m, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1"], "timestamp": [t(0), t(2)], "event": ["view", "buy"]})
    >>> spec = funnel_spec(["view", "buy"])
    >>> time_to_convert(funnel_units(ev, spec), spec, bins=1).row(0)
    (0.0, 120.0, 1, 1.0)
    """
    to_step = to_step or spec.n
    if not 1 <= from_step < to_step <= spec.n:
        raise AnalysisError(f"need 1 <= from_step < to_step <= {spec.n}; got from_step={from_step}, "
                            f"to_step={to_step}")
    if bins < 1:
        raise AnalysisError(f"bins must be at least 1; got {bins}")
    secs = units.select(((pl.col(step_column(to_step)) - pl.col(step_column(from_step)))
                         .dt.total_microseconds() / 1e6).alias("s")).drop_nulls()["s"].to_numpy()
    if secs.size == 0:
        reached = units.select(pl.col(step_column(from_step)).count()).item()
        raise EmptyResultError(f"nobody went from step {from_step} ({spec.labels[from_step - 1]!r}) to step "
                               f"{to_step} ({spec.labels[to_step - 1]!r}) within the conversion window ({reached:,} "
                               f"reached step {from_step}), so there is no time to convert to show")
    counts, edges = np.histogram(secs, bins=bins, range=(0.0, max(float(secs.max()), 1.0)))
    return pl.DataFrame({"bin_start_seconds": edges[:-1], "bin_end_seconds": edges[1:],
                         "units": counts.astype(np.int64), "share": counts / secs.size})
