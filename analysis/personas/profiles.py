"""Persona profiles in a marketer's words: size, conversion, what sets each group apart, a typical path, a name.

Every comparison is persona versus the rest of the users: ``index`` is the ratio of the means (2.0 = twice as much),
``effect`` the standardised mean difference (Cohen's d with the pooled standard deviation; |d| >= 0.8 is large).
Event behaviour is compared as each user's share of events, so busy and quiet users weigh alike.

A difference is *material* when ``|effect| >= effect_threshold`` (default 0.5, a medium effect) and *clear* when
the Welch interval of the difference in means excludes zero at level ``1 - alpha / m``, ``m`` being the number of
comparisons made (features x personas: Bonferroni). Conversion is compared the same way: material when Cohen's h
between the persona's rate and the rest's is at least 0.2, clear when the Agresti-Caffo interval of the difference
excludes zero at level ``1 - alpha / k``. Only differences that are both may appear in a name
(:mod:`analysis.personas.naming`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse, stats

from analysis import schema as s
from analysis.personas._rows import SESSION_START, UserIndex, ordered
from analysis.personas.naming import claims, generated_names

EFFECT_THRESHOLD = 0.5  # Cohen's d of a difference worth naming (medium)
CONVERSION_THRESHOLD = 0.2  # Cohen's h of a conversion difference worth naming (small)
ALPHA = 0.05  # family-wise error rate of the named differences (Bonferroni over the comparisons)

SCALAR_KIND = "activity"


@dataclass(frozen=True)
class Profiles:
    """``summary``: one row per persona; ``drivers``: one row per persona and feature (see module docstring);
    ``claims``: what each name states (:func:`analysis.personas.naming.claims`)."""

    summary: pl.DataFrame
    drivers: pl.DataFrame
    claims: pl.DataFrame


def describe_personas(
    features: pl.DataFrame,
    labels: np.ndarray,
    events: pl.DataFrame,
    *,
    k: int,
    conversion_events: Sequence[str] = ("purchase",),
    path_length: int = 3,
    effect_threshold: float = EFFECT_THRESHOLD,
    alpha: float = ALPHA,
) -> Profiles:
    """Profile ``k`` personas given per-user ``features`` (from :func:`user_features`) and their ``labels``.

    ``drivers`` says for every persona and feature whether the difference is material and clear (see the module
    docstring); ``summary`` does the same for conversion (``conversion_clear``, ``conversion_material``) and
    carries the generated ``name``, built only from such differences (:func:`analysis.personas.naming`).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"user_id": ["a", "b", "c"], "timestamp": [t] * 3, "event": ["search", "scroll", "scroll"]},
    ...                   schema_overrides={"timestamp": pl.Datetime("us", "UTC")})
    >>> f = pl.DataFrame({"user_id": ["a", "b", "c"], "event:search": [1.0, 0, 0], "event:scroll": [0.0, 1, 1]})
    >>> describe_personas(f, np.array([1, 0, 0]), ev, k=2).summary["users"].to_list()
    [2, 1]
    """
    users = features.select(s.USER_ID).with_columns(pl.Series("persona_id", labels, dtype=pl.Int64))
    ev = ordered(events)
    idx = UserIndex.of(ev)
    outcome = _outcomes(ev, idx, conversion_events)
    per_user = users.join(outcome, on=s.USER_ID, how="left", maintain_order="left").with_columns(
        pl.col("converted").fill_null(False), pl.col("revenue").fill_null(0.0)
    )
    n = per_user.height
    summary = (
        per_user.group_by("persona_id").agg(
            pl.len().alias("users"),
            pl.col("converted").sum().alias("_conv"),
            pl.col("revenue").sum().alias("_rev"),
        )
        .join(pl.DataFrame({"persona_id": np.arange(k, dtype=np.int64)}), on="persona_id", how="right")
        .with_columns(pl.col("users", "_conv").fill_null(0), pl.col("_rev").fill_null(0.0))
        .select(
            "persona_id",
            pl.col("users").cast(pl.Int64),
            (pl.col("users") / max(n, 1)).alias("share"),
            (pl.col("_conv") / pl.col("users")).fill_nan(None).alias("conversion_rate"),
            ((pl.col("_conv").sum() - pl.col("_conv")) / (n - pl.col("users"))).fill_nan(None)
            .alias("conversion_rate_rest"),
            ((pl.col("_conv") / pl.col("users")) / ((pl.col("_conv").sum() - pl.col("_conv"))
                                                    / (n - pl.col("users")))).fill_nan(None).alias("conversion_index"),
            (pl.col("_rev") / pl.col("users")).fill_nan(None).alias("revenue_per_user"),
            pl.col("_conv").cast(pl.Int64),
        )
        .sort("persona_id")
    )
    summary = _conversion_tests(summary, n, k, alpha).drop("_conv")
    drivers = _drivers(features, labels, k, effect_threshold=effect_threshold, alpha=alpha)
    paths = _typical_paths(ev, idx, users, path_length)
    summary = summary.join(paths, on="persona_id", how="left", maintain_order="left")
    names = generated_names(summary, drivers)
    return Profiles(summary=summary.with_columns(pl.Series("name", names)).select("persona_id", "name",
                                                                                   pl.exclude("persona_id", "name")),
                    drivers=drivers, claims=claims(summary, drivers))


def top_drivers(drivers: pl.DataFrame, *, n: int = 3, kinds: Sequence[str] | None = None) -> pl.DataFrame:
    """The ``n`` most over- and ``n`` most under-indexed features per persona (by effect size).

    Examples
    --------
    >>> d = pl.DataFrame({"persona_id": [0, 0], "kind": ["event"] * 2, "item": ["a", "b"], "feature": ["x", "y"],
    ...                   "mean": [0.5, 0.1], "mean_rest": [0.1, 0.5], "index": [5.0, 0.2], "effect": [1.2, -1.2]})
    >>> top_drivers(d, n=1)["direction"].to_list()
    ['over', 'under']
    """
    frame = drivers if kinds is None else drivers.filter(pl.col("kind").is_in(list(kinds)))
    over = frame.filter(pl.col("effect") > 0).sort("effect", descending=True).group_by(
        "persona_id", maintain_order=True).head(n).with_columns(direction=pl.lit("over"))
    under = frame.filter(pl.col("effect") < 0).sort("effect").group_by(
        "persona_id", maintain_order=True).head(n).with_columns(direction=pl.lit("under"))
    return pl.concat([over, under]).sort("persona_id", "direction", pl.col("effect").abs(),
                                         descending=[False, False, True])


def _outcomes(ev: pl.DataFrame, idx: UserIndex, conversion_events: Sequence[str]) -> pl.DataFrame:
    """Per user: converted (any conversion event) and revenue (sum)."""
    conv = ev[s.EVENT].is_in(list(conversion_events)).to_numpy().astype(np.float64)
    revenue = (ev[s.REVENUE].fill_nan(None).fill_null(0.0).to_numpy() if s.REVENUE in ev.columns
               else np.zeros(ev.height))
    return pl.DataFrame({
        s.USER_ID: idx.users,
        "converted": np.bincount(idx.code, weights=conv, minlength=idx.n) > 0,
        "revenue": np.bincount(idx.code, weights=revenue, minlength=idx.n),
    })


def _kind(feature: str) -> tuple[str, str]:
    """``"event:search" -> ("event", "search")``; scalars are of kind ``activity``."""
    if ":" in feature:
        kind, item = feature.split(":", 1)
        return kind, item
    return SCALAR_KIND, feature


def _conversion_tests(summary: pl.DataFrame, n: int, k: int, alpha: float) -> pl.DataFrame:
    """Conversion of each persona vs the rest: Agresti-Caffo interval (Bonferroni over k) and Cohen's h."""
    users = summary["users"].to_numpy().astype(np.float64)
    conv = summary["_conv"].to_numpy().astype(np.float64)
    rest_users, rest_conv = n - users, conv.sum() - conv
    p1, p2 = (conv + 1) / (users + 2), (rest_conv + 1) / (rest_users + 2)
    se = np.sqrt(p1 * (1 - p1) / (users + 2) + p2 * (1 - p2) / (rest_users + 2))
    z = stats.norm.ppf(1 - alpha / (2 * max(k, 1)))
    diff = p1 - p2
    clear = (users > 0) & (rest_users > 0) & (np.abs(diff) > z * se)
    with np.errstate(invalid="ignore", divide="ignore"):
        r1 = np.divide(conv, users, out=np.zeros_like(conv), where=users > 0)
        r2 = np.divide(rest_conv, rest_users, out=np.zeros_like(conv), where=rest_users > 0)
    h = np.abs(2 * np.arcsin(np.sqrt(r1)) - 2 * np.arcsin(np.sqrt(r2)))
    return summary.with_columns(pl.Series("conversion_clear", clear),
                                pl.Series("conversion_material", h >= CONVERSION_THRESHOLD))


