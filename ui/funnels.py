"""Funnels view helpers: session-state keys, defaults, the cached funnel units and drivers, the step cohort.

The expensive step (:func:`analysis.funnels.funnel_units`) is cached per view (``ui.data.view_key``: dataset,
session gap, channel rules, dates, cohort, persona labels) and funnel definition; tables, trends and histograms are
cheap summaries of it and run outside the cache. Frames go in as ``_events`` / ``_units`` so Streamlit never hashes
them.

The cohort picked here becomes the session-wide filter of ``ui.data`` (:func:`ui.data.set_cohort`); the persona
labels exported on the Personas page arrive as a ``persona`` column, offered as a breakdown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

import polars as pl
import streamlit as st

from analysis import schema as s
from analysis.dropoff import dropoff_destinations, dropoff_drivers
from analysis.funnels import Exclusion, FunnelSpec, Step, funnel_spec, funnel_units
from analysis.privacy import escape_markdown
from ui.conversions import default_funnel
from ui.data import ViewKey, date_range, persona_fit, view_events, view_key
from ui.share import int_between, short_texts

STEPS = "funnels.funnel_steps"  # names after the prefix are the recipe/CLI parameter names
OPTIONAL = "funnels.optional_steps"
MODE = "funnels.funnel_mode"
ENTRY = "funnels.entry"
WINDOW_DAYS = "funnels.funnel_window_days"
COUNTING = "funnels.counting"
ANCHOR = "funnels.anchor"
EXCLUDE = "funnels.exclusion_events"
BREAKDOWN = "funnels.funnel_breakdown"
ATTRIBUTION = "funnels.attribution"
TOP_N = "funnels.top_n"
TREND_EVERY = "funnels.trend_every"
TTC_FROM = "funnels.time_from_step"
TTC_TO = "funnels.time_to_step"
DROP_STEP = "funnels.drop_step"
SHOW_DRIVERS = "funnels.show_drivers"
DRIVER_COLUMNS = "funnels.driver_columns"
COHORT_WHO = "funnels.cohort_who"
#: The settings a share link carries for this page (the URL parameter names; recipe names without the prefix).
SHARE_KEYS = [STEPS, OPTIONAL, MODE, ENTRY, WINDOW_DAYS, COUNTING, ANCHOR, EXCLUDE, BREAKDOWN, ATTRIBUTION, TOP_N,
              TREND_EVERY, TTC_FROM, TTC_TO, DROP_STEP, COHORT_WHO]

NO_BREAKDOWN = "(none)"
MODE_LABELS = {"ordered": "Ordered (others may come between)", "strict": "Strict (directly followed)",
               "unordered": "Any order (within the window)"}
COUNTING_LABELS = {"users": "Unique people", "sessions": "Sessions", "totals": "Totals (re-entry)"}
ANCHOR_LABELS = {"furthest": "Furthest attempt (PostHog/Amplitude)", "first": "First entry (Mixpanel)"}
ATTRIBUTION_LABELS = {"step1": "Value at step 1", "first_touch": "First touch", "last_touch": "Last touch"}
_SKIP_BREAKDOWN = {s.USER_ID, s.ANONYMOUS_ID, s.TIMESTAMP, s.SESSION_ID, s.REVENUE, "event_id"}


def init_state(event_names: list[str]) -> None:
    """Defaults for the page's widgets (set once per session); the sample's funnel when its events exist."""
    st.session_state.setdefault(STEPS, default_funnel())  # the suggested main funnel (Data page)
    st.session_state.setdefault(OPTIONAL, [])
    st.session_state.setdefault(MODE, "ordered")
    st.session_state.setdefault(ENTRY, "closed")
    st.session_state.setdefault(WINDOW_DAYS, 7)
    st.session_state.setdefault(COUNTING, "users")
    st.session_state.setdefault(ANCHOR, "furthest")
    st.session_state.setdefault(EXCLUDE, [])
    st.session_state.setdefault(BREAKDOWN, NO_BREAKDOWN)
    st.session_state.setdefault(ATTRIBUTION, "step1")
    st.session_state.setdefault(TOP_N, 8)
    st.session_state.setdefault(TREND_EVERY, "day")
    st.session_state.setdefault(SHOW_DRIVERS, False)
    st.session_state.setdefault(COHORT_WHO, "dropped")


def share_choices(event_names: list[str]) -> dict[str, list[Any]]:
    """What a share link may set each choice setting to (anything else in the link is ignored)."""
    return {STEPS: event_names, EXCLUDE: event_names, MODE: list(MODE_LABELS), ENTRY: ["closed", "open"],
            COUNTING: list(COUNTING_LABELS), ANCHOR: list(ANCHOR_LABELS), ATTRIBUTION: list(ATTRIBUTION_LABELS),
            BREAKDOWN: [NO_BREAKDOWN, *breakdown_columns()], TREND_EVERY: ["day", "week"],
            COHORT_WHO: ["dropped", "continued", "reached"]}


#: Checks for the number and free-text settings of a share link.
SHARE_VALID: dict[str, Callable[[Any], bool]] = {
    WINDOW_DAYS: int_between(1, 366), TOP_N: int_between(1, 30), TTC_FROM: int_between(1, 50),
    TTC_TO: int_between(1, 50), DROP_STEP: int_between(1, 50), OPTIONAL: short_texts}


def recipe_extras() -> dict[str, Any]:
    """Recipe parameters as the CLI reads them where the widget's value differs (no breakdown is null)."""
    breakdown = st.session_state.get(BREAKDOWN, NO_BREAKDOWN)
    extras: dict[str, Any] = {"funnel_breakdown": None if breakdown == NO_BREAKDOWN else breakdown}
    if breakdown == "persona":
        extras["persona_fit"] = persona_fit()
    return extras


