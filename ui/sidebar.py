"""The sidebar shared by every page: the active dataset, the global date-range filter, the cohort and personas,
and the engine that prepares the events."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import share, state
from ui.data import (
    ENGINE_LABELS,
    active_dataset,
    active_summary,
    clear_cohort,
    clear_person_labels,
    cohort_ids,
    cohort_label,
    data_date_bounds,
    forget_session,
    person_labels,
    spark_unavailable,
)


def render_sidebar() -> None:
    """Show the active dataset and the global filters."""
    dataset = active_dataset()
    with st.sidebar:
        st.caption("Active dataset")
        st.text(dataset.name)  # st.text: data-derived names never render as Markdown
        summary = active_summary()
        st.caption(f"{summary.events:,} events · {summary.people:,} people · digest {dataset.digest[:10]}")
        lo, hi = data_date_bounds()
        share.restore_date_range(lo, hi)  # a shared link's range, once per session, if it fits this dataset
        # no double default: the widget keeps its state once it has one
        default: dict[str, Any] = {} if state.DATE_RANGE in st.session_state else {"value": (lo, hi)}
        st.date_input("Date range", **default, min_value=lo, max_value=hi, key=state.DATE_RANGE,
                      help="Limits every page to events on these days (UTC). Funnels use it for entry only.")
        share.publish_date_range(lo, hi)
        if st.session_state.get(share.MISMATCH):
            st.warning("The link you opened was made for other data; its settings were not applied.",
                       icon=":material/link_off:")
        _selections()
        _engine()
        st.caption("The address bar holds this view (dataset, dates, page settings): copy it to reopen the view "
                   "on a machine with the same data.")
        st.button("Forget this data", key="sidebar.forget", on_click=forget_session, icon=":material/delete:",
                  help="Drops your uploads, results and settings from this server now (they also go when you "
                       "close the tab). The app returns to the bundled sample.")


def _selections() -> None:
    """The session-wide cohort and persona labels, each with a way to drop it."""
    ids = cohort_ids()
    if ids is not None:
        with st.container(border=True, key="sidebar.cohort"):
            st.caption(f"Cohort filter: {len(ids):,} people on every page")
            st.text(cohort_label())  # data-derived (event names): never Markdown
            st.caption("Ids stay on this machine: a copied link does not carry the cohort.")
            st.button("Clear cohort", key="sidebar.clear_cohort", on_click=clear_cohort, icon=":material/close:")
    labels = person_labels()
    if labels is not None:
        with st.container(border=True, key="sidebar.personas"):
            st.caption(f"Persona column: {labels.height:,} people labelled, {labels['persona'].n_unique():,} "
                       "personas; break Funnels and Attribution down by it")
            st.button("Remove persona column", key="sidebar.clear_personas", on_click=clear_person_labels,
                      icon=":material/close:")


def _engine() -> None:
    """Where the events are prepared: this machine (Polars, the default) or Apache Spark (local), when it can run."""
    why_not = spark_unavailable()
    if why_not is not None and st.session_state.get(state.ENGINE) != "polars":
        st.session_state[state.ENGINE] = "polars"  # a Spark choice (or none yet) cannot stand here
    st.radio("Engine", options=list(ENGINE_LABELS), format_func=ENGINE_LABELS.__getitem__, key=state.ENGINE,
             disabled=why_not is not None,
             help=("Prepares the events (stitching, channels, sessions). Both give the same results; Spark is for "
                   "data that outgrows this machine and is slower here (it starts a local Spark first)."
                   if why_not is None else f"Apache Spark is not available here: {why_not}"))
