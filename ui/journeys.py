"""Journeys view helpers: session-state keys, defaults, the channel-rules state and the cached results.

Caches are keyed by the view (``ui.view.View``: dataset digest, session gap, channel rules, date range, cohort,
persona labels) and the settings; frames go in as ``_events`` so Streamlit never hashes them.

Channel rules edited on this page are the session's rules for every page: ``ui.data.set_channel_rules`` stores
them and ``ui.data.prepared_events`` prepares the data with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.filters import filter_values
from analysis.formatting import format_count, format_percent, plain_name
from analysis.journeys import journeys, path_variants, paths, step_matrix, transitions
from analysis.prepare.channels import UnassignedReport, load_channel_rules, unassigned_report
from analysis.prepare.identity import StitchStats, stitch_stats
from analysis.vocabulary import Level
from ui.conversions import conversion_events
from ui.data import active_dataset, channel_rules, rederive_channels, set_channel_rules
from ui.share import int_between, is_bool
from ui.tables import Col
from ui.view import View, current_view, filtered_events

LEVEL = "journeys.level"
CONVERSION_EVENTS = "journeys.conversion_events"
LOOKBACK_DAYS = "journeys.lookback_days"
START = "journeys.start"
END = "journeys.end"
STEPS = "journeys.steps"
COLLAPSE = "journeys.collapse_repeats"
TOP_N = "journeys.top_n"
BREAKDOWN = "journeys.breakdown"
FILTER_PREFIX = "journeys.filter."
SHOW_SANKEY = "journeys.show_sankey"
SHOW_MATRIX = "journeys.show_step_matrix"
RULES_EDITOR = "journeys.rules_editor"
RULES_ERROR = "journeys.rules_error"  # why the last "Apply rules" failed, shown once

ANY = "(any)"
NONE = "(none)"
LEVEL_LABELS: dict[str, str] = {"event": "Events", "channel": "Channels"}
NOT_FILTERS = {s.USER_ID, s.ANONYMOUS_ID, s.TIMESTAMP, s.SESSION_ID, s.REVENUE, s.EVENT, s.SOURCE, s.MEDIUM,
               s.CAMPAIGN, s.REFERRER, "event_id"}
MAX_FILTER_VALUES = 50


@dataclass(frozen=True)
class Settings:
    """What the page's widgets chose."""

    level: Level
    conversion_events: tuple[str, ...]
    lookback_days: int  # 0 = no lookback
    start: str | None
    end: str | None
    steps: int
    collapse_repeats: bool
    top_n: int
    breakdown: str | None
    filters: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def from_end(self) -> bool:
        """Backward paths: anchored at the end only, so steps count back from it."""
        return self.end is not None and self.start is None


def init_state(event_names: list[str]) -> None:
    """Defaults for the page's widgets (set once per session)."""
    st.session_state.setdefault(LEVEL, "channel")
    st.session_state.setdefault(CONVERSION_EVENTS, list(conversion_events()))  # the Data page's definition
    st.session_state.setdefault(LOOKBACK_DAYS, 0)
    st.session_state.setdefault(START, ANY)
    st.session_state.setdefault(END, ANY)
    st.session_state.setdefault(STEPS, 6)
    st.session_state.setdefault(COLLAPSE, True)
    st.session_state.setdefault(TOP_N, 6)
    st.session_state.setdefault(BREAKDOWN, NONE)


def share_keys(options: dict[str, list[str]]) -> list[str]:
    """The settings a share link carries for this page: the widgets and one filter per filterable column."""
    return [LEVEL, CONVERSION_EVENTS, LOOKBACK_DAYS, START, END, STEPS, COLLAPSE, TOP_N, BREAKDOWN,
            *(f"{FILTER_PREFIX}{column}" for column in options)]


def share_choices(event_names: list[str], options: dict[str, list[str]]) -> dict[str, list[Any]]:
    """What a share link may set each choice setting to (anchors of either level; the page drops a mismatch)."""
    anchors = [ANY, *nodes("event"), *nodes("channel")]
    return {LEVEL: list(LEVEL_LABELS), CONVERSION_EVENTS: event_names, START: anchors, END: anchors,
            BREAKDOWN: [NONE, *options], **{f"{FILTER_PREFIX}{column}": values for column, values in options.items()}}


#: Checks for the number and switch settings of a share link.
SHARE_VALID: dict[str, Callable[[Any], bool]] = {
    LOOKBACK_DAYS: int_between(0, 90), STEPS: int_between(3, 12), TOP_N: int_between(2, 15), COLLAPSE: is_bool}


def rules() -> pl.DataFrame | None:
    """The applied channel rules, or None for the shipped defaults."""
    return channel_rules()


