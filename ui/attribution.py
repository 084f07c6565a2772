"""Attribution view helpers: session-state keys, defaults and the cached path table and model comparison.

Caches are keyed by the view (``ui.data.view_key``: dataset, session gap, channel rules, dates, cohort, persona
labels) and the settings; frames go in as ``_events`` / ``_paths`` so Streamlit never hashes them. With persona
labels exported on the Personas page, a persona segment limits the journeys attributed to one persona's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from analysis.attribution import (
    FLAG_LABELS,
    LABELS,
    Model,
    ModelComparison,
    SegmentAttribution,
    Touch,
    attribute_by_segment,
    compare_models,
    conversion_paths,
    select_order,
)
from analysis.attribution import (
    MODELS as MODELS_AVAILABLE,
)
from analysis.filters import filter_values
from analysis.formatting import count_text, detect_currency, percent_text
from analysis.prepare.identity.attributes import attribute_columns
from ui.conversions import conversion_events
from ui.data import ViewKey, active_dataset, filtered_events, person_labels, persona_fit, view_key
from ui.share import int_between, is_bool

CONVERSION_EVENTS = "attribution.conversion_events"
LOOKBACK_DAYS = "attribution.attribution_lookback_days"  # after the prefix: the CLI's names
TOUCH = "attribution.attribution_touch"
COLLAPSE = "attribution.collapse_repeats"
MODELS = "attribution.attribution_models"
ORDER = "attribution.markov_order"
N_BOOT = "attribution.n_boot"
METRIC = "attribution.metric"
DETAIL_MODEL = "attribution.detail_model"
ORDER_FIT = "attribution.show_order_fit"
PERSONA = "attribution.persona"
CURRENCY = "attribution.currency"
ALL_PERSONAS = "(all people)"
PERSONA_COLUMN = "persona"
SEGMENT_BY = "attribution.segment_by"
SEGMENT_MODEL = "attribution.segment_model"
NO_SEGMENT = "(no split)"
#: The settings a share link carries for this page.
SHARE_KEYS = [CONVERSION_EVENTS, LOOKBACK_DAYS, TOUCH, COLLAPSE, MODELS, ORDER, N_BOOT, METRIC, DETAIL_MODEL, PERSONA,
              CURRENCY, SEGMENT_BY]
#: The comparison the page starts with: a few models that answer different questions; the rest can be added.
STARTING_MODELS: tuple[Model, ...] = ("last_touch", "linear", "markov", "shapley_counterfactual")
#: Currency symbols the value can be shown in (the data carries no currency unless it has a ``currency`` column).
CURRENCIES = {"€": "€", "$": "$", "£": "£", "¥": "¥", "CHF": "CHF ", "none": ""}
_ISO = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF"}

TOUCH_LABELS: dict[str, str] = {
    "channel": "Channel",
    "source": "Source",
    "medium": "Medium",
    "campaign": "Campaign",
    "source_medium": "Source / medium",
}


@dataclass(frozen=True)
class Settings:
    """What the page's widgets chose."""

    conversion_events: tuple[str, ...]
    lookback_days: int
    touch: Touch
    collapse_repeats: bool
    models: tuple[Model, ...]
    order: int
    n_boot: int
    persona: str | None = None  # attribute only this persona's journeys


def init_state(event_names: list[str]) -> None:
    """Defaults for the page's widgets (set once per session)."""
    st.session_state.setdefault(CONVERSION_EVENTS, list(conversion_events()))  # the Data page's definition
    st.session_state.setdefault(LOOKBACK_DAYS, 30)
    st.session_state.setdefault(TOUCH, "channel")
    st.session_state.setdefault(COLLAPSE, False)
    st.session_state.setdefault(MODELS, list(STARTING_MODELS))
    if CURRENCY not in st.session_state:  # not setdefault: the detection scans the events, once is enough
        st.session_state[CURRENCY] = detected_currency() or "€"
    st.session_state.setdefault(ORDER, 1)
    st.session_state.setdefault(N_BOOT, 200)
    st.session_state.setdefault(METRIC, "conversions")
    st.session_state.setdefault(PERSONA, ALL_PERSONAS)
    st.session_state.setdefault(SEGMENT_BY, NO_SEGMENT)


