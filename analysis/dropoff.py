"""Why people drop out of a funnel: where they went instead, which traits go with dropping, and who they are.

Works on the per-unit frame of :func:`analysis.funnels.funnel_units`. The people who *dropped after step k* reached
step k (1-based) but not the next mandatory step. Drivers compare them with those who went on, one 2x2 table per
trait (prior event, channel or any column value, persona, a slow previous step, loops through earlier steps):
relative risk of dropping with a 95% Wald interval on the log scale, the odds ratio, a two-sided p-value and
Benjamini-Hochberg q-values over every trait tested. These are associations, not causes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl
from scipy.stats import norm

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.funnels import FunnelSpec, step_column
from analysis.prepare.person import person_key

SMALL_GROUP = 30  # below this many units on either side of a comparison, a number is flagged, not shown as exact
NO_FURTHER_EVENT = "(no further event)"
Who = Literal["reached", "dropped", "continued"]


def _unit_keys(units: pl.DataFrame) -> list[str]:
    return [c for c in (s.USER_ID, s.SESSION_ID, "attempt") if c in units.columns]


def _next_mandatory(spec: FunnelSpec, step: int) -> int:
    """1-based next mandatory step after ``step``; errors when there is none."""
    if not 1 <= step <= spec.n:
        raise AnalysisError(f"step must be between 1 and {spec.n}; got {step}")
    later = [m + 1 for m in spec.mandatory if m + 1 > step]
    if not later:
        raise AnalysisError(f"nobody drops after step {step} ({spec.labels[step - 1]}): it is the last step")
    return later[0]


def step_cohort(units: pl.DataFrame, spec: FunnelSpec, *, step: int, who: Who = "reached") -> pl.DataFrame:
    """The units at ``step``: everyone who ``reached`` it, those who ``dropped`` after it, or who ``continued``.

    Returns the unit keys (``user_id``, plus ``session_id`` or ``attempt`` when counting those), ``entered_at`` and
    the step's time, sorted by ``user_id``: a cohort to download or to filter other views by. Ids stay local.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from analysis.funnels import funnel_spec, funnel_units
    >>> t = lambda m: datetime(2026, 1, 1, 12, m, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1", "u2"], "timestamp": [t(0), t(5), t(1)],
    ...                    "event": ["view", "buy", "view"]})
    >>> spec = funnel_spec(["view", "buy"])
    >>> step_cohort(funnel_units(ev, spec), spec, step=1, who="dropped")["user_id"].to_list()
    ['u2']
    """
    if who not in ("reached", "dropped", "continued"):
        raise AnalysisError(f"who={who!r} is not valid; choose reached, dropped or continued")
    at = pl.col(step_column(step)).is_not_null()
    if who != "reached":
        nxt = pl.col(step_column(_next_mandatory(spec, step))).is_not_null()
        at = at & (~nxt if who == "dropped" else nxt)
    elif not 1 <= step <= spec.n:
        raise AnalysisError(f"step must be between 1 and {spec.n}; got {step}")
    return units.filter(at).select(*_unit_keys(units), "entered_at", step_column(step)).sort(_unit_keys(units))


def dropoff_destinations(
    events: pl.DataFrame,
    units: pl.DataFrame,
    spec: FunnelSpec,
    *,
    step: int,
    column: str = s.EVENT,
    position: Literal["next", "last"] = "next",
    top_n: int = 10,
) -> pl.DataFrame:
    """What people who dropped after ``step`` did ``next`` (first event after the step) or where they ended (``last``).

    Counts one value of ``column`` (``event``, ``channel``, …) per dropped unit. Columns: ``value``, ``units``,
    ``share`` (of the dropped units); values past ``top_n`` are summed as "Other".

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from analysis.funnels import funnel_spec, funnel_units
    >>> t = lambda m: datetime(2026, 1, 1, 12, m, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1", "u2", "u2"], "timestamp": [t(0), t(5), t(1), t(2)],
    ...                    "event": ["view", "buy", "view", "search"]})
    >>> spec = funnel_spec(["view", "buy"])
    >>> dropoff_destinations(ev, funnel_units(ev, spec), spec, step=1).rows()
    [('search', 1, 1.0)]
    """
    if column not in events.columns:
        raise AnalysisError(f"cannot describe drop-offs by {column!r}: no such column; "
                            f"present: {', '.join(events.columns)}")
    if position not in ("next", "last"):
        raise AnalysisError(f"position={position!r} is not valid; choose 'next' or 'last'")
    dropped = step_cohort(units, spec, step=step, who="dropped")
    at = step_column(step)
    ev = (events.lazy().select(person_key(events).alias(s.USER_ID), pl.col(s.TIMESTAMP).alias("_t"),
                               pl.col(column).cast(pl.String).alias("_v"))
          .join(dropped.lazy().select(s.USER_ID).unique(), on=s.USER_ID, how="semi").sort("_t").collect())
    base = dropped.select(s.USER_ID, at).sort(at)
    if position == "next":
        found = base.join_asof(ev, left_on=at, right_on="_t", by=s.USER_ID, strategy="forward",
                               allow_exact_matches=False, check_sortedness=False)
    else:
        last = ev.group_by(s.USER_ID).agg(pl.col("_v").last(), pl.col("_t").last())
        after = pl.col("_t") > pl.col(at)
        found = base.join(last, on=s.USER_ID, how="left").with_columns(
            pl.when(after).then(pl.col("_v")).alias("_v"), pl.when(after).then(pl.col("_t")).alias("_t"))
    value = pl.when(pl.col("_t").is_null()).then(pl.lit(NO_FURTHER_EVENT)).otherwise(
        pl.col("_v").fill_null("(none)"))
    counts = found.group_by(value.alias("value")).agg(pl.len().cast(pl.Int64).alias("units"))
    counts = counts.sort(["units", "value"], descending=[True, False])
    top = counts.head(top_n)
    rest = counts.slice(top_n)
    if rest.height:
        top = pl.concat([top, pl.DataFrame({"value": ["Other"], "units": [int(rest["units"].sum())]})])
    total = max(dropped.height, 1)
    return top.with_columns((pl.col("units") / total).alias("share"))


def dropoff_drivers(
    events: pl.DataFrame,
    units: pl.DataFrame,
    spec: FunnelSpec,
    *,
    step: int,
    columns: Sequence[str] = (s.CHANNEL,),
    personas: pl.DataFrame | None = None,
    persona_col: str = "persona",
    alpha: float = 0.05,
    min_units: int = 5,
) -> pl.DataFrame:
    """Traits that go with dropping after ``step``, ranked: significant (BH q < ``alpha``) first, then by effect.

    Population: units that reached ``step``; outcome: not reaching the next mandatory step. Traits, each measured
    up to the time the unit reached ``step``: did an event (``did <event>``), had a value in each of ``columns``
    (``channel = Paid Social``), belongs to a persona (``personas``: ``user_id`` and ``persona_col``), took longer
    than the median from the previous step (``slow``), repeated earlier funnel steps (``loop``). Traits held by
    fewer than ``min_units`` units (or by all) are not tested. ``small`` flags a trait with fewer than 30 units
    on either side; its sentence says so instead of giving an exact count.

    Columns: ``trait``, ``kind``, ``n_with``, ``n_without``, ``dropped_with``, ``dropped_without``,
    ``drop_rate_with``, ``drop_rate_without``, ``relative_risk``, ``rr_low``, ``rr_high``, ``odds_ratio``,
    ``p_value``, ``q_value``, ``significant``, ``small``, ``sentence``.

    Examples
    --------
    >>> from analysis.funnels import funnel_spec, funnel_units
    >>> from analysis.sample import generate_sample
    >>> ev = generate_sample(500, seed=1).events
    >>> spec = funnel_spec(["view_item", "add_to_cart"])
    >>> drivers = dropoff_drivers(ev, funnel_units(ev, spec), spec, step=1, columns=["channel", "device"])
    >>> drivers.columns[:4]
    ['trait', 'kind', 'n_with', 'n_without']
    """
    for c in columns:
        if c not in events.columns:
            raise AnalysisError(f"cannot test drivers in {c!r}: no such column; present: {', '.join(events.columns)}")
    nxt = _next_mandatory(spec, step)
    keys = _unit_keys(units)
    at = step_column(step)
    cohort = (units.filter(pl.col(at).is_not_null())
              .with_row_index("_unit")
              .with_columns(pl.col(step_column(nxt)).is_null().alias("_dropped")))
    if cohort.is_empty():
        return _empty_drivers()
    person = [s.USER_ID] + ([s.SESSION_ID] if s.SESSION_ID in keys else [])
    ev_cols = [person_key(events).alias(s.USER_ID), pl.col(s.TIMESTAMP).alias("_t"),
               pl.col(s.EVENT).alias("_e"), *[pl.col(c).cast(pl.String).alias(f"_c{i}") for i, c in
                                              enumerate(columns)]]
    if s.SESSION_ID in person:
        ev_cols.append(pl.col(s.SESSION_ID))
    prior = (events.lazy().select(ev_cols)
             .join(cohort.lazy().select(*person, "_unit", "entered_at", at), on=person, how="inner")
             .filter(pl.col("_t") <= pl.col(at)))
    if "attempt" in keys:  # re-entries: only this attempt's own events
        prior = prior.filter(pl.col("_t") >= pl.col("entered_at"))
    prior_df = prior.collect()
    step_events = sorted({e for st in spec.steps[:step] for e in st.events})
    traits = [prior_df.filter(~pl.col("_e").is_in(step_events))
              .select("_unit", pl.format("did {}", "_e").alias("trait"), pl.lit("event").alias("kind"))]
    for i, c in enumerate(columns):
        label = "came from {}" if c == s.CHANNEL else f"had {c} = {{}}"
        traits.append(prior_df.filter(pl.col(f"_c{i}").is_not_null())
                      .select("_unit", pl.format(label, f"_c{i}").alias("trait"), pl.lit(c).alias("kind")))
    # loops: more funnel-step events within one window before the step than steps reached = going back and forth
    loops = (prior_df.filter(pl.col("_e").is_in(step_events), pl.col("_t") >= pl.col(at) - spec.window)
             .group_by("_unit").len().filter(pl.col("len") > step)
             .select("_unit", pl.lit("repeated earlier funnel steps").alias("trait"), pl.lit("loop").alias("kind")))
    traits.append(loops)
    prev = spec.previous_mandatory(step - 1)
    if prev is not None:
        gap = pl.col(at) - pl.col(step_column(prev + 1))
        median = cohort.select(gap.median()).item()
        if median is not None:
            traits.append(cohort.filter(gap > median).select(
                "_unit", pl.lit(f"took longer than {_duration(median)} from {spec.labels[prev]} to "
                                f"{spec.labels[step - 1]}").alias("trait"), pl.lit("slow").alias("kind")))
    if personas is not None:
        if s.USER_ID not in personas.columns or persona_col not in personas.columns:
            raise AnalysisError(f"personas need columns user_id and {persona_col!r}; got "
                                f"{', '.join(personas.columns)}")
        traits.append(cohort.join(personas.select(s.USER_ID, pl.col(persona_col).cast(pl.String)), on=s.USER_ID)
                      .select("_unit", pl.format("are in persona {}", persona_col).alias("trait"),
                              pl.lit("persona").alias("kind")))
    long = pl.concat(traits, how="vertical_relaxed").unique(["_unit", "trait"])
    flagged = long.join(cohort.select("_unit", "_dropped"), on="_unit")
    table = flagged.group_by("trait", "kind").agg(pl.len().cast(pl.Int64).alias("n_with"),
                                                  pl.col("_dropped").sum().cast(pl.Int64).alias("dropped_with"))
    total, total_dropped = cohort.height, int(cohort["_dropped"].sum())
    table = table.with_columns((total - pl.col("n_with")).alias("n_without"),
                               (total_dropped - pl.col("dropped_with")).alias("dropped_without"))
    table = table.filter(pl.col("n_with") >= min_units, pl.col("n_without") >= 1)
    if table.is_empty():
        return _empty_drivers()
    noun = {"users": "Users", "sessions": "Sessions", "totals": "Attempts"}[spec.counting]
    where = f"between {spec.labels[step - 1]} and {spec.labels[nxt - 1]}"
    return _statistics(table, alpha).with_columns(_sentence(noun, where)).select(_DRIVER_COLUMNS)


_DRIVER_COLUMNS = ["trait", "kind", "n_with", "n_without", "dropped_with", "dropped_without", "drop_rate_with",
                   "drop_rate_without", "relative_risk", "rr_low", "rr_high", "odds_ratio", "p_value", "q_value",
                   "significant", "small", "sentence"]


def _statistics(table: pl.DataFrame, alpha: float) -> pl.DataFrame:
    """Relative risk with a log-scale Wald 95% CI (0.5 added to every cell when one is zero), OR, p, BH q."""
    a = table["dropped_with"].to_numpy().astype(float)
    n1 = table["n_with"].to_numpy().astype(float)
    c = table["dropped_without"].to_numpy().astype(float)
    n0 = table["n_without"].to_numpy().astype(float)
    b, d = n1 - a, n0 - c
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a_, b_, c_, d_ = (x + np.where(zero, 0.5, 0.0) for x in (a, b, c, d))
    log_rr = np.log((a_ / (a_ + b_)) / (c_ / (c_ + d_)))
    se = np.sqrt(1 / a_ - 1 / (a_ + b_) + 1 / c_ - 1 / (c_ + d_))
    z = norm.ppf(0.975)
    p = 2 * norm.sf(np.abs(log_rr) / se)
    q = _benjamini_hochberg(p)
    out = table.with_columns(
        pl.Series("drop_rate_with", a / n1), pl.Series("drop_rate_without", c / n0),
        pl.Series("relative_risk", np.exp(log_rr)), pl.Series("rr_low", np.exp(log_rr - z * se)),
        pl.Series("rr_high", np.exp(log_rr + z * se)), pl.Series("odds_ratio", (a_ * d_) / (b_ * c_)),
        pl.Series("p_value", p), pl.Series("q_value", q), pl.Series("significant", q < alpha),
        pl.Series("small", (n1 < SMALL_GROUP) | (n0 < SMALL_GROUP)),
    )
    effect = pl.col("relative_risk").log().abs()
    return out.sort([pl.col("significant") & ~pl.col("small"), effect, "trait"], descending=[True, True, False])


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values (monotone, capped at 1)."""
    m = p.size
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _sentence(noun: str, where: str) -> pl.Expr:
    subject = pl.format("{} who {}", pl.lit(noun), pl.col("trait"))
    n = pl.when(pl.col("small")).then(pl.lit(f"n<{SMALL_GROUP}, small group: treat as a hint")).otherwise(
        pl.format("n={}", _thousands(pl.col("n_with"))))
    verdict = pl.when(pl.col("significant")).then(pl.lit("")).otherwise(pl.lit("; not significant after FDR"))
    return pl.format("{} were {}x as likely to drop {} (95% CI {}-{}, {}{})", subject,
                     _round2(pl.col("relative_risk")), pl.lit(where), _round2(pl.col("rr_low")),
                     _round2(pl.col("rr_high")), n, verdict).alias("sentence")


