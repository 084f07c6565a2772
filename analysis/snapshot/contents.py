"""The snapshot's tables, built from per-person facts and passed through the privacy gate.

Order matters: personas below k are folded into "Other" first (so every later statistic is computed over
published groups), then each table is folded and suppressed (see :mod:`analysis.privacy`), then shares and rates
are recomputed from published counts only, so no number reveals more than the counts beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from analysis.privacy import (
    OTHER,
    SUPPRESSED,
    SuppressionManifest,
    fold_until_safe,
    folding_map,
    is_other,
    suppress_funnel_steps,
    suppress_small_cells,
)
from analysis.privacy.fold import FOLDED
from analysis.snapshot.people import PERSONA

IN_PERSONA = "(everyone in the persona)"


@dataclass(frozen=True)
class Contents:
    """Published tables (name -> frame) and the manifest of everything withheld on the way."""

    tables: dict[str, pl.DataFrame]
    manifest: SuppressionManifest
    facts: dict[str, object] = field(default_factory=dict)


def fold_personas(people: pl.DataFrame, *, min_group_size: int) -> tuple[pl.DataFrame, SuppressionManifest]:
    """Relabel personas of fewer than k people as "Other" (per-person rows, so later statistics use the fold)."""
    sizes = people.group_by(PERSONA).len("users")
    mapping = folding_map(sizes, category_col=PERSONA, count_col="users", min_group_size=min_group_size)
    folded = mapping.filter((pl.col(FOLDED) == OTHER) & (pl.col(PERSONA) != OTHER)).height
    manifest = SuppressionManifest(min_group_size)
    if folded:
        manifest = manifest.add("personas", "all", "folded", f"{folded} personas merged into {OTHER!r}")
    return people.join(mapping.select(PERSONA, FOLDED), on=PERSONA).with_columns(
        pl.col(FOLDED).alias(PERSONA)).drop(FOLDED), manifest


def persona_table(people: pl.DataFrame, *, min_group_size: int,
                  descriptions: pl.DataFrame | None = None) -> tuple[pl.DataFrame, SuppressionManifest]:
    """Size, share, conversion rate, revenue per person and median sessions per persona, suppressed."""
    k = min_group_size
    raw = people.group_by(PERSONA).agg(
        pl.len().cast(pl.Int64).alias("users"),
        pl.col("converted").sum().cast(pl.Int64).alias("_converters"),
        pl.col("revenue").sum().alias("_revenue"),
        pl.col("sessions").median().cast(pl.Float64).alias("median_sessions"),
    ).sort("users", PERSONA, descending=[True, False])
    out = suppress_small_cells(raw, count_col="users", min_group_size=k, margins=[()],
                               value_cols=["median_sessions"], label_cols=[PERSONA], table_name="personas")
    total = int(raw["users"].sum())
    # a rate is published only when both the converters and the others are zero or at least k people

    def small(column: str) -> pl.Expr:
        return (pl.col(column) > 0) & (pl.col(column) < k)

    table = out.table.with_columns(_others=pl.col("users") - pl.col("_converters")).with_columns(
        (pl.col("users") / total).alias("share"),
        pl.when(small("_converters") | small("_others")).then(None)
        .otherwise(pl.col("_converters") / pl.col("users")).alias("conversion_rate"),
        pl.when(small("_converters")).then(None).otherwise(pl.col("_revenue") / pl.col("users"))
        .alias("revenue_per_user"),
    )
    manifest = out.manifest
    hidden_rates = table.filter(~pl.col(SUPPRESSED) & pl.col("conversion_rate").is_null())
    for name in hidden_rates[PERSONA].to_list():
        manifest = manifest.add("personas", f"persona={name}", "below_k", "conversion rate: fewer than k converters "
                                "or non-converters")
    if descriptions is not None:
        table = table.join(descriptions, on=PERSONA, how="left")
    cols = [PERSONA, "users", "share", "conversion_rate", "revenue_per_user", "median_sessions",
            *(c for c in table.columns if descriptions is not None and c in descriptions.columns and c != PERSONA),
            SUPPRESSED]
    return table.select(cols), manifest


def categories_table(people: pl.DataFrame, column: str, *, name: str, min_group_size: int,
                     published: pl.DataFrame) -> tuple[pl.DataFrame, SuppressionManifest]:
    """Persona x category (a partition of each persona's people), small categories merged into
    "Other (n groups)" until that group has k people too: nothing withheld, no small group's label published."""
    raw = people.group_by(PERSONA, column).agg(pl.len().cast(pl.Int64).alias("users")).sort(PERSONA, column)
    folded = fold_until_safe(raw, category_col=column, count_col="users", min_group_size=min_group_size,
                             by=[PERSONA], table_name=name)
    table = (folded.table.join(published, on=PERSONA, how="inner", maintain_order="left")
             .with_columns((pl.col("users") / pl.col("_size")).alias("share"), pl.lit(False).alias(SUPPRESSED))
             .select(PERSONA, column, "users", "share", SUPPRESSED))
    return table, folded.manifest


def funnel_table(funnel: pl.DataFrame, published: pl.DataFrame, *,
                 min_group_size: int) -> tuple[pl.DataFrame, SuppressionManifest]:
    """Persona funnel with the persona's size as step 0, chain-suppressed; rates from published counts only.

    ``funnel`` has ``persona``, ``step`` (1..n), ``name``, ``users`` and ``median_hours_from_start``.
    """
    start = published.select(PERSONA, pl.lit(0, pl.Int64).alias("step"), pl.lit(IN_PERSONA).alias("name"),
                             pl.col("_size").alias("users"), pl.lit(0.0).alias("median_hours_from_start"))
    raw = pl.concat([start, funnel.join(published.select(PERSONA), on=PERSONA, how="semi")], how="vertical_relaxed")
    out = suppress_funnel_steps(raw, count_col="users", step_col="step", min_group_size=min_group_size,
                                by=[PERSONA], value_cols=["median_hours_from_start"], table_name="funnel")
    return funnel_rates(out.table), out.manifest


def funnel_rates(table: pl.DataFrame) -> pl.DataFrame:
    """Rates of a (suppressed) persona funnel from its published counts only: share of the persona, conversion
    from step 1 and from the last published earlier step (null where a count is withheld)."""
    first = pl.col("users").filter(pl.col("step") == 1).first().over(PERSONA)
    size = pl.col("users").filter(pl.col("step") == 0).first().over(PERSONA)
    first, size = (pl.when(e > 0).then(e) for e in (first, size))  # no rate over an empty (noisy) step
    table = table.sort(PERSONA, "step", maintain_order=True).with_columns(
        (pl.col("users") / size).alias("share_of_persona"),
        (pl.col("users") / first).alias("conversion_from_step_1"),
        (pl.col("users") / pl.col("users").forward_fill().shift(1).over(PERSONA)).alias("conversion_from_previous"),
    )
    return table.select(PERSONA, "step", "name", "users", "share_of_persona", "conversion_from_step_1",
                        "conversion_from_previous", "median_hours_from_start", SUPPRESSED)


def typical_paths(paths: pl.DataFrame) -> pl.DataFrame:
    """The most common published path (not "Other") of each persona and its share."""
    return (paths.filter(~pl.col(SUPPRESSED) & ~is_other("path"))
            .sort(PERSONA, "users", "path", descending=[False, True, False])
            .group_by(PERSONA, maintain_order=True).first()
            .select(PERSONA, pl.col("path").alias("typical_path"), pl.col("share").alias("typical_path_share")))


def published_sizes(personas: pl.DataFrame) -> pl.DataFrame:
    """Personas whose size is published: ``persona`` and ``_size`` (the join key for detail tables)."""
    return personas.filter(~pl.col(SUPPRESSED)).select(PERSONA, pl.col("users").alias("_size"))


def drop_hidden_personas(people: pl.DataFrame, published: pl.DataFrame, manifest: SuppressionManifest,
                         ) -> tuple[pl.DataFrame, SuppressionManifest]:
    """Keep only people of personas whose size is published; the manifest notes each withheld persona's details."""
    hidden = people.join(published, on=PERSONA, how="anti")[PERSONA].unique().sort().to_list()
    for name in hidden:
        manifest = manifest.add("details", f"persona={name}", "dropped",
                                "funnel, channels and paths withheld with the persona's size")
    return people.join(published.select(PERSONA), on=PERSONA, how="semi"), manifest


def guard_nested_counts(personas: pl.DataFrame, funnel: pl.DataFrame, people: pl.DataFrame, *,
                        min_group_size: int) -> tuple[pl.DataFrame, SuppressionManifest]:
    """Round a persona's conversion rate when the funnel's last step (a conversion) is published and differs from
    the persona's converters by 1..k-1 people: the difference of two nested published counts is a group too.

    The rate is rounded down to a multiple of k people (converters ``c`` shown as ``floor(c / k) * k``), so the
    converters are known only to within k and the difference cannot be computed.
    """
    k = min_group_size
    last = funnel.filter(pl.col("step") == pl.col("step").max()).select(PERSONA, pl.col("users").alias("_last"))
    converters = people.group_by(PERSONA).agg(pl.col("converted").sum().cast(pl.Int64).alias("_conv"))
    gap = (pl.col("_conv") - pl.col("_last")).abs()
    risky = (last.join(converters, on=PERSONA).filter(pl.col("_last").is_not_null() & (gap > 0) & (gap < k))
             .select(PERSONA, ((pl.col("_conv") // k) * k).alias("_rounded")))
    manifest = SuppressionManifest(k)
    for name in risky[PERSONA].to_list():
        manifest = manifest.add("personas", f"persona={name}", "derivable",
                                "conversion rate rounded down to a multiple of k converters: exact, it and the "
                                "funnel's last step would differ by fewer than k people")
    out = personas.join(risky, on=PERSONA, how="left", maintain_order="left").with_columns(
        pl.when(pl.col("_rounded").is_not_null() & pl.col("conversion_rate").is_not_null())
        .then(pl.col("_rounded") / pl.col("users")).otherwise(pl.col("conversion_rate")).alias("conversion_rate"))
    return out.drop("_rounded"), manifest