def _drivers(features: pl.DataFrame, labels: np.ndarray, k: int, *, effect_threshold: float = EFFECT_THRESHOLD,
             alpha: float = ALPHA) -> pl.DataFrame:
    """Mean in persona vs rest, index, Cohen's d and its Welch interval for every feature, all personas at once."""
    names = [c for c in features.columns if c != s.USER_ID]
    values = features.select(names).to_numpy().astype(np.float64)
    kinds = [_kind(c) for c in names]
    event_cols = np.array([kind in ("event", "pair") for kind, _ in kinds])
    if event_cols.any():  # event counts -> each user's share of events
        counts = values[:, event_cols]
        total = counts.sum(axis=1, keepdims=True)
        values[:, event_cols] = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    n = values.shape[0]
    onehot = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    size = np.asarray(onehot.sum(axis=1)).astype(float)  # k x 1
    squares = values**2
    total_sum = values.sum(axis=0)
    total_sq = squares.sum(axis=0)
    in_sum = onehot @ values
    in_sq = onehot @ squares
    rest = n - size
    in_mean = np.divide(in_sum, size, out=np.zeros_like(in_sum), where=size > 0)
    rest_mean = np.divide(total_sum - in_sum, rest, out=np.zeros_like(in_sum), where=rest > 0)
    # subtracting sums leaves float dust where the rest has none at all; call it zero
    in_mean = np.where(np.abs(in_mean) < 1e-12, 0.0, in_mean)
    rest_mean = np.where(np.abs(rest_mean) < 1e-12, 0.0, rest_mean)
    ss_in = in_sq - size * in_mean**2
    ss_rest = (total_sq - in_sq) - rest * rest_mean**2
    dof = np.maximum(n - 2, 1)
    pooled = np.sqrt(np.maximum((ss_in + ss_rest) / dof, 0))
    effect = np.divide(in_mean - rest_mean, pooled, out=np.zeros_like(in_mean), where=pooled > 1e-12)
    index = np.divide(in_mean, rest_mean, out=np.full_like(in_mean, np.inf), where=rest_mean > 0)
    index = np.where((rest_mean == 0) & (in_mean == 0), 1.0, index)
    p = len(names)
    # Welch interval of the difference in means, Bonferroni over every (persona, feature) comparison
    var_in = np.divide(np.maximum(ss_in, 0), size - 1, out=np.full_like(ss_in, np.nan), where=size > 1)
    var_rest = np.divide(np.maximum(ss_rest, 0), rest - 1, out=np.full_like(ss_rest, np.nan), where=rest > 1)
    a = np.divide(var_in, size, out=np.full_like(var_in, np.nan), where=size > 0)
    b = np.divide(var_rest, rest, out=np.full_like(var_rest, np.nan), where=rest > 0)
    se = np.sqrt(a + b)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (a + b) ** 2 / (a**2 / np.maximum(size - 1, 1) + b**2 / np.maximum(rest - 1, 1))
        crit = stats.t.ppf(1 - alpha / (2 * max(p * k, 1)), np.where(np.isfinite(df) & (df > 0), df, 1.0))
    diff = in_mean - rest_mean
    low, high = diff - crit * se, diff + crit * se
    clear = np.isfinite(se) & (se > 0) & ((low > 0) | (high < 0))
    return pl.DataFrame(
        {
            "persona_id": np.repeat(np.arange(k, dtype=np.int64), p),
            "kind": [kind for kind, _ in kinds] * k,
            "item": [item for _, item in kinds] * k,
            "feature": names * k,
            "mean": in_mean.ravel(),
            "mean_rest": rest_mean.ravel(),
            "index": index.ravel(),
            "effect": effect.ravel(),
            "difference_low": low.ravel(),
            "difference_high": high.ravel(),
            "clear": clear.ravel(),
            "material": (np.abs(effect) >= effect_threshold).ravel(),
        }
    )


