"""From evaluated attempts to counted units: the furthest attempt, the first entry, re-entries, or an open union."""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.funnels._match import UID, VALUE, first_of_unit
from analysis.funnels.spec import FunnelSpec

ATTEMPT = "_attempt"


def reach_columns(spec: FunnelSpec) -> list[pl.Expr]:
    """``_reach`` (1-based furthest mandatory step, 0 if none) and ``_preach``/``_treach`` (where and when)."""
    mand = list(spec.mandatory)
    return [
        pl.max_horizontal([pl.when(pl.col(f"_p{k}").is_not_null()).then(k + 1).otherwise(0) for k in mand])
        .alias("_reach"),
        pl.coalesce([pl.col(f"_p{k}") for k in reversed(mand)]).alias("_preach"),
        pl.coalesce([pl.col(f"_t{k}") for k in reversed(mand)]).alias("_treach"),
    ]


def select_units(att: pl.DataFrame, spec: FunnelSpec) -> pl.DataFrame:
    """One row per counted unit (person, session or attempt) with ``_ts`` and ``_t{k}`` per step."""
    if spec.counting == "totals":
        return _totals(att, spec)
    if spec.exclusions:  # attempts with an exclusion event in them do not count
        att = att.filter(pl.col("_xpos").is_null())
    att = att.with_columns(reach_columns(spec))
    if spec.entry == "open":
        return _open_union(att, spec)
    return _best_attempt(att, spec)


OFFSET_BITS = 26  # positions inside one unit, in the packed preference score


def _best_attempt(att: pl.DataFrame, spec: FunnelSpec) -> pl.DataFrame:
    """Each unit's preferred attempt: furthest step first, then the earliest to get there, then the most recent entry.

    Attempts come in position order, so a unit's are contiguous: the preference packs into one integer (step
    reached, then offsets of the positions from the unit's end) and a segmented maximum picks it, with no sort.
    """
    if att.is_empty():
        return att
    span = att.select((pl.col("_end") - pl.col("_ps")).max()).item()
    if spec.n >= 2**(62 - 2 * OFFSET_BITS) or span >= 2**OFFSET_BITS:  # too big to pack: sort instead
        return att.sort(["_reach", "_preach", "_ps"], descending=[True, False, True]).unique(
            UID, keep="first", maintain_order=True)
    score = att.select(
        (pl.col("_reach").cast(pl.Int64) * 2**(2 * OFFSET_BITS)
         + (pl.col("_end") - pl.col("_preach")).fill_null(0) * 2**OFFSET_BITS  # no step reached: any constant
         + (2**OFFSET_BITS - 1 - (pl.col("_end") - pl.col("_ps")))).alias("_score"),
        first_of_unit().alias("_first"),
    )
    values = score["_score"].to_numpy()
    starts = np.flatnonzero(score["_first"].to_numpy())
    best = np.repeat(np.maximum.reduceat(values, starts), np.diff(np.append(starts, values.size)))
    return att.filter(pl.Series(values == best))


def _open_union(att: pl.DataFrame, spec: FunnelSpec) -> pl.DataFrame:
    """A unit reaches step k when any of its attempts does; times are the earliest per step."""
    aggs = [pl.col(f"_t{k}").min() for k in range(spec.n)] + [pl.col("_ts").min(), pl.col("_ps").min()]
    if VALUE in att.columns:
        aggs.append(pl.col(VALUE).sort_by("_ps").first())
    return att.group_by(UID).agg(aggs).with_columns(
        pl.max_horizontal([pl.when(pl.col(f"_t{k}").is_not_null()).then(k + 1).otherwise(0)
                           for k in spec.mandatory]).alias("_reach"),
        pl.coalesce([pl.col(f"_t{k}") for k in reversed(spec.mandatory)]).alias("_treach"),
    )


def _totals(att: pl.DataFrame, spec: FunnelSpec) -> pl.DataFrame:
    """Sequential attempts per person: the next one opens at the first step-1 event after the previous ended.

    An attempt ends when it converts (last step), is excluded (exclusion event) or times out (window end). The
    chain is followed with one vectorised hop per attempt depth, not per person.
    """
    last = spec.mandatory[-1]
    att = att.sort("_ps").with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64), *reach_columns(spec))
    end_pos = pl.min_horizontal(pl.col("_xpos"), pl.col(f"_p{last}"))
    att = att.with_columns(_endp=end_pos)
    cand = att.select(_ruid=pl.col(UID), _rp=pl.col("_ps"), _rt=pl.col("_ts"), _ni=pl.col("_i"))
    # positions are sorted by unit, so the next entry by position only needs a same-unit check
    by_pos = (att.filter(pl.col("_endp").is_not_null()).select(UID, "_i", "_endp")
              .sort("_endp").join_asof(cand.drop("_rt"), left_on="_endp", right_on="_rp", strategy="forward",
                                       allow_exact_matches=False, check_sortedness=False)
              .with_columns(pl.when(pl.col("_ruid") == pl.col(UID)).then(pl.col("_ni")).alias("_ni")))
    by_time = (att.filter(pl.col("_endp").is_null()).select(UID, "_i", "_deadline")
               .sort("_deadline").join_asof(cand.drop("_rp").rename({"_ruid": UID}), left_on="_deadline",
                                            right_on="_rt", by=UID, strategy="forward", allow_exact_matches=False,
                                            check_sortedness=False))
    nxt = np.full(att.height, -1, dtype=np.int64)
    for part in (by_pos, by_time):
        nxt[part["_i"].to_numpy()] = part["_ni"].fill_null(-1).to_numpy()
    depth = np.zeros(att.height, dtype=np.int64)
    frontier = att.unique(UID, keep="first", maintain_order=True)["_i"].to_numpy()
    level = 1
    while frontier.size:  # one hop per attempt depth, each hop over every person at once
        depth[frontier] = level
        frontier = nxt[frontier]
        frontier = frontier[frontier >= 0]
        level += 1
    att = att.with_columns(pl.Series(ATTEMPT, depth)).filter(pl.col(ATTEMPT) > 0, pl.col("_xpos").is_null())
    return att.drop("_i", "_endp").sort([UID, ATTEMPT])
