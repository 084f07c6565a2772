"""Folding small categories into "Other" and withholding funnel steps whose drop-off is a small group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from analysis.errors import AnalysisError
from analysis.privacy.manifest import SuppressionManifest
from analysis.privacy.suppress import SUPPRESSED, Suppressed
from analysis.vocabulary import OTHER

FOLDED = "folded_into"


def folding_map(
    counts: pl.DataFrame,
    *,
    category_col: str,
    count_col: str,
    min_group_size: int = 10,
    by: Sequence[str] = (),
    other_label: str = OTHER,
) -> pl.DataFrame:
    """Which label each category is published under: itself, or ``other_label`` when it has fewer than k people.

    Returns ``by`` columns, ``category_col`` and ``folded_into``. Use it to relabel per-person rows before
    computing medians or shares, so every published statistic is computed over the folded groups.

    Examples
    --------
    >>> c = pl.DataFrame({"path": ["A", "B", "C"], "users": [50, 4, 3]})
    >>> folding_map(c, category_col="path", count_col="users")["folded_into"].to_list()
    ['A', 'Other', 'Other']
    """
    missing = [c for c in (category_col, count_col, *by) if c not in counts.columns]
    if missing:
        raise AnalysisError(f"column(s) {', '.join(missing)} not in the table; present: {', '.join(counts.columns)}")
    small = pl.col(count_col) < min_group_size
    return counts.select(
        *by, category_col,
        pl.when(small).then(pl.lit(other_label)).otherwise(pl.col(category_col).cast(pl.String)).alias(FOLDED),
    )


def fold_small_categories(
    table: pl.DataFrame,
    *,
    category_col: str,
    count_col: str,
    min_group_size: int = 10,
    by: Sequence[str] = (),
    sum_cols: Sequence[str] = (),
    other_label: str = OTHER,
    table_name: str = "table",
) -> Suppressed:
    """Merge categories of fewer than k people into ``other_label`` within each ``by`` group (summing counts).

    "Other" may itself stay below k; run :func:`suppress_small_cells` afterwards. The manifest records how many
    categories were folded per group, never their names (a rare label can identify someone).

    Examples
    --------
    >>> t = pl.DataFrame({"path": ["A", "B", "C"], "users": [50, 4, 7]})
    >>> fold_small_categories(t, category_col="path", count_col="users").table.rows()
    [('A', 50), ('Other', 11)]
    """
    mapping = folding_map(table, category_col=category_col, count_col=count_col, min_group_size=min_group_size,
                          by=by, other_label=other_label)
    relabelled = table.with_columns(mapping[FOLDED].alias(category_col))
    is_other = pl.col(category_col) == other_label
    out = (
        relabelled.group_by(*by, category_col, maintain_order=True)
        .agg(pl.col(count_col, *sum_cols).sum())
        .sort(*by, is_other, pl.col(count_col), descending=[*(False for _ in by), False, True], maintain_order=True)
    )
    folded = (
        mapping.filter(pl.col(FOLDED) == other_label)
        .filter(pl.col(category_col).cast(pl.String) != other_label)
        .group_by(*by, maintain_order=True)
        .len()
    )
    manifest = SuppressionManifest(min_group_size)
    for row in folded.iter_rows(named=True):  # one row per group, not per person
        where = ", ".join(f"{c}={row[c]}" for c in by) or "all"
        manifest = manifest.add(table_name, where, "folded", f"{row['len']} categories merged into {other_label!r}")
    return Suppressed(out, manifest)


def suppress_funnel_steps(
    table: pl.DataFrame,
    *,
    count_col: str,
    step_col: str,
    min_group_size: int = 10,
    by: Sequence[str] = (),
    value_cols: Sequence[str] = (),
    table_name: str = "funnel",
) -> Suppressed:
    """Withhold funnel steps so that no published count *and* no difference of published counts is below k.

    Funnel counts are nested, so the people dropping off between two published steps form a group too. Walking
    the steps in ``step_col`` order within each ``by`` group, a step is published when it counts at least k
    people and differs from the last published step by 0 or at least k people; otherwise it is withheld (with
    ``value_cols``). Put the group's size as step 0 when it is published elsewhere.

    Examples
    --------
    >>> f = pl.DataFrame({"step": [0, 1, 2, 3], "users": [100, 95, 60, 4]})
    >>> suppress_funnel_steps(f, count_col="users", step_col="step").table["users"].to_list()
    [100, None, 60, None]
    """
    k = min_group_size
    ordered = table.sort(*by, step_col, maintain_order=True)
    keys = list(by) or None
    pos = pl.int_range(pl.len()).over(keys) if keys else pl.int_range(pl.len())
    grp = pl.struct(by).rank("dense") - 1 if by else pl.lit(0)
    work = ordered.with_columns(pos.alias("__pos"), grp.cast(pl.Int64).alias("__grp"))
    n_groups, n_steps = work["__grp"].n_unique(), int(work["__pos"].cast(pl.Int64).max() or 0) + 1  # type: ignore[arg-type]
    grid = np.full((n_groups, n_steps), -1, dtype=np.int64)
    grid[work["__grp"].to_numpy(), work["__pos"].to_numpy()] = work[count_col].to_numpy()
    published = np.zeros_like(grid, dtype=bool)
    last = np.full(n_groups, -1, dtype=np.int64)
    for step in range(n_steps):  # a handful of steps; vectorised over groups
        count = grid[:, step]
        gap = np.abs(last - count)
        ok = (count >= k) & ((last < 0) | (gap == 0) | (gap >= k))
        published[:, step] = ok
        last = np.where(ok, count, last)
    flag = pl.Series("__pub", published[work["__grp"].to_numpy(), work["__pos"].to_numpy()])
    work = work.with_columns(flag)
    out = work.with_columns(
        *(pl.when(pl.col("__pub")).then(pl.col(c)).otherwise(None).alias(c) for c in (count_col, *value_cols)),
        (~pl.col("__pub")).alias(SUPPRESSED),
    )
    manifest = SuppressionManifest(k)
    for row in out.filter(pl.col(SUPPRESSED)).select(*by, step_col).iter_rows(named=True):
        label = ", ".join(f"{c}={row[c]}" for c in (*by, step_col))
        manifest = manifest.add(table_name, label, "below_k", "the step or its drop-off counts fewer than k people")
    return Suppressed(out.drop("__pos", "__grp", "__pub"), manifest)


def other_label(n: int) -> str:
    """The neutral label of ``n`` merged groups: ``"Other (n groups)"`` (never their names)."""
    return f"{OTHER} ({n} group{'s' if n != 1 else ''})"


def is_other(column: str) -> pl.Expr:
    """Whether a label is a merged "Other" group (plain "Other" or "Other (n groups)")."""
    return (pl.col(column) == OTHER) | pl.col(column).str.starts_with(f"{OTHER} (")


def fold_until_safe(
    table: pl.DataFrame,
    *,
    category_col: str,
    count_col: str,
    min_group_size: int = 10,
    by: Sequence[str] = (),
    sum_cols: Sequence[str] = (),
    table_name: str = "table",
) -> Suppressed:
    """Merge every category of fewer than k people into ``"Other (n groups)"``, then the next smallest ones until
    the merged group itself has at least k people (or everything is merged), within each ``by`` group.

    Nothing is left withheld, so no total can give a small group away and no label of a small group is published
    anywhere: the merged group is published under a neutral label that counts the groups, not their names.
    ``count_col`` must partition the ``by`` group's people (one category per person).

    Examples
    --------
    >>> t = pl.DataFrame({"path": ["A", "B", "C", "D"], "users": [50, 4, 3, 12]})
    >>> fold_until_safe(t, category_col="path", count_col="users").table.rows()
    [('A', 50), ('Other (3 groups)', 19)]
    """
    k = min_group_size
    keys = list(by) or None
    rank = pl.int_range(1, pl.len() + 1)
    ranked = table.sort(*by, count_col, category_col).with_columns(
        (rank.over(keys) if keys else rank).alias("__rank"),
        (pl.col(count_col).cum_sum().over(keys) if keys else pl.col(count_col).cum_sum()).alias("__cum"),
        ((pl.col(count_col) < k).sum().over(keys) if keys else (pl.col(count_col) < k).sum()).alias("__small"),
        (pl.len().over(keys) if keys else pl.len()).alias("__n"),
    )
    enough = (pl.col("__rank") >= pl.col("__small")) & (pl.col("__cum") >= k)
    cut = pl.col("__rank").filter(enough).min()
    ranked = ranked.with_columns(
        pl.when(pl.col("__small") == 0).then(0).otherwise(
            (cut.over(keys) if keys else cut).fill_null(pl.col("__n"))).alias("__m"))
    folded = pl.col("__rank") <= pl.col("__m")
    label = pl.format("{} ({} group{})", pl.lit(OTHER), pl.col("__m"),
                      pl.when(pl.col("__m") == 1).then(pl.lit("")).otherwise(pl.lit("s")))
    relabelled = ranked.with_columns(
        pl.when(folded).then(label).otherwise(pl.col(category_col).cast(pl.String)).alias(category_col),
        folded.alias("__folded"))
    out = (relabelled.group_by(*by, category_col, maintain_order=True)
           .agg(pl.col(count_col, *sum_cols).sum(), pl.col("__folded").first())
           .sort(*by, "__folded", count_col, category_col, descending=[*(False for _ in by), False, True, False])
           .drop("__folded"))
    manifest = SuppressionManifest(k)
    counts = ranked.filter(pl.col("__m") > 0).group_by(*by, maintain_order=True).agg(pl.col("__m").first())
    for row in counts.iter_rows(named=True):  # one row per group, not per person
        where = ", ".join(f"{c}={row[c]}" for c in by) or "all"
        manifest = manifest.add(table_name, where, "folded",
                                f"{row['__m']} categories merged into {other_label(row['__m'])!r} (names withheld)")
    return Suppressed(out, manifest)
