"""Attribution view helpers: session-state keys, defaults and the cached path table and model comparison.

Caches are keyed by the view (``ui.view.View``: dataset, session gap, channel rules, dates, cohort, persona
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
    BootstrapOptions,
    Model,
    ModelComparison,
    ModelOptions,
    SegmentAttribution,
    Touch,
    attribute_by_segment,
    compare_models,
    conversion_paths,
    select_order,
)
from analysis.filters import filter_values
from analysis.formatting import detect_currency
from analysis.prepare.identity.attributes import attribute_columns
from analysis.vocabulary import ATTRIBUTION_LOOKBACK, MARKOV_ORDERS, METRICS, TOUCHES, Metric
from analysis.vocabulary import MODELS as MODELS_AVAILABLE
from ui.conversions import conversion_events
from ui.data import active_dataset
from ui.share import int_between, is_bool
from ui.view import View, current_view, filtered_events, person_labels, persona_fit

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
CURRENCY = "attribution.currency"  # read from the data: one of state.DATA_FOLLOWERS, forgotten with it
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

METRIC_LABELS: dict[Metric, str] = {"conversions": "Conversions", "value": "Revenue", "share": "Share of conversions"}
TOUCH_LABELS: dict[Touch, str] = {
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
    st.session_state.setdefault(LOOKBACK_DAYS, ATTRIBUTION_LOOKBACK.days)
    st.session_state.setdefault(TOUCH, "channel")
    st.session_state.setdefault(COLLAPSE, False)
    st.session_state.setdefault(MODELS, list(STARTING_MODELS))
    if CURRENCY not in st.session_state:  # not setdefault: the detection scans the events, once is enough
        st.session_state[CURRENCY] = detected_currency() or "€"
    st.session_state.setdefault(ORDER, ModelOptions().order)
    st.session_state.setdefault(N_BOOT, BootstrapOptions().n_boot)
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
    return {CONVERSION_EVENTS: event_names, TOUCH: list(TOUCHES), MODELS: list(MODELS_AVAILABLE),
            CURRENCY: list(CURRENCIES),
            ORDER: list(MARKOV_ORDERS), METRIC: list(METRICS), DETAIL_MODEL: list(MODELS_AVAILABLE),
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
    view: View,
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
def _comparison(view: View, settings: Settings, _paths_table: pl.DataFrame) -> ModelComparison:
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
    return _paths(current_view(), key, filtered_events())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Attributing each segment…")
def _segments(view: View, settings: Settings, by: str, _events: pl.DataFrame) -> SegmentAttribution:
    events = (filter_values(_events, {PERSONA_COLUMN: [settings.persona]}) if settings.persona is not None
              else _events)
    return attribute_by_segment(events, by=by, models=settings.models, conversion_events=settings.conversion_events,
                                lookback=timedelta(days=settings.lookback_days), touch=settings.touch,
                                collapse_repeats=settings.collapse_repeats, order=settings.order, seed=0)


def segments(settings: Settings, by: str) -> SegmentAttribution:
    """Every chosen model on the journeys of each value of the people attribute ``by`` (cached)."""
    return _segments(current_view(), settings, by, filtered_events())


def comparison(settings: Settings) -> ModelComparison:
    """Every chosen model with bootstrap intervals on those paths (cached)."""
    return _comparison(current_view(), settings, paths(settings))


def path_counts(paths: pl.DataFrame) -> tuple[int, int]:
    """Total conversions and non-converting journeys of a path table."""
    return int(paths["conversions"].sum()), int(paths["nulls"].sum())


def untouched_conversions(paths: pl.DataFrame) -> int:
    """Conversions of a path table without a touch (the empty path: offline orders of people with no visit)."""
    return int(paths.filter(pl.col("path").list.len() == 0)["conversions"].sum())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Scoring Markov orders on held-out journeys…")
def _order_fit(view: View, settings: Settings, _paths_table: pl.DataFrame) -> pl.DataFrame:
    return select_order(_paths_table, orders=(1, 2, 3, 4), seed=0)


def order_fit(settings: Settings) -> pl.DataFrame:
    """Held-out log-likelihood per Markov order on the current paths (cached)."""
    return _order_fit(current_view(), settings, paths(settings))


def detected_currency() -> str | None:
    """The symbol of the one known ISO currency the active data's amounts are in (the Funnels and Data pages read
    the same column: :func:`analysis.formatting.detect_currency`), else None."""
    code = detect_currency(active_dataset().events)
    return _ISO.get(code) if code else None


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
