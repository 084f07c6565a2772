"""The Data page's conversion section: which events count as conversions in this dataset, and the main funnel.

Right after a load the section asks, with the suggestion (``analysis.conversions``) filled in, marked as a
suggestion and explained; the choice (:func:`set_conversion_events`, kept with the dataset in the library) is what
every page, the snapshot and the recipes start from (:func:`conversion_events`, :func:`default_funnel`). Pages that
override it say so (:func:`overrides_conversions`).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from analysis.conversions import ConversionSuggestion, FunnelSuggestion, suggest_conversions, suggest_funnel
from analysis.privacy import escape_markdown
from ui import data as ud
from ui import library, state

_WIDGET = "data.conversion_events"



@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner=False)
def _conversion_suggestion(digest: str, _events: pl.DataFrame) -> ConversionSuggestion:
    return suggest_conversions(_events)


def conversion_suggestion() -> ConversionSuggestion:
    """The suggested conversion events of the active dataset, with why (cached per dataset)."""
    dataset = ud.active_dataset()
    return _conversion_suggestion(dataset.digest, dataset.events)


def conversion_events() -> tuple[str, ...]:
    """What counts as a conversion in the active dataset: the user's choice on the Data page, else the suggestion.

    Every page's conversion events start from this (``state.CONVERSION_FOLLOWERS``)."""
    chosen = st.session_state.get(state.CONVERSION_EVENTS)
    if isinstance(chosen, tuple | list):
        names = set(ud.event_names())
        kept = tuple(e for e in chosen if e in names)
        if kept:
            return kept
    return conversion_suggestion().events


def conversion_chosen() -> bool:
    """True once the user confirmed or changed the conversion events (False: the suggestion is in use)."""
    return isinstance(st.session_state.get(state.CONVERSION_EVENTS), tuple | list)


def set_conversion_events(events: tuple[str, ...] | list[str]) -> None:
    """Make ``events`` the dataset's conversions on every page; pages that still followed the previous definition
    (or the suggested funnel) follow the new one, pages that override it keep their own. Kept with the dataset."""
    old_conversions, old_funnel = conversion_events(), funnel_suggestion().steps
    new = tuple(dict.fromkeys(events))
    st.session_state[state.CONVERSION_EVENTS] = new
    for key in state.CONVERSION_FOLLOWERS:
        value = st.session_state.get(key)
        if value is None or tuple(value) == old_conversions:
            st.session_state.pop(key, None)
    for key in state.FUNNEL_FOLLOWERS:
        value = st.session_state.get(key)
        if value is None or tuple(value) == old_funnel:
            st.session_state.pop(key, None)
    library.set_conversion_events(ud.active_dataset().key, new)


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner=False)
def _funnel_suggestion(digest: str, conversions: tuple[str, ...], _events: pl.DataFrame) -> FunnelSuggestion:
    if not conversions:
        return FunnelSuggestion((), "Choose the conversion events first.")
    return suggest_funnel(_events, conversion_events=conversions)


def funnel_suggestion() -> FunnelSuggestion:
    """The suggested main funnel towards the dataset's conversion events, with why (cached)."""
    dataset = ud.active_dataset()
    return _funnel_suggestion(dataset.digest, conversion_events(), dataset.events)


def default_funnel() -> list[str]:
    """The steps a funnel starts from: the suggested main funnel, else the first two events."""
    steps = list(funnel_suggestion().steps)
    return steps if len(steps) >= 2 else ud.event_names()[:2]


def overrides_conversions(value: Any) -> str | None:
    """A sentence when a page's conversion events differ from the dataset's (None when they are the same)."""
    if value is None or tuple(value) == conversion_events():
        return None
    shown = ", ".join(conversion_events()) or "none"
    return (f"This page overrides the dataset's conversion events ({shown}, set on the Data page). "
            "Other pages and the snapshot keep the Data page's choice.")


def _quoted(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"“{escape_markdown(n)}”" for n in names) or "none"


def _changed(key: str) -> None:
    set_conversion_events(tuple(st.session_state.get(key) or ()))


def conversion_section() -> None:
    """Ask which events count as conversions (suggestion marked and explained) and show the proposed funnel."""
    names = ud.event_names()
    if not names:
        return
    suggestion = conversion_suggestion()
    chosen = conversion_chosen()
    key = f"{_WIDGET}.{ud.active_dataset().digest[:16]}"  # one widget per dataset: it starts at its definition
    with st.container(border=True, key="data.conversion_section"):
        st.subheader("What counts as a conversion?")
        st.caption("One definition of success for this dataset: Journeys, Funnels, Attribution, Personas, the "
                   "snapshot and the recipes all use it (a page that overrides it says so).")
        st.multiselect("Conversion events", names, default=list(conversion_events()), key=key,
                       on_change=_changed, args=(key,),
                       help="Each of these events closes a journey and counts as a conversion.")
        if not chosen:
            st.markdown(f":violet-badge[:material/lightbulb: Suggestion] {escape_markdown(suggestion.reason)}")
            st.button("Use these conversion events", key="data.confirm_conversions", type="primary",
                      on_click=_changed, args=(key,), icon=":material/check:",
                      help="Confirms the choice above for every page (changing it above confirms it too).")
        else:
            st.caption(f"Chosen: {_quoted(conversion_events())}. Suggested: {_quoted(suggestion.events)}.")
        funnel = funnel_suggestion()
        if len(funnel.steps) >= 2:
            st.markdown(f":violet-badge[:material/lightbulb: Suggested main funnel] "
                        f"{' → '.join(_quoted([step]) for step in funnel.steps)}")
            st.caption(f"{escape_markdown(funnel.reason)} The Funnels page starts from it; change the steps there.")
        else:
            st.caption(escape_markdown(funnel.reason))


def show_override(value: Any) -> None:
    """Under a page's conversion events: say so when they override the dataset's (nothing when they match)."""
    note = overrides_conversions(value)
    if note is not None:
        st.caption(f":material/info: {escape_markdown(note)}")
