"""Small-cell suppression with complementary suppression, folding into "Other", and funnel chains.

The algorithm (documented here because reviewers will ask):

1. **Primary**: every cell with ``0 < count < k`` is withheld. Zero cells stay published (they describe no one).
2. **Complementary**, repeated until nothing changes: a *line* is a group of cells whose total is published or
   derivable (one per entry of ``margins``: ``()`` is the grand total, ``("persona",)`` the total per persona).
   A line is unsafe when it holds exactly one withheld cell (total minus the published cells gives it back) or
   withheld cells summing to between 1 and k-1 (their sum would describe fewer than k people). In each unsafe
   line the smallest published positive cell is withheld too (a zero cell only when no positive one is left).
3. **Interval audit** (:mod:`analysis.privacy.audit`): the published totals and non-negativity bound every
   withheld cell; two linear programs per withheld cell find the tightest interval a recipient can derive. A
   cell pinned exactly (a bridge between two 2x2 patterns) or narrowed to fewer than k possible counts (a 2-D table
   where the other withheld cells of its row and column are small) fails; the smallest published cell sharing
   a line with it is withheld and the loop goes back to step 2, until every interval spans at least k people.
4. A line whose cells are all withheld and still unsafe has a total below k: that total must not be published
   either; the manifest says so (the snapshot folds such groups away before they get here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import polars as pl

from analysis.errors import AnalysisError
from analysis.privacy.audit import count_protected, line_bounds
from analysis.privacy.manifest import SuppressionManifest
from analysis.vocabulary import MIN_GROUP_SIZE

SUPPRESSED = "suppressed"
_ROW, _SUP, _WHY, _ALL = "__row", "__sup", "__why", "__all"


class Suppressed(NamedTuple):
    """A table made safe to publish and the manifest of what was withheld from it."""

    table: pl.DataFrame
    manifest: SuppressionManifest


def _check(table: pl.DataFrame, count_col: str, cols: Sequence[str], min_group_size: int) -> None:
    missing = [c for c in (count_col, *cols) if c not in table.columns]
    if missing:
        raise AnalysisError(f"column(s) {', '.join(missing)} not in the table; present: {', '.join(table.columns)}")
    if not table.schema[count_col].is_integer():
        raise AnalysisError(f"count column {count_col!r} has type {table.schema[count_col]}, expected an integer")
    if table[count_col].null_count() or (table.height and int(table[count_col].min()) < 0):  # type: ignore[arg-type]
        raise AnalysisError(f"count column {count_col!r} has nulls or negative values; counts must be >= 0")
    if min_group_size < 1:
        raise AnalysisError(f"min_group_size={min_group_size} is invalid; use 1 or more (default 10)")


def _labels(table: pl.DataFrame, label_cols: Sequence[str]) -> list[str]:
    if not label_cols:
        return [f"row {i}" for i in range(table.height)]
    parts = [pl.format("{}={}", pl.lit(c), pl.col(c).cast(pl.String).fill_null("∅")) for c in label_cols]
    return table.select(pl.concat_str(parts, separator=", ").alias("l"))["l"].to_list()


def _line_keys(margin: Sequence[str]) -> list[str]:
    return list(margin) if margin else [_ALL]


def _complement_step(work: pl.DataFrame, count_col: str, margins: Sequence[Sequence[str]], k: int) -> pl.DataFrame:
    """One pass of rule 2: withhold the smallest published cell in every unsafe line."""
    picks: list[pl.DataFrame] = []
    for margin in margins:
        keys = _line_keys(margin)
        stats = work.group_by(keys).agg(
            n_sup=pl.col(_SUP).sum(),
            sum_sup=pl.col(count_col).filter(pl.col(_SUP)).sum(),
        )
        unsafe = stats.filter((pl.col("n_sup") == 1) | ((pl.col("sum_sup") > 0) & (pl.col("sum_sup") < k)))
        if unsafe.height == 0:
            continue
        picks.append(
            work.filter(~pl.col(_SUP))
            .join(unsafe.select(keys), on=keys, how="semi", nulls_equal=True)
            .sort(pl.col(count_col) == 0, count_col, _ROW)
            .group_by(keys, maintain_order=True)
            .agg(pl.col(_ROW).first())
            .select(_ROW)
        )
    if not picks:
        return work
    rows = pl.concat(picks)[_ROW]
    hit = pl.col(_ROW).is_in(rows.implode()) & ~pl.col(_SUP)
    return work.with_columns(
        pl.when(hit).then(pl.lit("complementary")).otherwise(pl.col(_WHY)).alias(_WHY),
        (pl.col(_SUP) | hit).alias(_SUP),
    )


def _incidence(work: pl.DataFrame, margins: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Lines x withheld cells (0/1) and the withheld cells' row numbers."""
    sup = work.filter(pl.col(_SUP))
    rows = sup[_ROW].to_numpy()
    blocks = []
    for margin in margins:
        keys = _line_keys(margin)
        codes = sup.select(pl.struct(keys).rank("dense").cast(pl.Int64) - 1).to_series(0).to_numpy()
        block = np.zeros((int(codes.max()) + 1 if len(codes) else 0, len(rows)))
        block[codes, np.arange(len(rows))] = 1.0
        blocks.append(block)
    return (np.vstack(blocks) if blocks else np.zeros((0, len(rows)))), rows