def _round2(x: pl.Expr) -> pl.Expr:
    cents = (x * 100).round(0).cast(pl.Int64)
    two = pl.format("{}.{}", cents // 100, (cents % 100).cast(pl.String).str.zfill(2))
    return pl.when(x >= 10).then(x.round(0).cast(pl.Int64).cast(pl.String)).otherwise(two)


def _thousands(x: pl.Expr) -> pl.Expr:
    digits = x.cast(pl.String)
    return digits.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.reverse().str.strip_chars_start(",")


def _duration(d: object) -> str:
    secs = d.total_seconds() if hasattr(d, "total_seconds") else float(d)  # type: ignore[arg-type]
    if secs < 120:
        return f"{secs:.0f} s"
    if secs < 7200:
        return f"{secs / 60:.0f} min"
    if secs < 172800:
        return f"{secs / 3600:.1f} h"
    return f"{secs / 86400:.1f} days"


def _empty_drivers() -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {c: pl.Float64() for c in _DRIVER_COLUMNS}
    schema.update({"trait": pl.String(), "kind": pl.String(), "sentence": pl.String(), "n_with": pl.Int64(),
                   "n_without": pl.Int64(), "dropped_with": pl.Int64(), "dropped_without": pl.Int64(),
                   "significant": pl.Boolean(), "small": pl.Boolean()})
    return pl.DataFrame(schema=schema)