def _typical_paths(ev: pl.DataFrame, idx: UserIndex, users: pl.DataFrame, length: int) -> pl.DataFrame:
    """Per persona: the most common opening of a first session (first ``length`` events, repeats collapsed)."""
    session = np.cumsum(ev[SESSION_START].to_numpy()) - 1
    in_first = session == session[idx.starts][idx.code]
    changed = ev.select(pl.col(s.EVENT).ne_missing(pl.col(s.EVENT).shift(1))).to_series().to_numpy()
    pos = np.flatnonzero(in_first & (changed | idx.new_user))
    code = idx.code[pos]
    new = np.r_[True, code[1:] != code[:-1]]
    rank = np.arange(len(pos)) - np.flatnonzero(new)[np.cumsum(new) - 1]
    pos = pos[rank < length]
    per_user = (
        pl.DataFrame({"_code": idx.code[pos], s.EVENT: ev[s.EVENT].gather(pos)})
        .group_by("_code", maintain_order=True).agg(pl.col(s.EVENT).str.join(" > ").alias("typical_path"))
    )
    per_user = per_user.with_columns(idx.users.gather(per_user["_code"]).alias(s.USER_ID))
    counts = (
        users.join(per_user, on=s.USER_ID, how="inner")
        .group_by("persona_id", "typical_path").len()
        .with_columns((pl.col("len") / pl.col("len").sum().over("persona_id")).alias("typical_path_share"))
        .sort(["persona_id", "len", "typical_path"], descending=[False, True, False])
    )
    return counts.group_by("persona_id", maintain_order=True).first().select(
        "persona_id", "typical_path", "typical_path_share")