def derivable_cells(
    table: pl.DataFrame, *, suppressed_col: str = SUPPRESSED, margins: Sequence[Sequence[str]] = ((),)
) -> list[int]:
    """Row positions of withheld cells whose value the published ``margins`` totals pin down exactly.

    A withheld cell is pinned when its unit vector lies in the row space of the lines x withheld-cells incidence
    matrix (numpy SVD). Used by :func:`suppress_small_cells` and by tests as an independent audit.

    Examples
    --------
    >>> t = pl.DataFrame({"g": ["a", "b", "c"], "suppressed": [True, False, False]})
    >>> derivable_cells(t)
    [0]
    """
    work = table.with_row_index(_ROW).with_columns(pl.col(suppressed_col).alias(_SUP), pl.lit(0).alias(_ALL))
    return _pinned(work, margins)


def _pinned(work: pl.DataFrame, margins: Sequence[Sequence[str]]) -> list[int]:
    a, rows = _incidence(work, margins)
    if a.size == 0:
        return []
    _, sv, vt = np.linalg.svd(a, full_matrices=False)
    rank = int((sv > 1e-9 * max(1.0, float(sv.max()))).sum())
    weight = (vt[:rank] ** 2).sum(axis=0)
    return [int(r) for r in rows[weight > 1 - 1e-9]]


def _narrow(work: pl.DataFrame, count_col: str, margins: Sequence[Sequence[str]], k: int) -> list[int]:
    """Row numbers of withheld cells that the published totals narrow to an interval of fewer than k people."""
    a, rows = _incidence(work, margins)
    if a.size == 0:
        return []
    values = work.filter(pl.col(_SUP))[count_col].cast(pl.Float64).to_numpy()
    low, high = line_bounds(a, values)
    return [int(r) for r, lo, hi in zip(rows, low, high, strict=True) if not count_protected(lo, hi, k)]


def audit_table(table: pl.DataFrame, *, count_col: str, suppressed: pl.Series, min_group_size: int = MIN_GROUP_SIZE,
                margins: Sequence[Sequence[str]] = ((),)) -> pl.DataFrame:
    """The interval audit of a suppressed table: for each withheld cell, its true count and the bounds a recipient
    can derive from the published ``margins`` totals. ``table`` holds the *true* counts, ``suppressed`` the flags.

    Examples
    --------
    >>> t = pl.DataFrame({"g": ["a", "b", "c"], "users": [40, 3, 12]})
    >>> audit_table(t, count_col="users", suppressed=pl.Series([False, True, True])).select("low", "high").rows()
    [(0.0, 15.0), (0.0, 15.0)]
    """
    work = table.with_row_index(_ROW).with_columns(suppressed.alias(_SUP), pl.lit(0).alias(_ALL))
    a, rows = _incidence(work, [tuple(m) for m in margins])
    if a.size == 0:
        return pl.DataFrame(schema={"row": pl.Int64, "value": pl.Float64, "low": pl.Float64, "high": pl.Float64,
                                    "ok": pl.Boolean})
    values = work.filter(pl.col(_SUP))[count_col].cast(pl.Float64).to_numpy()
    low, high = line_bounds(a, values)
    return pl.DataFrame({"row": rows.astype(np.int64), "value": values, "low": low, "high": high,
                         "ok": [count_protected(lo, hi, min_group_size) for lo, hi in zip(low, high, strict=True)]})