def shipped_rules() -> pl.DataFrame:
    """The shipped GA4 default rules (a new frame each call: safe to edit)."""
    return load_channel_rules()


def rederiving() -> bool:
    """Whether the rules replace a ``channel`` column the data brought with it."""
    return rederive_channels()


def apply_rules(table: pl.DataFrame | None, *, rederive: bool) -> None:
    """Use ``table`` (None = the defaults) for channel grouping on every page from now on in this session.

    Raises AnalysisError (naming the row and cell) when the table is not a valid rule table.
    """
    set_channel_rules(table, rederive=rederive)


def apply_rules_clicked(table: pl.DataFrame, rederive: bool) -> None:
    """Callback of the "Apply rules" button (no ``st.rerun()``, which could undo a page switch clicked meanwhile)."""
    try:
        apply_rules(table, rederive=rederive)
    except AnalysisError as exc:
        st.session_state[RULES_ERROR] = str(exc)
    else:
        st.session_state.pop(RULES_ERROR, None)


def reset_rules_clicked() -> None:
    """Callback of the "Reset to GA4 defaults" button: the shipped rules, and a fresh editor showing them."""
    apply_rules(None, rederive=False)
    st.session_state.pop(RULES_EDITOR, None)
    st.session_state.pop(RULES_ERROR, None)


def rules_error() -> str | None:
    """Why the last "Apply rules" failed, once (the message is gone on the next run)."""
    error = st.session_state.pop(RULES_ERROR, None)
    return None if error is None else str(error)


def events() -> pl.DataFrame:
    """Prepared, date-filtered events of the active dataset, channels grouped with this session's rules."""
    return filtered_events()


def _key() -> View:
    return current_view()


@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner=False)
def _filter_options(key: View, _events: pl.DataFrame) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for column, dtype in _events.schema.items():  # columns, not rows
        if column in NOT_FILTERS or dtype not in (pl.String, pl.Categorical, pl.Enum, pl.Boolean):
            continue
        values = _events[column].drop_nulls().cast(pl.String).unique()
        if 0 < values.len() <= MAX_FILTER_VALUES:
            options[column] = values.sort().to_list()
    return options


def filter_options() -> dict[str, list[str]]:
    """Columns usable as filters and breakdowns (channel, device, any extra text column of <= 50 values).

    Chosen filter values that the current data no longer has (another dataset, date range or rules) are dropped
    from the session state, so the widgets never hold an invalid choice.
    """
    options = _filter_options(_key(), events())
    for column, values in options.items():
        key = f"{FILTER_PREFIX}{column}"
        chosen = st.session_state.get(key)
        if chosen and any(v not in values for v in chosen):
            st.session_state[key] = [v for v in chosen if v in values]
    if st.session_state.get(BREAKDOWN, NONE) not in (NONE, *options):
        st.session_state[BREAKDOWN] = NONE
    return options


@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner=False)
def _event_names(key: View, _events: pl.DataFrame) -> list[str]:
    return _events[s.EVENT].drop_nulls().unique().sort().to_list()


def event_names() -> list[str]:
    """Distinct event names of the prepared, date-filtered data."""
    return _event_names(_key(), events())


@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner=False)
def _channel_names(key: View, _events: pl.DataFrame) -> list[str]:
    return _events[s.CHANNEL].drop_nulls().unique().sort().to_list()


def nodes(level: Level) -> list[str]:
    """Names that can anchor a path at this level: event names or channels."""
    return event_names() if level == "event" else _channel_names(_key(), events())


@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner="Counting stitched identities…")
def _stitch(digest: str, _events: pl.DataFrame) -> StitchStats:
    return stitch_stats(_events)


def stitching() -> StitchStats:
    """Stitch statistics of the active dataset (raw events, whole period)."""
    dataset = active_dataset()
    return _stitch(dataset.digest, dataset.events)


@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner=False)
def _unassigned(key: View, _events: pl.DataFrame) -> UnassignedReport:
    return unassigned_report(_events)


def unassigned() -> UnassignedReport:
    """Share of Unassigned events and the source/medium pairs behind it."""
    return _unassigned(_key(), events())


# a resource, not data: st.cache_data would pickle the frame (one row per journey, with lists) on the first run and
# unpickle a copy on every later one, and hold the pickle beside it (about 1 s and 0.2 GB at 10M events); a Polars
# frame is never changed in place, so sharing the one object is safe
@st.cache_resource(max_entries=6, ttl=3600, scope="session", show_spinner="Cutting journeys…")
def _journeys(key: View, settings: Settings, _events: pl.DataFrame) -> pl.DataFrame:
    selected = filter_values(_events, dict(settings.filters))
    lookback = timedelta(days=settings.lookback_days) if settings.lookback_days else None
    attributes = [settings.breakdown] if settings.breakdown else []
    return journeys(selected, conversion_events=settings.conversion_events, lookback=lookback,
                    attributes=attributes)


