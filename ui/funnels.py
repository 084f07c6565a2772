"""Funnels view helpers: session-state keys, defaults, the cached funnel units and drivers, the step cohort.

The expensive step (:func:`analysis.funnels.funnel_units`) is cached per view (``ui.view.View``: dataset,
session gap, channel rules, dates, cohort, persona labels) and funnel definition; tables, trends and histograms are
cheap summaries of it and run outside the cache. Frames go in as ``_events`` / ``_units`` so Streamlit never hashes
them.

The cohort picked here becomes the session-wide filter of ``ui.view`` (:func:`ui.view.set_cohort`); the persona
labels exported on the Personas page arrive as a ``persona`` column, offered as a breakdown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from analysis import schema as s
from analysis.formatting import plain_name
from analysis.funnels import Exclusion, FunnelSpec, Step, funnel_spec, funnel_units
from analysis.funnels.dropoff import dropoff_destinations, dropoff_drivers
from analysis.privacy import escape_markdown
from analysis.vocabulary import (
    ANCHORS,
    COUNTINGS,
    ENTRIES,
    EVERIES,
    FUNNEL_ATTRIBUTIONS,
    FUNNEL_MODES,
    FUNNEL_WINDOW,
    WHOS,
    Anchor,
    Counting,
    Entry,
    Every,
    FunnelAttribution,
    FunnelMode,
    Position,
    Who,
)
from ui.conversions import default_funnel
from ui.share import int_between, short_texts
from ui.tables import Col
from ui.view import View, current_view, date_range, persona_fit, view_events

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
DROP_VIEW = "funnels.dropoff_view"  # which "where did they go" chart is shown
SHOW_DRIVERS = "funnels.show_drivers"
DRIVER_COLUMNS = "funnels.driver_columns"
COHORT_WHO = "funnels.cohort_who"
#: The settings a share link carries for this page (the URL parameter names; recipe names without the prefix).
SHARE_KEYS = [STEPS, OPTIONAL, MODE, ENTRY, WINDOW_DAYS, COUNTING, ANCHOR, EXCLUDE, BREAKDOWN, ATTRIBUTION, TOP_N,
              TREND_EVERY, TTC_FROM, TTC_TO, DROP_STEP, DROP_VIEW, COHORT_WHO]

NO_BREAKDOWN = "(none)"
#: The "where did they go" charts, one shown at a time (each is a pass over every event): (column, position, title).
DROP_VIEWS: dict[str, tuple[str, Position, str]] = {
    "next": (s.EVENT, "next", "Their next event"), "channel": ("channel", "next", "Channel of their next event"),
    "last": (s.EVENT, "last", "Their last event in the data")}
MODE_LABELS: dict[FunnelMode, str] = {"ordered": "In this order", "strict": "Directly one after another",
                                      "unordered": "In any order"}
COUNTING_LABELS: dict[Counting, str] = {"users": "Unique people", "sessions": "Sessions", "totals": "Every attempt"}
ANCHOR_LABELS: dict[Anchor, str] = {"furthest": "Their furthest attempt", "first": "Their first attempt"}
ATTRIBUTION_LABELS: dict[FunnelAttribution, str] = {"step1": "At step 1", "first_touch": "Their first event",
                                                    "last_touch": "Their latest event"}
#: Plain words first; the technical term and how other tools call it in the help (GA4, Mixpanel, Amplitude, PostHog).
MODE_HELP = ("Whether the steps must happen in order. **In this order**: other events may come between steps "
             "(an *ordered* funnel, GA4's indirectly followed by). **Directly one after another**: no other event "
             "between steps (*strict* order, GA4's directly followed by). **In any order**: every step within the "
             "time limit, in any order (*unordered*).")
COUNTING_HELP = ("What one unit of the funnel is. **Unique people**: each person once (Mixpanel's uniques). "
                 "**Sessions**: each visit separately. **Every attempt**: a person who starts again counts again "
                 "(*totals*, Mixpanel's totals).")
ANCHOR_HELP = ("Which attempt counts when a person does step 1 several times. **Their furthest attempt**: the one "
               "that gets furthest (how PostHog and Amplitude count). **Their first attempt**: only the first one "
               "(how Mixpanel counts).")
#: What one unit of each counting is called in headings and sentences.
NOUNS = {"users": "people", "sessions": "sessions", "totals": "attempts"}
COHORT_LABELS: dict[Who, str] = {"dropped": "Dropped here", "continued": "Went on", "reached": "Reached this step"}
ENTRY_LABELS: dict[Entry, str] = {"closed": "Only at step 1", "open": "At any step"}
EVERY_LABELS: dict[Every, str] = {"day": "Day", "week": "Week"}
ENTRY_HELP = ("Where people may join the funnel. **Only at step 1**: everyone starts at step 1 (a *closed* funnel). "
              "**At any step**: people who skip the first steps are counted from the step where they came in "
              "(an *open* funnel).")
ATTRIBUTION_HELP = ("When you break the funnel down (for example by channel), which of a person's values they are "
                    "counted under: the value at step 1, at their first event, or at their latest event "
                    "(*breakdown attribution*: step 1, first touch or last touch).")
_SKIP_BREAKDOWN = {s.USER_ID, s.ANONYMOUS_ID, s.TIMESTAMP, s.SESSION_ID, s.REVENUE, "event_id"}


def init_state(event_names: list[str]) -> None:
    """Defaults for the page's widgets (set once per session); the steps start from the suggested main funnel."""
    st.session_state.setdefault(STEPS, default_funnel())  # the suggested main funnel (Data page)
    st.session_state.setdefault(OPTIONAL, [])
    st.session_state.setdefault(MODE, "ordered")
    st.session_state.setdefault(ENTRY, "closed")
    st.session_state.setdefault(WINDOW_DAYS, FUNNEL_WINDOW.days)
    st.session_state.setdefault(COUNTING, "users")
    st.session_state.setdefault(ANCHOR, "furthest")
    st.session_state.setdefault(EXCLUDE, [])
    st.session_state.setdefault(BREAKDOWN, NO_BREAKDOWN)
    st.session_state.setdefault(ATTRIBUTION, "step1")
    st.session_state.setdefault(TOP_N, 8)
    st.session_state.setdefault(TREND_EVERY, "day")
    st.session_state.setdefault(SHOW_DRIVERS, False)
    st.session_state.setdefault(COHORT_WHO, "dropped")
    st.session_state.setdefault(DROP_VIEW, "next")