def _widen_pinned(work: pl.DataFrame, pinned: list[int], count_col: str,
                  margins: Sequence[Sequence[str]]) -> pl.DataFrame:
    """Rule 3: for each pinned cell withhold the smallest published cell sharing any line with it."""
    cands = []
    for margin in margins:
        keys = _line_keys(margin)
        lines = work.filter(pl.col(_ROW).is_in(pinned)).select(keys).unique()
        cands.append(work.filter(~pl.col(_SUP)).join(lines, on=keys, how="semi", nulls_equal=True))
    pool = pl.concat(cands).unique(_ROW).sort(pl.col(count_col) == 0, count_col, _ROW)
    if pool.height == 0:
        return work
    row = pool[_ROW][0]
    return work.with_columns(
        pl.when(pl.col(_ROW) == row).then(pl.lit("derivable")).otherwise(pl.col(_WHY)).alias(_WHY),
        (pl.col(_SUP) | (pl.col(_ROW) == row)).alias(_SUP),
    )


def _unsafe_lines(work: pl.DataFrame, count_col: str, margin: Sequence[str], k: int) -> list[str]:
    keys = _line_keys(margin)
    stats = work.group_by(keys, maintain_order=True).agg(
        n_sup=pl.col(_SUP).sum(), sum_sup=pl.col(count_col).filter(pl.col(_SUP)).sum()
    )
    bad = stats.filter((pl.col("n_sup") == 1) | ((pl.col("sum_sup") > 0) & (pl.col("sum_sup") < k)))
    return ["total" if not margin else f"total of {label}" for label in _labels(bad, list(margin))]


def suppress_small_cells(
    table: pl.DataFrame,
    *,
    count_col: str,
    min_group_size: int = MIN_GROUP_SIZE,
    margins: Sequence[Sequence[str]] = ((),),
    value_cols: Sequence[str] = (),
    label_cols: Sequence[str] | None = None,
    table_name: str = "table",
) -> Suppressed:
    """Withhold every cell of fewer than ``min_group_size`` people, plus enough others that totals reveal none.

    ``count_col`` holds people per cell; ``margins`` lists the groupings whose totals are published or can be
    derived (``()`` = grand total); ``value_cols`` (shares, medians) are withheld with their cell. Returns the
    table with withheld counts and values set to null and a Boolean ``suppressed`` column, plus the manifest
    (cell labels from ``label_cols``, default every String column; never the withheld values). See the module
    docstring for the algorithm.

    Examples
    --------
    >>> t = pl.DataFrame({"channel": ["A", "B", "C", "D"], "users": [40, 3, 25, 12]})
    >>> out = suppress_small_cells(t, count_col="users", min_group_size=10).table
    >>> out["users"].to_list(), out["suppressed"].to_list()
    ([40, None, 25, None], [False, True, False, True])
    """
    margins = [tuple(m) for m in margins]
    _check(table, count_col, [*value_cols, *(c for m in margins for c in m)], min_group_size)
    k = min_group_size
    if label_cols is None:
        label_cols = [c for c, t in table.schema.items() if t == pl.String and c not in value_cols]
    primary = (pl.col(count_col) > 0) & (pl.col(count_col) < k)
    work = table.with_row_index(_ROW).with_columns(
        primary.alias(_SUP), pl.when(primary).then(pl.lit("below_k")).alias(_WHY), pl.lit(0).alias(_ALL)
    )
    for _ in range(table.height + 1):  # each pass withholds at least one more cell or stops
        before = int(work[_SUP].sum())
        work = _complement_step(work, count_col, margins, k)
        if int(work[_SUP].sum()) == before:
            pinned = _pinned(work, margins) or _narrow(work, count_col, margins, k)
            if not pinned:
                break
            work = _widen_pinned(work, pinned, count_col, margins)
            if int(work[_SUP].sum()) == before:
                break  # nothing left to withhold: reported below as totals that must be withheld
    out = work.with_columns(
        *(pl.when(pl.col(_SUP)).then(None).otherwise(pl.col(c)).alias(c) for c in (count_col, *value_cols)),
        pl.col(_SUP).alias(SUPPRESSED),
    )
    manifest = SuppressionManifest(k)
    withheld = out.filter(pl.col(_SUP))
    for label, why in zip(_labels(withheld, label_cols), withheld[_WHY].to_list(), strict=True):
        manifest = manifest.add(table_name, label, why)
    for margin in margins:
        for line in _unsafe_lines(work, count_col, margin, k):
            manifest = manifest.add(table_name, line, "dropped", "this total is below k: do not publish it")
    return Suppressed(out.drop(_ROW, _SUP, _WHY, _ALL), manifest)
