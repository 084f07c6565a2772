"""Attribution results as tables a marketer reads: plain model names, credits as "1,234 (1,100 to 1,400)", the
checks in words. The Attribution page shows them; a notebook or a script can too.

Examples
--------
>>> import polars as pl
>>> from analysis.attribution import compare_models
>>> paths = pl.DataFrame({"path": [["Email"], ["Email", "Paid Search"], ["Paid Search"]],
...                       "conversions": [3, 2, 1], "nulls": [1, 2, 4], "value": [30.0, 20.0, 10.0]})
>>> result = compare_models(paths, models=["linear"], n_boot=20, seed=0)
>>> detail_table(result, "linear", symbol="€").columns[0]
'Channel'
"""

from __future__ import annotations

import polars as pl

from analysis.attribution.compare import ModelComparison
from analysis.attribution.flags import FLAG_LABELS
from analysis.attribution.models import LABELS
from analysis.attribution.segments import SegmentAttribution
from analysis.formatting import count_text, percent_text
from analysis.vocabulary import Metric

#: The flag that is about the models together rather than one model's credit.
DISAGREE = "models_disagree"
DASH = "–"


def credit_text(column: str, *, metric: Metric, symbol: str = "") -> pl.Expr:
    """A credit column as text: ``1,234``, ``€1,234`` (``metric="value"``) or ``12.3%`` (the share is a fraction).

    Examples
    --------
    >>> frame = pl.DataFrame({"v": [1234.4, -5.0], "s": [0.1234, 0.5]})
    >>> frame.select(credit_text("v", metric="value", symbol="€"), credit_text("s", metric="share")).rows()
    [('€1,234', '12.3%'), ('-€5', '50.0%')]
    """
    col = pl.col(column)
    if metric == "share":
        return pl.format("{}%", (col * 100).round(1)).alias(column)
    whole = col.round(0).cast(pl.Int64)
    digits = (whole.abs().cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "$1,").str.reverse()
              .str.strip_chars_start(","))
    sign = pl.when(whole < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, pl.lit(symbol if metric == "value" else ""), digits).alias(column)


def _with_interval(metric: Metric, symbol: str) -> pl.Expr:
    """"credit (low to high)", or the credit alone where the model has no interval."""
    return (pl.concat_str(credit_text(metric, metric=metric, symbol=symbol), pl.lit(" ("),
                          credit_text(f"{metric}_low", metric=metric, symbol=symbol), pl.lit(" to "),
                          credit_text(f"{metric}_high", metric=metric, symbol=symbol), pl.lit(")"))
            .fill_null(credit_text(metric, metric=metric, symbol=symbol)))