def persona_choices() -> list[str]:
    """The persona segment's options: everyone, then each exported persona (only everyone without labels).

    A chosen persona that is no longer exported falls back to everyone, so the widget never holds a stale value.
    """
    labels = person_labels()
    names = [] if labels is None else labels[PERSONA_COLUMN].drop_nulls().unique().sort().to_list()
    choices = [ALL_PERSONAS, *names]
    if st.session_state.get(PERSONA) not in choices:
        st.session_state[PERSONA] = ALL_PERSONAS
    return choices


def segment_choices() -> list[str]:
    """The split's options: no split, then each people attribute joined to the data (``prepare(people=...)``).

    A chosen attribute that the active data no longer carries falls back to no split.
    """
    people = active_dataset().people
    columns = filtered_events().columns
    names = [] if people is None else [c for c in attribute_columns(people) if c in columns]
    choices = [NO_SEGMENT, *names]
    if st.session_state.get(SEGMENT_BY) not in choices:
        st.session_state[SEGMENT_BY] = NO_SEGMENT
    return choices


def share_choices(event_names: list[str]) -> dict[str, list[Any]]:
    """What a share link may set each choice setting to (anything else in the link is ignored)."""
    return {CONVERSION_EVENTS: event_names, TOUCH: list(TOUCH_LABELS), MODELS: list(MODELS_AVAILABLE),
            CURRENCY: list(CURRENCIES),
            ORDER: [1, 2, 3, 4], METRIC: ["conversions", "value", "share"], DETAIL_MODEL: list(MODELS_AVAILABLE),
            PERSONA: persona_choices(), SEGMENT_BY: segment_choices()}


#: Checks for the number and switch settings of a share link.
SHARE_VALID: dict[str, Callable[[Any], bool]] = {
    LOOKBACK_DAYS: int_between(1, 90), N_BOOT: int_between(20, 1000), COLLAPSE: is_bool}


def recipe_extras() -> dict[str, Any]:
    """Recipe parameters as the CLI reads them where the widget's value differs; the bootstrap's seed."""
    persona = st.session_state.get(PERSONA, ALL_PERSONAS)
    if persona == ALL_PERSONAS:
        return {"persona": None, "seed": 0}
    return {"persona": persona, "persona_fit": persona_fit(), "seed": 0}


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Building conversion paths…")
def _paths(
    view: ViewKey,
    key: tuple[tuple[str, ...], int, str, bool, bool, str | None],
    _events: pl.DataFrame,
) -> pl.DataFrame:
    conversion, lookback_days, touch, collapse, with_times, persona = key
    events = filter_values(_events, {PERSONA_COLUMN: [persona]}) if persona is not None else _events
    return conversion_paths(
        events,
        conversion_events=conversion,
        lookback=timedelta(days=lookback_days),
        touch=touch,  # type: ignore[arg-type]
        collapse_repeats=collapse,
        with_times=with_times,
    )


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Running the models and the bootstrap…")
def _comparison(view: ViewKey, settings: Settings, _paths_table: pl.DataFrame) -> ModelComparison:
    return compare_models(
        _paths_table,
        models=settings.models,  # type: ignore[arg-type]
        n_boot=settings.n_boot,
        order=settings.order,
        seed=0,
    )


def paths(settings: Settings) -> pl.DataFrame:
    """The conversion paths of the active, date-filtered data for these settings (cached)."""
    key = (
        settings.conversion_events,
        settings.lookback_days,
        settings.touch,
        settings.collapse_repeats,
        "time_decay" in settings.models,
        settings.persona,
    )
    return _paths(view_key(), key, filtered_events())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Attributing each segment…")
def _segments(view: ViewKey, settings: Settings, by: str, _events: pl.DataFrame) -> SegmentAttribution:
    events = (filter_values(_events, {PERSONA_COLUMN: [settings.persona]}) if settings.persona is not None
              else _events)
    return attribute_by_segment(events, by=by, models=settings.models, conversion_events=settings.conversion_events,
                                lookback=timedelta(days=settings.lookback_days), touch=settings.touch,
                                collapse_repeats=settings.collapse_repeats, order=settings.order, seed=0)


def segments(settings: Settings, by: str) -> SegmentAttribution:
    """Every chosen model on the journeys of each value of the people attribute ``by`` (cached)."""
    return _segments(view_key(), settings, by, filtered_events())


