"""The sidebar shared by every page: the active dataset, the global date-range filter, the cohort and personas,
and the engine that prepares the events."""

from __future__ import annotations

from datetime import date

import streamlit as st

from analysis.vocabulary import ENGINES
from ui import share, state
from ui.data import ENGINE_LABELS, active_dataset, active_summary, data_date_bounds, missing_link, spark_unavailable
from ui.links import forget_session, use_sample
from ui.spark import address_problem, chosen_address, default_address
from ui.view import clear_cohort, clear_person_labels, cohort_ids, cohort_label, person_labels


def render_sidebar() -> None:
    """Show the active dataset and the global filters."""
    dataset = active_dataset()
    with st.sidebar:
        st.caption("Active dataset")
        st.text(dataset.name)  # st.text: data-derived names never render as Markdown
        if missing_link() is not None:
            share.publish_date_range(*data_date_bounds())  # the address bar keeps the link's dataset key
            st.caption("The link's data is not on this server: load it on the Data page.")
            _forget_button()
            return
        summary = active_summary()
        st.caption(f"{summary.events:,} events · {summary.people:,} people · digest {dataset.digest[:10]}")
        lo, hi = data_date_bounds()
        share.restore_date_range(lo, hi)  # a shared link's range, once per session, if it fits this dataset
        _date_range(dataset.digest, lo, hi)
        share.publish_date_range(lo, hi)
        if st.session_state.get(share.MISMATCH):
            st.warning("The link you opened was made for other data; its settings were not applied.",
                       icon=":material/link_off:")
        _selections()
        engine_setting()
        st.caption("The address bar holds this view (dataset, dates, page settings): a refresh reopens it, and "
                   "so does the link, on this server, for whoever you give it to.")
        _forget_button()


def _forget_button() -> None:
    st.button("Forget this data", key="sidebar.forget", on_click=forget_session, icon=":material/delete:",
              help="Deletes your uploads (and the copy kept on this server so a refresh reopens them), results and "
                   "settings now; links to them stop working. Kept uploads are also deleted after some days "
                   "without use. The app returns to the bundled sample.")


def _date_range(digest: str, lo: date, hi: date) -> None:
    """The date-range input, one per dataset: it starts at the data's first and last day and its calendar opens
    there; the chosen range is kept in ``state.DATE_RANGE`` for every page."""
    picked = st.session_state.get(state.DATE_RANGE)
    if not (isinstance(picked, tuple | list) and len(picked) == 2 and lo <= picked[0] <= picked[1] <= hi):
        picked = st.session_state[state.DATE_RANGE] = (lo, hi)
    key = f"sidebar.date_range.{digest[:16]}"
    st.date_input("Date range", value=tuple(picked), min_value=lo, max_value=hi, key=key,
                  on_change=_dates_picked, args=(key,),
                  help="Limits every page to events on these days (UTC). Funnels use it for entry only.")


def _dates_picked(key: str) -> None:
    picked = st.session_state.get(key)
    if isinstance(picked, tuple | list) and len(picked) == 2:  # a half-picked range waits for its end
        st.session_state[state.DATE_RANGE] = (picked[0], picked[1])


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


def engine_setting() -> None:
    """Where the events are prepared: this machine (Polars, the default) or Apache Spark, when it can run; under a
    Spark choice, the cluster's address (empty: $JOURNEYLENS_SPARK, else a local Spark)."""
    why_not = spark_unavailable()
    if why_not is not None and st.session_state.get(state.ENGINE) != "polars":
        st.session_state[state.ENGINE] = "polars"  # a Spark choice (or none yet) cannot stand here
    st.radio("Engine", options=ENGINES, format_func=ENGINE_LABELS.__getitem__, key=state.ENGINE,
             disabled=why_not is not None,
             help=("Prepares the events (stitching, channels, sessions). Both give the same results; Spark is for "
                   "data that outgrows this machine (on a local Spark it is slower than this machine)."
                   if why_not is None else f"Apache Spark is not available here: {why_not}"))
    if st.session_state.get(state.ENGINE) != "spark":
        return
    if active_dataset().people is not None:
        st.caption("With people files joined, the events are prepared on this machine (Polars): the identity "
                   "graph across people files does not run on Spark yet.")
    st.text_input("Spark cluster", key=state.SPARK_ADDRESS, placeholder=default_address(),
                  help="A master URL (spark://host:7077, yarn, k8s://https://host:443) or a Spark Connect address "
                       "(sc://host:15002). Empty: " + (f"{default_address()} (set by the server)"
                                                       if default_address() != "local[2]" else
                                                       "local[2], a Spark on this machine with 2 cores."))
    address = chosen_address()
    if address_problem(address) is not None:
        origin = "" if st.session_state.get(state.SPARK_ADDRESS) else " (the server's JOURNEYLENS_SPARK setting)"
        st.error(f"`{address}`{origin} is not a Spark address. Use `spark://host:7077` for a cluster, "
                 "`sc://host:15002` for Spark Connect, or `local[2]`. Until then the events are prepared on this "
                 "machine.", icon=":material/error:")


def render_missing_link(*, on_data_page: bool) -> None:
    """At the top of the page: the opened link's data is not here; offer to load it (or the sample, on request).

    On pages other than Data the page stops here: it would have nothing to show.
    """
    st.error("**The data this link was made for is not on this server.** It was forgotten with \"Forget this "
             "data\", deleted after some days without use, or the link was made on another machine. Load the same "
             "file on the Data page to continue.", icon=":material/cloud_off:")
    left, right = st.columns([1, 1], vertical_alignment="center")
    if on_data_page:
        left.markdown(":material/arrow_downward: Load it under **Load your exports** below.")
    else:
        left.page_link("app_pages/data.py", label="Load the data on the Data page", icon=":material/upload:")
    right.button("Use the bundled sample instead", key="sidebar.missing_use_sample", on_click=use_sample,
                 icon=":material/dataset:")
    if not on_data_page:
        st.stop()
