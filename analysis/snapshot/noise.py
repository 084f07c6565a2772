"""The snapshot's optional noise mode: every published count and sum released with differential privacy.

Applied after suppression and the audit (which decide *which* cells are published, on the exact counts), it
replaces each published number by an OpenDP Laplace release (:mod:`analysis.privacy.noise`) and recomputes every
share and rate from the noisy numbers. One epsilon is shared equally by all releases (sequential composition):

- personas: sizes, converters (partitions: one person counts once) and revenue (each person's capped first);
- channels and paths: people per cell (partitions);
- funnel: people per step (one person counts at most once per step: sensitivity = the number of steps);
  step 0 is the persona's noisy size;
- attribution (rule-based models only, first conversion per person, its value capped): credited conversions
  (one person moves at most 1 conversion in a model) and values (at most the cap). Markov and Shapley credits
  can all move when one person changes, so they are left out in this mode.

Numbers that are not counts or sums (medians, bootstrap intervals, persona stability) are withheld in this mode:
they are not covered by the guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis.privacy import SUPPRESSED
from analysis.privacy.noise import PROTECTS, NoiseSettings, noisy_counts, noisy_sums, opendp_version, split_budget
from analysis.snapshot.contents import Contents, funnel_rates, typical_paths
from analysis.snapshot.people import PERSONA

#: Attribution models whose per-person credit is bounded (1 conversion per converting journey).
BOUNDED_MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay",
                  "j_shaped", "inverse_j")
NOT_COVERED = ("median_sessions", "stability", "median_hours_from_start", "conversions_low", "conversions_high",
               "value_low", "value_high", "share_low", "share_high")


@dataclass(frozen=True)
class Exact:
    """Exact published-cell inputs the noise step needs: per persona ``users``, ``converters`` and capped
    ``revenue`` (never published)."""

    personas: pl.DataFrame


def _releases(tables: dict[str, pl.DataFrame]) -> int:
    models = tables["attribution"]["model"].n_unique() if "attribution" in tables else 0
    return 3 + sum(1 for t in ("channels", "paths", "funnel") if t in tables) + 2 * models


def _noisy_column(table: pl.DataFrame, column: str, eps: float, *, sensitivity: int = 1,
                  bound: float | None = None, where: pl.Expr | None = None) -> pl.DataFrame:
    mask = (pl.col(column).is_not_null() if where is None else where & pl.col(column).is_not_null())
    idx = table.with_row_index("__i").filter(mask)["__i"].to_list()
    values = table[column].gather(idx).to_list()
    noisy: list[float] | list[int] = (noisy_sums(values, epsilon=eps, bound=bound) if bound is not None
                                      else noisy_counts(values, epsilon=eps, sensitivity=sensitivity))
    series = table[column].cast(pl.Float64 if bound is not None else pl.Int64).scatter(idx, noisy) if idx else \
        table[column]
    return table.with_columns(series.alias(column))


def add_noise(contents: Contents, exact: Exact, settings: NoiseSettings) -> Contents:
    """The contents with every published count and sum replaced by a differentially private release."""
    tables = dict(contents.tables)
    eps = split_budget(settings.epsilon, _releases(tables))
    personas = tables["personas"].join(exact.personas.rename({"users": "_u", "converters": "_c", "revenue": "_r"}),
                                       on=PERSONA, how="left", maintain_order="left")
    shown = ~pl.col(SUPPRESSED)
    personas = personas.with_columns(
        pl.when(shown).then(pl.col("_u")).otherwise(None).cast(pl.Int64).alias("_u"),
        pl.when(shown & pl.col("conversion_rate").is_not_null()).then(pl.col("_c")).otherwise(None)
        .cast(pl.Int64).alias("_c"),
        pl.when(shown & pl.col("revenue_per_user").is_not_null()).then(pl.col("_r")).otherwise(None).alias("_r"))
    personas = _noisy_column(personas, "_u", eps)
    personas = _noisy_column(personas, "_c", eps)
    personas = _noisy_column(personas, "_r", eps, bound=settings.value_cap)
    size = pl.col("_u").clip(lower_bound=1)
    personas = personas.with_columns(
        pl.col("_u").alias("users"), (pl.col("_u") / pl.col("_u").sum()).alias("share"),
        (pl.col("_c").clip(upper_bound=pl.col("_u")) / size).alias("conversion_rate"),
        (pl.col("_r") / size).alias("revenue_per_user"),
    ).drop("_u", "_c", "_r")
    sizes = personas.filter(shown).select(PERSONA, pl.col("users").alias("_size"))
    for name in ("channels", "paths"):
        if name in tables:
            noisy = _noisy_column(tables[name], "users", eps)
            tables[name] = (noisy.drop("share").join(sizes, on=PERSONA, how="left", maintain_order="left")
                            .with_columns((pl.col("users") / pl.col("_size").clip(lower_bound=1)).alias("share"))
                            .select(tables[name].columns))
    if "typical_path" in personas.columns and "paths" in tables:
        personas = (personas.drop("typical_path", "typical_path_share")
                    .join(typical_paths(tables["paths"]), on=PERSONA, how="left", maintain_order="left")
                    .select(tables["personas"].columns))
    tables["personas"] = personas
    if "funnel" in tables and tables["funnel"].height:
        funnel = tables["funnel"]
        steps = int(funnel["step"].max() or 0)  # type: ignore[arg-type]
        funnel = _noisy_column(funnel, "users", eps, sensitivity=max(steps, 1), where=pl.col("step") > 0)
        funnel = funnel.join(sizes, on=PERSONA, how="left", maintain_order="left").with_columns(
            pl.when(pl.col("step") == 0).then(pl.col("_size")).otherwise(pl.col("users")).alias("users")
        ).drop("_size")
        tables["funnel"] = funnel_rates(funnel)
    if "attribution" in tables and tables["attribution"].height:
        parts = []
        for _, exact_part in tables["attribution"].group_by("model", maintain_order=True):
            part = _noisy_column(exact_part, "conversions", eps, bound=1.0)
            part = _noisy_column(part, "value", eps, bound=settings.value_cap)
            parts.append(part.with_columns((pl.col("conversions") / pl.col("conversions").sum()).alias("share"),
                                           pl.lit(None, pl.Int64).alias("users")))  # exact people: not released
        tables["attribution"] = pl.concat(parts)
    tables = {name: t.with_columns(pl.lit(None, pl.Float64).alias(c) for c in NOT_COVERED if c in t.columns)
              for name, t in tables.items()}
    people = int(personas.filter(shown)["users"].sum())
    first_model = tables["attribution"].filter(pl.col("model") == pl.col("model").first()) \
        if "attribution" in tables and tables["attribution"].height else None
    facts = {**contents.facts,
             "people": people if people else None,
             "total_conversions": round(float(first_model["conversions"].sum())) if first_model is not None
             else None,
             "differential_privacy": noise_note(settings, eps)}
    manifest = contents.manifest.add("all", "every count and sum", "noise",
                                     f"released with differential privacy, epsilon = {settings.epsilon} in all "
                                     f"({eps:.4g} per release); medians and intervals withheld")
    return Contents(tables, manifest, facts)


def noise_note(settings: NoiseSettings, per_release: float) -> dict[str, object]:
    """What a noisy snapshot says about its noise (written into ``snapshot.json`` and shown in the HTML)."""
    return {"epsilon": settings.epsilon, "epsilon_per_release": round(per_release, 6),
            "value_cap_per_person": settings.value_cap, "mechanism": f"Laplace (OpenDP {opendp_version()})",
            "protects": PROTECTS,
            "does_not_protect": "which groups are published or merged (decided on exact counts, with k), and "
                                "anything outside this file",
            "models_left_out": "data-driven models (Markov, Shapley): one person can move every credit"}


__all__ = ["BOUNDED_MODELS", "Exact", "add_noise", "noise_note"]
