"""Which dataset a browser session holds, as links and the local library see it: a new upload made active (and
kept), a link's dataset reopened, the sample chosen again, everything forgotten.

Uploaded datasets are kept in the local library (``ui.library``) under an unguessable key that the address bar
carries (``ds``), so a refresh, a restart or the same person's link reopens them (``docs/decisions/0008``). A link
whose data is not here leaves the session without data (``ui.data.missing_link``) until the user loads it or goes
back to the sample: the app never swaps in the sample unasked.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st
from streamlit.runtime.caching import cache_data_api, cache_resource_api
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from ui import library, state
from ui.data import Dataset, default_dataset

_LINK_OPENED = "data.link_opened"


def set_active_dataset(name: str, digest: str, events: pl.DataFrame, report: Any = None,
                       people: pl.DataFrame | None = None) -> None:
    """Make ``events`` (and ``people`` records, if any) the session's dataset, keep the events in the local library
    under a new key (the address bar carries it, so a refresh reopens it) and reset what depended on the previous
    dataset."""
    key = library.save(events, name=name, digest=digest, report=report, people=people)
    st.session_state.setdefault(state.OWN_KEYS, set()).add(key)
    st.session_state[state.DATASET] = Dataset(name, digest, events, report, people=people, key=key)
    st.session_state.pop(state.LINK_MISSING, None)
    _forget_selections()


def open_linked_dataset() -> None:
    """Once per session, before anything reads the dataset: open the dataset the address bar's ``ds`` names.

    A library key opens that dataset (with its conversion events); the default dataset's own ``ds`` or none
    changes nothing; anything else is a link whose data is not here: ``ui.data.missing_link`` says so until the
    user loads data or goes back to the sample. Unused library entries past their keeping time are deleted here.
    """
    if st.session_state.get(_LINK_OPENED):
        return
    st.session_state[_LINK_OPENED] = True
    library.purge_expired()
    ds = st.query_params.get("ds")
    if ds is None or isinstance(st.session_state.get(state.DATASET), Dataset) or ds == default_dataset().link_key:
        return
    stored = library.open_dataset(ds)
    if stored is None:
        st.session_state[state.LINK_MISSING] = ds
        return
    st.session_state[state.DATASET] = Dataset(stored.name, stored.digest, stored.events, stored.report,
                                                people=stored.people, key=stored.key)
    if stored.conversion_events is not None:
        st.session_state[state.CONVERSION_EVENTS] = stored.conversion_events


def forget_session() -> None:
    """Drop everything this browser session holds: uploads, dataset (and its copy in the local library),
    settings, cohorts and cached results.

    Streamlit runs the same per-session cache clean-up when a session disconnects; this does it on request.
    """
    ctx = get_script_run_ctx()
    if ctx is not None:
        cache_data_api.clear_session_cache(ctx.session_id)
        cache_resource_api.clear_session_cache(ctx.session_id)
    dataset = st.session_state.get(state.DATASET)
    for key in {*st.session_state.get(state.OWN_KEYS, ()), *([dataset.key] if isinstance(dataset, Dataset) else [])}:
        library.forget(key)  # the kept copies too: a refresh or the link no longer reopens them
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.query_params.clear()


def use_sample() -> None:
    """Switch the session back to the bundled sample (also away from a link whose data is missing)."""
    st.session_state.pop(state.DATASET, None)
    if st.session_state.pop(state.LINK_MISSING, None) is not None:
        st.session_state[state.LINK_FOR_OTHER_DATA] = True  # the link's settings were for that data: not applied
    if "ds" in st.query_params:
        del st.query_params["ds"]
    _forget_selections()


def _forget_selections() -> None:
    """What belonged to the previous dataset: date range, cohort, persona labels, conversion events and the page
    settings that follow them or the data."""
    for key in (state.DATE_RANGE, state.COHORT_IDS, state.COHORT_LABEL, state.COHORT_DIGEST, state.PERSONA_LABELS,
                state.PERSONA_DIGEST, state.PERSONA_FIT, state.CONVERSION_EVENTS, *state.CONVERSION_FOLLOWERS,
                *state.FUNNEL_FOLLOWERS, *state.DATA_FOLLOWERS):
        st.session_state.pop(key, None)