def _plain(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(LABELS, default=pl.col(column))


def model_rows(comparison: ModelComparison, model: str) -> pl.DataFrame:
    """The comparison table's rows of one model, without the model column."""
    return comparison.table.filter(pl.col("model") == model).drop("model")


def readable_table(comparison: ModelComparison, flags: pl.DataFrame, *, metric: Metric,
                   symbol: str = "") -> pl.DataFrame:
    """Channels in robust-rank order, one column per model with "credit (low to high)" and the checks in words.

    Column names are the models' plain names; a negative or sign-uncertain credit gets "⚠"; the Checks column says
    what is flagged for the channel (the two models furthest apart, when models disagree beyond their intervals).
    ``flags`` is :func:`analysis.attribution.credit_flags` of ``comparison``.

    Examples
    --------
    >>> from analysis.attribution import compare_models, credit_flags
    >>> paths = pl.DataFrame({"path": [["Email"], ["Email", "Paid Search"], ["Paid Search"]],
    ...                       "conversions": [3, 2, 1], "nulls": [1, 2, 4], "value": [30.0, 20.0, 10.0]})
    >>> result = compare_models(paths, models=["last_touch", "linear"], n_boot=20, seed=0)
    >>> readable_table(result, credit_flags(result), metric="conversions").columns
    ['Channel', 'Rank', 'Last touch', 'Linear', 'Checks']
    """
    models = comparison.table["model"].unique(maintain_order=True).to_list()
    cells = comparison.table.with_columns(cell=_with_interval(metric, symbol))
    flagged = (flags.filter(pl.col("flag") != DISAGREE).select("model", "channel").unique()
               .with_columns(_warn=pl.lit(" ⚠")))
    cells = cells.join(flagged, on=["model", "channel"], how="left").with_columns(
        cell=pl.concat_str("cell", pl.col("_warn").fill_null("")))
    wide = cells.pivot("model", index="channel", values="cell")
    label = pl.col("flag").replace_strict(FLAG_LABELS, default=pl.col("flag"))
    checks = (flags.with_columns(_check=pl.when(pl.col("flag") == DISAGREE)
                                 .then(pl.format("{} ({} vs {})", label, _plain("model"), _plain("other")))
                                 .otherwise(pl.format("{} ({})", label, _plain("model"))))
              .group_by("channel", maintain_order=True).agg(Checks=pl.col("_check").unique(maintain_order=True)
                                                            .str.join("; ")))
    ranks = comparison.robust_rank.select("channel", "rank")
    out = (ranks.join(wide, on="channel", how="right").join(checks, on="channel", how="left")
           .sort("rank", nulls_last=True)
           .with_columns(pl.col("Checks").fill_null(DASH), pl.col("rank").cast(pl.String).fill_null(DASH)))
    return out.select(pl.col("channel").alias("Channel"), pl.col("rank").alias("Rank"),
                      *[pl.col(m).fill_null(DASH).alias(LABELS.get(m, m)) for m in models], "Checks")


def detail_table(comparison: ModelComparison, model: str, *, symbol: str = "") -> pl.DataFrame:
    """One model's credits in plain columns: conversions, value and share, each with its interval."""
    rows = comparison.table.filter(pl.col("model") == model)
    return rows.sort("conversions", descending=True).select(
        pl.col("channel").alias("Channel"),
        _with_interval("conversions", symbol).alias("Conversions (90% interval)"),
        _with_interval("value", symbol).alias("Revenue (90% interval)"),
        _with_interval("share", symbol).alias("Share of conversions (90% interval)"))


def disagreement_table(comparison: ModelComparison) -> pl.DataFrame:
    """Lowest and highest share per channel across the models, in plain words and percentages."""
    return comparison.disagreement.select(
        pl.col("channel").alias("Channel"),
        pl.format("{}%", (pl.col("min_share") * 100).round(1)).alias("Lowest share"),
        _plain("min_model").alias("Lowest in"),
        pl.format("{}%", (pl.col("max_share") * 100).round(1)).alias("Highest share"),
        _plain("max_model").alias("Highest in"),
        pl.format("{} points", (pl.col("spread") * 100).round(1)).alias("Spread"))


def flag_notes(flags: pl.DataFrame) -> list[str]:
    """One Markdown line per flag: "**Paid Search**, Shapley (DP6): negative credit: …" or "**Email**: models
    disagree: …" (one line per flag, so a list comprehension over a few rows, not over events)."""
    rows = flags.with_columns(_plain("model").alias("_m"),
                              pl.col("flag").replace_strict(FLAG_LABELS, default=pl.col("flag")).alias("_f"))
    return [f"**{c}**: {f}: {n}." if flag == DISAGREE else f"**{c}**, {m}: {f}: {n}."
            for c, m, f, n, flag in rows.select("channel", "_m", "_f", "note", "flag").iter_rows()]


def percent_matrix(matrix: pl.DataFrame) -> pl.DataFrame:
    """The outrank matrix (:func:`analysis.attribution.outrank_matrix`) with probabilities as whole percentages and
    a dash on the diagonal."""
    return matrix.select(pl.col("channel").alias("Channel"),
                         *[pl.format("{}%", (pl.col(c) * 100).round(0).cast(pl.Int64)).fill_null(DASH).alias(c)
                           for c in matrix.columns if c != "channel"])


def has_serious(flags: pl.DataFrame) -> bool:
    """Whether any credit is negative or of uncertain sign (those notes open by themselves)."""
    return bool(flags.filter(pl.col("flag") != DISAGREE).height)


def segment_table(result: SegmentAttribution) -> pl.DataFrame:
    """The segments as the page shows them: people, journeys, conversions, conversion rate and the note."""
    return result.segments.select(
        pl.col("segment").alias(result.by), count_text(pl.col("people")).alias("People"),
        count_text(pl.col("journeys")).alias("Journeys"), count_text(pl.col("conversions")).alias("Conversions"),
        percent_text(pl.col("conversions") / pl.col("journeys")).alias("Journeys that convert"),
        pl.col("note").fill_null("").alias("Note"))