def breakdown_columns() -> list[str]:
    """Columns a funnel can be broken down by: every text column except ids and timestamps."""
    schema = view_events().schema
    return [c for c, t in schema.items() if c not in _SKIP_BREAKDOWN and c != s.EVENT
            and (t == pl.String or isinstance(t, pl.Categorical | pl.Enum | pl.Boolean))]


def current_spec() -> FunnelSpec:
    """The funnel the widgets describe; entry governed by the sidebar's date range."""
    chosen: list[str] = list(st.session_state[STEPS])
    optional = set(st.session_state[OPTIONAL])
    steps = [Step((e,), optional=(0 < i < len(chosen) - 1 and f"{i + 1}. {e}" in optional))
             for i, e in enumerate(chosen)]
    excluded = tuple(st.session_state[EXCLUDE])
    start, end = date_range()
    breakdown = st.session_state[BREAKDOWN]
    return funnel_spec(
        steps,
        window=timedelta(days=int(st.session_state[WINDOW_DAYS])),
        mode=st.session_state[MODE],
        entry=st.session_state[ENTRY],
        counting=st.session_state[COUNTING],
        anchor=st.session_state[ANCHOR],
        exclusions=[Exclusion(excluded)] if excluded and len(chosen) > 1 else [],
        entry_start=start,
        entry_end=end,
        breakdown=None if breakdown == NO_BREAKDOWN else breakdown,
        attribution=st.session_state[ATTRIBUTION],
        top_n=int(st.session_state[TOP_N]),
    )


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Matching every funnel attempt…")
def _units(view: ViewKey, spec: FunnelSpec, _events: pl.DataFrame) -> pl.DataFrame:
    return funnel_units(_events, spec)


def events() -> pl.DataFrame:
    """The events the funnel runs on: prepared, the session's cohort, persona labels (entry dates via the spec)."""
    return view_events()


def units(spec: FunnelSpec) -> pl.DataFrame:
    """Per-unit funnel progress (cached per view and definition)."""
    return _units(view_key(), spec, events())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Testing drop-off drivers…")
def _drivers(view: ViewKey, spec: FunnelSpec, step: int, columns: tuple[str, ...],
             _events: pl.DataFrame, _units: pl.DataFrame) -> pl.DataFrame:
    return dropoff_drivers(_events, _units, spec, step=step, columns=columns)


def drivers(spec: FunnelSpec, step: int, columns: tuple[str, ...]) -> pl.DataFrame:
    """Ranked drop-off drivers after ``step`` (cached; heavy, so the page computes it only when asked)."""
    return _drivers(view_key(), spec, step, columns, events(), units(spec))


@st.cache_data(max_entries=24, ttl=3600, scope="session", show_spinner=False)
def _destinations(view: ViewKey, spec: FunnelSpec, step: int, column: str, position: Literal["next", "last"],
                  _events: pl.DataFrame, _units: pl.DataFrame) -> pl.DataFrame:
    return dropoff_destinations(_events, _units, spec, step=step, column=column, position=position)


def destinations(events: pl.DataFrame, units: pl.DataFrame, spec: FunnelSpec, step: int, *, column: str = s.EVENT,
                 position: Literal["next", "last"] = "next") -> pl.DataFrame:
    """Where people who dropped after ``step`` went: :func:`analysis.dropoff.dropoff_destinations`, cached per
    view, definition and step (a pass over every event, so not redone on each rerun). ``events`` and ``units``
    are this view's (``events()``, ``units(spec)``)."""
    return _destinations(view_key(), spec, step, column, position, events, units)


def cohort_label(who: str, step: int, spec: FunnelSpec, size: int, noun: str) -> str:
    """How the sidebar names a step cohort: "dropped at step 2 (add_to_cart), 1,234 unique people"."""
    return f"{who} at step {step} ({spec.labels[step - 1]}), {size:,} {noun}"


def definition_markdown(spec: FunnelSpec) -> str:
    """The funnel's rules as a Markdown list, every text escaped."""
    rules = spec.describe().items()
    return "\n".join(f"- **{escape_markdown(rule)}**: {escape_markdown(text)}" for rule, text in rules)
