"""Where an attribution number should not be read at face value: one flag and a one-line reason per cell.

Three flags, from a :class:`~analysis.attribution.compare.ModelComparison`:

* ``negative``: the model gives the channel less than zero conversions (DP6's Shapley can: its worth is the
  conversion rate of each exact channel set, which adding a channel can lower).
* ``crosses_zero``: the bootstrap interval runs from below zero to above it, so even the sign is uncertain.
* ``models_disagree``: two models' intervals for the channel's share of conversions do not overlap, so the models
  answer differently beyond what resampling explains. One row per channel, for the pair furthest apart (``model``
  is the one giving the larger share, ``other`` the one giving the smaller; the note names both).

Columns: ``model``, ``channel``, ``flag``, ``note`` and ``other`` (null but for ``models_disagree``).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from analysis.attribution.compare import ModelComparison
from analysis.attribution.models import LABELS

Flag = Literal["negative", "crosses_zero", "models_disagree"]
FLAG_LABELS: dict[str, str] = {"negative": "negative credit", "crosses_zero": "interval crosses zero",
                               "models_disagree": "models disagree"}
_SCHEMA = {"model": pl.String, "channel": pl.String, "flag": pl.String, "note": pl.String, "other": pl.String}


def _label(model: pl.Expr) -> pl.Expr:
    return model.replace_strict(LABELS, default=model, return_dtype=pl.String)


def credit_flags(comparison: ModelComparison) -> pl.DataFrame:
    """One row per flagged (model, channel): columns ``model``, ``channel``, ``flag``, ``note`` (empty: no flag).

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A"], ["B"], ["A", "B"]], "conversions": [50, 10, 10],
    ...                   "nulls": [50, 90, 90], "value": [50.0, 10.0, 10.0]})
    >>> from analysis.attribution.compare import compare_models
    >>> flags = credit_flags(compare_models(p, models=["shapley"], n_boot=50))
    >>> flags.filter(pl.col("flag") == "negative")["channel"].to_list()
    ['B']
    """
    t = comparison.table.filter(pl.col("model") != "participation")
    negative = t.filter(pl.col("conversions") < 0).select(
        "model", "channel", flag=pl.lit("negative"),
        note=pl.format("{} gives {} conversions: journeys with this channel convert less often than journeys "
                       "without it in this model's game", _label(pl.col("model")),
                       pl.col("conversions").round(1)))
    crosses = t.filter((pl.col("conversions_low") < 0) & (pl.col("conversions_high") > 0)).select(
        "model", "channel", flag=pl.lit("crosses_zero"),
        note=pl.format("the interval runs from {} to {} conversions: even the sign of this credit is uncertain",
                       pl.col("conversions_low").round(1), pl.col("conversions_high").round(1)))
    a = t.select("model", "channel", lo_a="share_low", hi_a="share_high", share_a="share")
    b = t.select(other="model", channel="channel", lo_b="share_low", hi_b="share_high", share_b="share")
    apart = (a.join(b, on="channel").filter(pl.col("share_a") > pl.col("share_b"))
             .filter(pl.col("lo_a") > pl.col("hi_b"))
             .with_columns(gap=pl.col("share_a") - pl.col("share_b"))
             .sort(["channel", "gap", "model", "other"], descending=[False, True, False, False])
             .group_by("channel", maintain_order=True).first())
    disagree = apart.select(
        "model", "channel", "other", flag=pl.lit("models_disagree"),
        note=pl.format("its share of conversions runs from {}% ({}) to {}% ({}) and the intervals do not overlap: "
                       "which model you pick changes the answer", (pl.col("share_b") * 100).round(1),
                       _label(pl.col("other")), (pl.col("share_a") * 100).round(1), _label(pl.col("model"))))
    return (pl.concat([negative, crosses, disagree], how="diagonal_relaxed").select(list(_SCHEMA))
            .cast(_SCHEMA)  # type: ignore[arg-type]
            .sort("model", "channel", "flag"))


def flag_summary(flags: pl.DataFrame) -> pl.DataFrame:
    """Per model and channel, the flags joined in words (``"negative credit; models disagree"``) for a table cell.

    Examples
    --------
    >>> f = pl.DataFrame({"model": ["shapley"] * 2, "channel": ["B"] * 2, "flag": ["negative", "crosses_zero"],
    ...                   "note": ["", ""]})
    >>> flag_summary(f)["flags"].to_list()
    ['negative credit; interval crosses zero']
    """
    return (flags.with_columns(pl.col("flag").replace_strict(FLAG_LABELS, return_dtype=pl.String))
            .group_by("model", "channel", maintain_order=True).agg(flags=pl.col("flag").str.join("; ")))
