"""Persona profiles in a marketer's words: size, conversion, what sets each group apart, a typical path, a name.

Every comparison is persona versus the rest of the users: ``index`` is the ratio of the means (2.0 = twice as much),
``effect`` the standardised mean difference (Cohen's d with the pooled standard deviation; |d| >= 0.8 is large).
Event behaviour is compared as each user's share of events, so busy and quiet users weigh alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl
from scipy import sparse

from analysis import schema as s
from analysis.personas._rows import UserIndex, ordered, session_starts

#: Archetype nouns for common (GA4-style) events: the first word of a generated persona name.
ARCHETYPES = {
    "view_promotion": "Deal hunters",
    "select_promotion": "Deal hunters",
    "search": "Searchers",
    "view_item_list": "Researchers",
    "select_item": "Researchers",
    "file_download": "Researchers",
    "view_item": "Window shoppers",
    "page_view": "Browsers",
    "scroll": "Scrollers",
    "share": "Sharers",
    "view_cart": "Cart keepers",
    "add_to_cart": "Cart builders",
    "add_to_wishlist": "Wishlisters",
    "login": "Members",
    "sign_up": "Newcomers",
    "purchase": "Buyers",
}
#: Verb phrases for the same events ("compare often" reads better than "select_item").
PHRASES = {
    "view_promotion": "look at promotions",
    "select_promotion": "click promotions",
    "search": "search",
    "view_item_list": "browse product lists",
    "select_item": "compare products",
    "file_download": "download files",
    "view_item": "view products",
    "page_view": "read pages",
    "scroll": "scroll",
    "share": "share",
    "view_cart": "check their cart",
    "add_to_cart": "add to cart",
    "add_to_wishlist": "save to wishlists",
    "login": "log in",
}
SCALAR_KIND = "activity"


@dataclass(frozen=True)
class Profiles:
    """``summary``: one row per persona; ``drivers``: one row per persona and feature (see module docstring)."""

    summary: pl.DataFrame
    drivers: pl.DataFrame


def describe_personas(
    features: pl.DataFrame,
    labels: np.ndarray,
    events: pl.DataFrame,
    *,
    k: int,
    conversion_events: Sequence[str] = ("purchase",),
    path_length: int = 3,
    session_gap: timedelta = timedelta(minutes=30),
) -> Profiles:
    """Profile ``k`` personas given per-user ``features`` (from :func:`user_features`) and their ``labels``.

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
            ((pl.col("_conv") / pl.col("users")) / ((pl.col("_conv").sum() - pl.col("_conv"))
                                                    / (n - pl.col("users")))).fill_nan(None).alias("conversion_index"),
            (pl.col("_rev") / pl.col("users")).fill_nan(None).alias("revenue_per_user"),
        )
        .sort("persona_id")
    )
    drivers = _drivers(features, labels, k)
    paths = _typical_paths(ev, idx, users, path_length, session_gap)
    summary = summary.join(paths, on="persona_id", how="left", maintain_order="left")
    names = generated_names(summary, drivers)
    return Profiles(summary=summary.with_columns(pl.Series("name", names)).select("persona_id", "name",
                                                                                   pl.exclude("persona_id", "name")),
                    drivers=drivers)


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


def generated_names(summary: pl.DataFrame, drivers: pl.DataFrame) -> list[str]:
    """Plain-language names such as "Deal hunters: arrive via Paid Search, look at promotions 3x, convert 2x".

    The archetype comes from the persona's most over-indexed event (distinct across personas where possible), the
    channel from its most over-indexed channel, the conversion multiple versus the rest of the users.
    """
    top = top_drivers(drivers, n=len(ARCHETYPES), kinds=["event", "channel"]).filter(pl.col("direction") == "over")
    used: set[str] = set()
    names: list[str] = []
    for row in summary.iter_rows(named=True):  # one row per persona (k is small)
        pid = row["persona_id"]
        mine = top.filter(pl.col("persona_id") == pid)
        evs = mine.filter(pl.col("kind") == "event")
        chans = mine.filter(pl.col("kind") == "channel")["item"].to_list()
        candidates = [(_archetype(e), e, i) for e, i in zip(evs["item"], evs["index"], strict=True)]
        pick = next((c for c in candidates if c[0] not in used), None)
        archetype = pick[0] if pick else f"Persona {pid + 1}"
        used.add(archetype)
        parts = []
        if chans:
            parts.append(f"arrive via {chans[0]}")
        if pick:  # the behaviour that gave the archetype, so name and phrase agree
            parts.append(f"{_phrase(pick[1])} {_times(pick[2])}")
        if row["conversion_index"] is not None and np.isfinite(row["conversion_index"]):
            parts.append(f"convert {_times(row['conversion_index'])}")
        names.append(f"{archetype}: {', '.join(parts)}" if parts else archetype)
    return names


def _archetype(event: str) -> str:
    return ARCHETYPES.get(event, event.replace("_", " ").capitalize() + " fans")


def _phrase(event: str) -> str:
    return PHRASES.get(event, event.replace("_", " "))


def _times(ratio: float) -> str:
    """``2.04 -> "2x"``, ``1.46 -> "1.5x"``, ``0.5 -> "0.5x"``, ``37 -> ">10x"``: one decimal, capped at 10."""
    if not np.isfinite(ratio) or ratio > 10:
        return ">10x"
    text = f"{ratio:.1f}".removesuffix(".0")
    return f"{text}x"


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


def _drivers(features: pl.DataFrame, labels: np.ndarray, k: int) -> pl.DataFrame:
    """Mean in persona vs rest, index and Cohen's d for every feature, all personas at once."""
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
        }
    )


def _typical_paths(ev: pl.DataFrame, idx: UserIndex, users: pl.DataFrame, length: int,
                   session_gap: timedelta) -> pl.DataFrame:
    """Per persona: the most common opening of a first session (first ``length`` events, repeats collapsed)."""
    flag = np.zeros(ev.height, dtype=bool)
    flag[session_starts(ev, idx.new_user, session_gap)] = True
    session = np.cumsum(flag) - 1
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