def share_choices(event_names: list[str]) -> dict[str, list[Any]]:
    """What a share link may set each choice setting to (anything else in the link is ignored)."""
    return {STEPS: event_names, EXCLUDE: event_names, MODE: list(FUNNEL_MODES), ENTRY: list(ENTRIES),
            COUNTING: list(COUNTINGS), ANCHOR: list(ANCHORS), ATTRIBUTION: list(FUNNEL_ATTRIBUTIONS),
            BREAKDOWN: [NO_BREAKDOWN, *breakdown_columns()], TREND_EVERY: list(EVERIES), COHORT_WHO: list(WHOS),
            DROP_VIEW: list(DROP_VIEWS)}


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


# a resource, not data: no pickled copy of the units (one row per person or attempt) beside them, and no unpickling
# on every rerun; a Polars frame is never changed in place, so sharing the one object is safe
@st.cache_resource(max_entries=8, ttl=3600, scope="session", show_spinner="Matching every funnel attempt…")
def _units(view: View, spec: FunnelSpec, _events: pl.DataFrame) -> pl.DataFrame:
    return funnel_units(_events, spec)


def events() -> pl.DataFrame:
    """The events the funnel runs on: prepared, the session's cohort, persona labels (entry dates via the spec)."""
    return view_events()


def units(spec: FunnelSpec) -> pl.DataFrame:
    """Per-unit funnel progress (cached per view and definition)."""
    return _units(current_view(), spec, events())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner="Testing drop-off drivers…")
def _drivers(view: View, spec: FunnelSpec, step: int, columns: tuple[str, ...],
             _events: pl.DataFrame, _units: pl.DataFrame) -> pl.DataFrame:
    return dropoff_drivers(_events, _units, spec, step=step, columns=columns)


def drivers(spec: FunnelSpec, step: int, columns: tuple[str, ...]) -> pl.DataFrame:
    """Ranked drop-off drivers after ``step`` (cached; heavy, so the page computes it only when asked)."""
    return _drivers(current_view(), spec, step, columns, events(), units(spec))


@st.cache_data(max_entries=24, ttl=3600, scope="session", show_spinner=False)
def _destinations(view: View, spec: FunnelSpec, step: int, column: str, position: Position,
                  _events: pl.DataFrame, _units: pl.DataFrame) -> pl.DataFrame:
    return dropoff_destinations(_events, _units, spec, step=step, column=column, position=position)


def destinations(events: pl.DataFrame, units: pl.DataFrame, spec: FunnelSpec, step: int, *, column: str = s.EVENT,
                 position: Position = "next") -> pl.DataFrame:
    """Where people who dropped after ``step`` went: :func:`analysis.funnels.dropoff.dropoff_destinations`, cached per
    view, definition and step (a pass over every event, so not redone on each rerun). ``events`` and ``units``
    are this view's (``events()``, ``units(spec)``)."""
    return _destinations(current_view(), spec, step, column, position, events, units)