def segment_table(result: SegmentAttribution) -> pl.DataFrame:
    """The segments as the page shows them: people, journeys, conversions, conversion rate and the note."""
    return result.segments.select(
        pl.col("segment").alias(result.by), count_text(pl.col("people")).alias("People"),
        count_text(pl.col("journeys")).alias("Journeys"), count_text(pl.col("conversions")).alias("Conversions"),
        percent_text(pl.col("conversions") / pl.col("journeys")).alias("Journeys that convert"),
        pl.col("note").fill_null("").alias("Note"))


def comparison(settings: Settings) -> ModelComparison:
    """Every chosen model with bootstrap intervals on those paths (cached)."""
    return _comparison(view_key(), settings, paths(settings))



def model_rows(comparison: ModelComparison, model: str) -> pl.DataFrame:
    """The comparison table's rows of one model, without the model column."""
    return comparison.table.filter(pl.col("model") == model).drop("model")


def path_counts(paths: pl.DataFrame) -> tuple[int, int]:
    """Total conversions and non-converting journeys of a path table."""
    return int(paths["conversions"].sum()), int(paths["nulls"].sum())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Scoring Markov orders on held-out journeys…")
def _order_fit(view: ViewKey, settings: Settings, _paths_table: pl.DataFrame) -> pl.DataFrame:
    return select_order(_paths_table, orders=(1, 2, 3, 4), seed=0)


def order_fit(settings: Settings) -> pl.DataFrame:
    """Held-out log-likelihood per Markov order on the current paths (cached)."""
    return _order_fit(view_key(), settings, paths(settings))


def detected_currency() -> str | None:
    """The symbol of the one known ISO currency the active data's amounts are in (the Funnels and Data pages read
    the same column: :func:`analysis.formatting.detect_currency`), else None."""
    code = detect_currency(active_dataset().events)
    return _ISO.get(code) if code else None


def _number(column: str, metric: str, symbol: str) -> pl.Expr:
    """A credit as text: ``1,234``, ``€1,234`` or ``12.3%`` (the share is a fraction)."""
    col = pl.col(column)
    if metric == "share":
        return pl.format("{}%", (col * 100).round(1))
    whole = col.round(0).cast(pl.Int64)
    digits = whole.abs().cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "$1,").str.reverse() \
        .str.strip_chars_start(",")
    sign = pl.when(whole < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, pl.lit(symbol if metric == "value" else ""), digits)


def readable_table(comparison: ModelComparison, flags: pl.DataFrame, *, metric: str, symbol: str) -> pl.DataFrame:
    """Channels in robust-rank order, one column per model with "credit (low to high)" and the checks in words.

    Column names are the models' plain names; a negative or sign-uncertain credit gets "⚠"; the Checks column says
    what is flagged for the channel (models that disagree beyond their intervals included).
    """
    models = comparison.table["model"].unique(maintain_order=True).to_list()
    cells = comparison.table.with_columns(
        cell=pl.concat_str(_number(metric, metric, symbol), pl.lit(" ("), _number(f"{metric}_low", metric, symbol),
                           pl.lit(" to "), _number(f"{metric}_high", metric, symbol), pl.lit(")"))
        .fill_null(_number(metric, metric, symbol)))
    flagged = (flags.filter(pl.col("flag") != "models_disagree").select("model", "channel").unique()
               .with_columns(_warn=pl.lit(" ⚠")))
    cells = cells.join(flagged, on=["model", "channel"], how="left").with_columns(
        cell=pl.concat_str("cell", pl.col("_warn").fill_null("")))
    wide = cells.pivot("model", index="channel", values="cell")
    model = pl.col("model").replace_strict(LABELS, default=pl.col("model"))
    label = pl.col("flag").replace_strict(FLAG_LABELS, default=pl.col("flag"))
    checks = (flags.with_columns(_check=pl.when(pl.col("flag") == "models_disagree").then(label)
                                 .otherwise(pl.format("{} ({})", label, model)))
              .group_by("channel", maintain_order=True).agg(Checks=pl.col("_check").unique(maintain_order=True)
                                                            .str.join("; ")))
    ranks = comparison.robust_rank.select("channel", "rank")
    out = (ranks.join(wide, on="channel", how="right").join(checks, on="channel", how="left")
           .sort("rank", nulls_last=True)
           .with_columns(pl.col("Checks").fill_null("–"), pl.col("rank").cast(pl.String).fill_null("–")))
    names = {m: LABELS.get(m, m) for m in models}  # type: ignore[call-overload]
    return out.select(pl.col("channel").alias("Channel"), pl.col("rank").alias("Rank"),
                      *[pl.col(m).fill_null("–").alias(names[m]) for m in models], "Checks")