def _journey_settings(settings: Settings) -> Settings:
    """Only what journeys depend on, so anchor or step changes reuse the cached journeys."""
    return Settings("event", settings.conversion_events, settings.lookback_days, None, None, 1, False, 0,
                    settings.breakdown, settings.filters)


def journey_table(settings: Settings) -> pl.DataFrame:
    """Journeys of the filtered data for these settings (cached)."""
    return _journeys(_key(), _journey_settings(settings), events())


@st.cache_resource(max_entries=6, ttl=3600, scope="session", show_spinner=False)
def _paths(key: View, settings: Settings) -> pl.DataFrame:
    return paths(
        journey_table(settings), level=settings.level, start=settings.start, end=settings.end,
        steps=settings.steps, collapse_repeats=settings.collapse_repeats,
    )


def path_table(settings: Settings) -> pl.DataFrame:
    """Anchored paths at the chosen level (list operations over every cached journey; cached per view and
    settings, since the page reads them several times a run)."""
    return _paths(_key(), settings)


def variants(settings: Settings, *, top_n: int = 25) -> pl.DataFrame:
    """Most frequent whole paths (per breakdown value when one is chosen), columns in display order."""
    table = path_variants(path_table(settings), top_n=top_n, by=settings.breakdown)
    by = [settings.breakdown] if settings.breakdown else []
    return table.select(*by, "label", "journeys", "share", "converted", "conversion_rate", "users")


def flows(settings: Settings) -> pl.DataFrame:
    """Step-to-step flows with the top nodes per step and where each journey ended (Sankey data)."""
    return transitions(path_table(settings), top_n=settings.top_n, from_end=settings.from_end, outcomes=True)


@dataclass(frozen=True)
class PathCounts:
    """What the "Different paths" metric counts: journeys with the anchors, their distinct paths, and the share of
    those journeys that the table's most common paths cover."""

    anchored: int
    distinct: int
    covered: float | None


@st.cache_resource(max_entries=6, ttl=3600, scope="session", show_spinner=False)
def _path_counts(key: View, settings: Settings, top_n: int) -> PathCounts:
    table = path_table(settings)
    if table.is_empty():
        return PathCounts(0, 0, None)
    ranked = path_variants(table, top_n=None)
    return PathCounts(table.height, ranked.height, float(ranked["journeys"].head(top_n).sum()) / table.height)


def path_counts(settings: Settings, *, top_n: int = 25) -> PathCounts:
    """Journeys that contain the anchors, how many different paths they take, and how much the top ``top_n``
    cover (cached per view and settings)."""
    return _path_counts(_key(), settings, top_n)


def distinct_help(settings: Settings, counts: PathCounts, *, top_n: int = 25) -> str:
    """The tooltip of the "Different paths" metric: what it counts, in words."""
    of = "channels" if settings.level == "channel" else "events"
    anchored = " that contain the chosen start or end" if settings.start or settings.end else ""
    covered = "" if counts.covered is None else (
        f" The table lists the {min(top_n, counts.distinct):,} most common; together they cover "
        f"{format_percent(counts.covered)} of these journeys.")
    return (f"How many different sequences of {of} the {format_count(counts.anchored)} journeys{anchored} follow "
            f"(path variants), after the settings above.{covered}")


def variant_columns(settings: Settings) -> dict[str, Col | str]:
    """How the table of most common paths reads."""
    by: dict[str, Col | str] = {}
    if settings.breakdown:
        by[settings.breakdown] = Col(plain_name(settings.breakdown))
    return {
        **by,
        "label": Col("Path", width="large"),
        "journeys": Col("Journeys", "count"),
        "share": Col("Share of journeys", "share", help="Of all journeys shown (in the breakdown's group)."),
        "converted": Col("Converted", "count", help="Journeys on this path that ended in a conversion event."),
        "conversion_rate": Col("Conversion rate", "percent", help="Converted journeys as a share of the path's."),
        "users": Col("People", "count", help="Different people who took this path (one may take it again)."),
    }


#: The table of source/medium pairs that no channel rule matched.
UNASSIGNED_COLUMNS: dict[str, Col | str] = {
    "source": "Source", "medium": "Medium", "events": Col("Events", "count"),
    "share": Col("Share of all events", "percent")}


def matrix(settings: Settings) -> pl.DataFrame:
    """Step matrix over the chosen number of steps."""
    return step_matrix(path_table(settings), steps=settings.steps, top_n=max(settings.top_n, 8),
                       from_end=settings.from_end)