def cohort_label(who: str, step: int, spec: FunnelSpec, size: int, noun: str) -> str:
    """How the sidebar names a step cohort: "dropped at step 2 (add_to_cart), 1,234 unique people"."""
    return f"{who} at step {step} ({spec.labels[step - 1]}), {size:,} {noun}"


def step_columns(spec: FunnelSpec, noun: str) -> dict[str, Col | str]:
    """How the funnel table's columns read (headings, kinds, and why a cell can be empty)."""
    previous = "Blank (–) on step 1, which has no previous step."
    timing = "Blank (–) when nobody reached the step, or on step 1."
    columns: dict[str, Col | str] = {}
    if spec.breakdown is not None:
        columns["breakdown"] = Col(plain_name(spec.breakdown), help="The value each unit was counted under.")
    return {
        **columns,
        "name": Col("Step", help="The funnel's steps, in order."),
        "entered": Col(f"{noun.capitalize()} who reached it", "count"),
        "conversion_from_start": Col("Share of step 1", "percent",
                                     help="Of those who did step 1, the share who reached this step "
                                          "(conversion from the start)."),
        "conversion_from_previous": Col("Share of previous step", "percent",
                                        help=f"Of those at the previous step, the share who reached this one "
                                             f"(step conversion). {previous}"),
        "dropped": Col("Dropped before it", "count", help=f"Reached the previous step but not this one. {previous}"),
        "drop_off_rate": Col("Drop-off", "percent", help=f"Dropped as a share of the previous step. {previous}"),
        "median_seconds": Col("Typical time from previous step", "duration",
                              help=f"The median time from the previous step to this one. {timing}"),
        "mean_seconds": Col("Average time from previous step", "duration",
                            help=f"The mean, pulled up by a few slow people. {timing}"),
        "median_seconds_from_start": Col("Typical time from step 1", "duration",
                                         help=f"The median time from step 1 to this step. {timing}"),
        "mean_seconds_from_start": Col("Average time from step 1", "duration",
                                       help=f"The mean time from step 1 to this step. {timing}"),
    }


#: The drop-off drivers table: plain headings first, the statistics named in the help.
DRIVER_TABLE: dict[str, Col | str] = {
    "trait": Col("People who…", width="large"),
    "kind": Col("Kind of trait"),
    "drop_rate_with": Col("Dropped, with the trait", "percent"),
    "drop_rate_without": Col("Dropped, without it", "percent"),
    "relative_risk": Col("Times as likely to drop", "number",
                         help="How many times as likely people with the trait were to drop as those without "
                              "(*relative risk*; 1 = no difference)."),
    "rr_low": Col("At least (95%)", "number", help="Lower end of the 95% confidence interval of the relative risk."),
    "rr_high": Col("At most (95%)", "number", help="Upper end of the 95% confidence interval of the relative risk."),
    "n_with": Col("With the trait", "count"),
    "n_without": Col("Without it", "count"),
    "dropped_with": Col("Dropped, with the trait (count)", "count"),
    "dropped_without": Col("Dropped, without it (count)", "count"),
    "odds_ratio": Col("Odds ratio", "number", help="The odds of dropping with the trait over the odds without it."),
    "p_value": Col("Chance of a fluke", "number", decimals=4,
                   help="The *p-value*: how often a difference this large would turn up by chance alone."),
    "q_value": Col("Chance of a fluke, corrected", "number", decimals=4,
                   help="The *q-value*: the p-value corrected for testing many traits at once "
                        "(Benjamini-Hochberg false-discovery rate)."),
    "significant": Col("Clear difference", "flag", help="The q-value is under 5%."),
    "small": Col("Small group", "flag", help="Fewer than 30 units on one side: a hint, not a finding."),
}


#: Each rule of :meth:`FunnelSpec.describe` in plain words; the technical term (the recipe's and CLI's name) is in
#: :data:`DEFINITION_HELP`.
RULE_NAMES = {"mode": "Step order", "entry": "Who enters", "window": "Time allowed", "anchor": "Which attempt counts",
              "counting": "What is counted", "exclusions": "Excluded", "date range": "Entry dates",
              "conversion": "How rates are worked out", "optional steps": "Optional steps", "breakdown": "Split by"}
DEFINITION_HELP = ("The technical names, as in recipes and the command line: " + "; ".join(
    f"{plain} = {term}" for term, plain in RULE_NAMES.items() if term not in ("conversion", "date range")) + ".")


def definition_markdown(spec: FunnelSpec) -> str:
    """The funnel's rules as a Markdown list in plain words (:data:`RULE_NAMES`), every text escaped."""
    rules = spec.describe().items()
    return "\n".join(f"- **{escape_markdown(RULE_NAMES.get(rule, rule.capitalize()))}**: {escape_markdown(text)}"
                      for rule, text in rules)