def detail_table(comparison: ModelComparison, model: str, *, symbol: str) -> pl.DataFrame:
    """One model's credits in plain columns: conversions, value and share, each with its interval."""
    rows = comparison.table.filter(pl.col("model") == model)
    def cell(metric: str) -> pl.Expr:
        return pl.concat_str(_number(metric, metric, symbol), pl.lit(" ("), _number(f"{metric}_low", metric, symbol),
                             pl.lit(" to "), _number(f"{metric}_high", metric, symbol), pl.lit(")")) \
            .fill_null(_number(metric, metric, symbol))
    return rows.sort("conversions", descending=True).select(
        pl.col("channel").alias("Channel"), cell("conversions").alias("Conversions (90% interval)"),
        cell("value").alias("Revenue (90% interval)"), cell("share").alias("Share of conversions (90% interval)"))


def disagreement_table(comparison: ModelComparison) -> pl.DataFrame:
    """Lowest and highest share per channel across the models, in plain words and percentages."""
    return comparison.disagreement.select(
        pl.col("channel").alias("Channel"),
        pl.format("{}%", (pl.col("min_share") * 100).round(1)).alias("Lowest share"),
        pl.col("min_model").replace_strict(LABELS, default=pl.col("min_model")).alias("Lowest in"),
        pl.format("{}%", (pl.col("max_share") * 100).round(1)).alias("Highest share"),
        pl.col("max_model").replace_strict(LABELS, default=pl.col("max_model")).alias("Highest in"),
        pl.format("{} points", (pl.col("spread") * 100).round(1)).alias("Spread"))


#: What the page says about the Shapley model(s) shown, and how the two differ.
SHAPLEY_NOTE: dict[tuple[str, ...], str] = {
    ("shapley",): "Shown: **Shapley (DP6)**, the Marketing-Attribution-Models definition: a channel's worth is the "
    "conversion rate of the journeys with exactly that set of channels. Its credit can be negative or swing far "
    "from the other models on thin data; add **Shapley, never negative** for the variant that cannot.",
    ("shapley_counterfactual",): "Shown: **Shapley, never negative**: a channel's worth is the chance to convert in "
    "the Markov chain of journeys if only that set of channels existed (after Singal et al., Management Science "
    "2022). Adding a channel never lowers that chance, so no credit is negative. DP6's Shapley can be added for "
    "comparison with other tools.",
    ("shapley", "shapley_counterfactual"): "Two Shapley models are shown. **Shapley (DP6)** values a set of "
    "channels by the conversion rate of journeys with exactly that set, which can give negative credit; "
    "**Shapley, never negative** values it by the chance to convert in the Markov chain of journeys if only those "
    "channels existed (after Singal et al., Management Science 2022), which cannot.",
}


def flag_notes(flags: pl.DataFrame) -> list[str]:
    """One line per flag: "**Paid Search**, Shapley (DP6): negative credit: …" or "**Email**: models disagree: …"."""
    rows = flags.with_columns(pl.col("model").replace_strict(LABELS, default=pl.col("model")).alias("_m"),
                              pl.col("flag").replace_strict(FLAG_LABELS, default=pl.col("flag")).alias("_f"))
    return [f"**{c}**: {f}: {n}." if flag == "models_disagree" else f"**{c}**, {m}: {f}: {n}."
            for c, m, f, n, flag in rows.select("channel", "_m", "_f", "note", "flag").iter_rows()]


def percent_matrix(matrix: pl.DataFrame) -> pl.DataFrame:
    """The outrank matrix with probabilities as whole percentages and a dash on the diagonal."""
    return matrix.select(pl.col("channel").alias("Channel"),
                         *[pl.format("{}%", (pl.col(c) * 100).round(0).cast(pl.Int64)).fill_null("–").alias(c)
                           for c in matrix.columns if c != "channel"])


def has_serious(flags: pl.DataFrame) -> bool:
    """Whether any credit is negative or of uncertain sign (those notes open by themselves)."""
    return bool(flags.filter(pl.col("flag") != "models_disagree").height)
