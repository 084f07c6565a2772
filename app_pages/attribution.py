"""Attribution: which channels get credit for conversions, under every model, with bootstrap intervals."""

from __future__ import annotations

import streamlit as st

from analysis.attribution import DEFINITIONS, LABELS, MODELS, outrank_matrix, wide_table
from analysis.figures.attribution import Metric, attribution_figure
from ui import attribution as ua
from ui import share
from ui.conversions import show_override
from ui.data import event_names
from ui.downloads import table_downloads

st.title("Attribution")
st.caption(
    "Credit for each conversion, split over the channels of the journey that led to it. Every model answers a "
    "different question, so they are shown side by side; whiskers show how much the credit would move with "
    "another sample of the same customers (bootstrap)."
)

names = event_names()
ua.init_state(names)
share.restore_page(ua.SHARE_KEYS, choices=ua.share_choices(names), valid=ua.SHARE_VALID)

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.multiselect(
        "Conversion events",
        names,
        key=ua.CONVERSION_EVENTS,
        help="Each of these events closes a journey; the next journey starts after it.",
    )
    c2.slider(
        "Lookback (days)",
        1,
        90,
        key=ua.LOOKBACK_DAYS,
        help="Touches older than this before the conversion are not credited.",
    )
    c3.selectbox(
        "Touch",
        list(ua.TOUCH_LABELS),
        format_func=ua.TOUCH_LABELS.__getitem__,
        key=ua.TOUCH,
        help="A touch is a session, labelled by its first event's channel (or source, medium …).",
    )
    c4, c5, c6, c7 = st.columns([3, 1, 1, 1.4])
    c4.multiselect("Models", list(MODELS), format_func=LABELS.__getitem__, key=ua.MODELS)
    c5.selectbox(
        "Markov order", [1, 2, 3, 4], key=ua.ORDER, help="Higher orders remember more of the path; they need more data."
    )
    c6.number_input("Bootstrap draws", min_value=20, max_value=1000, step=20, key=ua.N_BOOT)
    c7.checkbox("Collapse repeats", key=ua.COLLAPSE, help="Merge consecutive touches of the same channel.")
    personas = ua.persona_choices()
    st.selectbox("Persona", personas, key=ua.PERSONA, disabled=len(personas) == 1,
                 help="Attribute only the journeys of one persona (export personas on the Personas page first).")

show_override(st.session_state[ua.CONVERSION_EVENTS])  # says so when this page overrides the Data page's choice

settings = ua.Settings(
    conversion_events=tuple(st.session_state[ua.CONVERSION_EVENTS]),
    lookback_days=int(st.session_state[ua.LOOKBACK_DAYS]),
    touch=st.session_state[ua.TOUCH],
    collapse_repeats=bool(st.session_state[ua.COLLAPSE]),
    models=tuple(m for m in MODELS if m in st.session_state[ua.MODELS]),
    order=int(st.session_state[ua.ORDER]),
    n_boot=int(st.session_state[ua.N_BOOT]),
    persona=None if st.session_state[ua.PERSONA] == ua.ALL_PERSONAS else st.session_state[ua.PERSONA],
)
share.publish_page(ua.SHARE_KEYS)
share.recipe_button("attribution", ua.SHARE_KEYS, extra=ua.recipe_extras())

if not settings.conversion_events or not settings.models:
    st.info("Pick at least one conversion event and one model.")
    st.stop()

paths = ua.paths(settings)
conversions = int(paths["conversions"].sum())
journeys = conversions + int(paths["nulls"].sum())
st.caption(
    f"{conversions:,} conversions and {journeys - conversions:,} non-converting journeys "
    f"over {paths.height:,} distinct paths."
)
if conversions == 0:
    st.info("No conversions in the chosen data and settings: nothing to attribute.")
    st.stop()

result = ua.comparison(settings)
metrics: list[Metric] = ["conversions", "value", "share"]
metric = st.radio(
    "Show",
    metrics,
    horizontal=True,
    key=ua.METRIC,
    format_func=lambda m: {"conversions": "Conversions", "value": "Value", "share": "Share"}[m],
)
st.plotly_chart(attribution_figure(result, metric=metric), width="stretch")

st.subheader("All models side by side")
st.caption("Channels in robust-rank order: their average rank over every model (participation aside) and draw.")
st.dataframe(wide_table(result, metric=metric), hide_index=True, width="stretch")
table_downloads("Download the table, every model with interval bounds", result.table, "attribution",
                key="attribution.table_download", parquet=True)

st.subheader("One model in detail")
detail = st.selectbox("Model", list(settings.models), format_func=LABELS.__getitem__, key=ua.DETAIL_MODEL)
st.caption(DEFINITIONS[detail])
st.dataframe(ua.model_rows(result, detail), hide_index=True, width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Where the models disagree")
    st.caption("Lowest and highest share of conversions each channel gets across the models.")
    st.dataframe(result.disagreement, hide_index=True, width="stretch")
with right:
    st.subheader("How sure is the ranking?")
    st.caption("Probability that the row channel gets more credit than the column channel, over all draws and models.")
    st.dataframe(outrank_matrix(result), hide_index=True, width="stretch")

if st.toggle("Which Markov order fits these journeys?", key=ua.ORDER_FIT):
    st.caption(
        "Journeys split 70/30 at random; each order is fitted on 70% and scored on how well it predicts the "
        "next step of the other 30% (mean log-likelihood, higher is better)."
    )
    st.dataframe(ua.order_fit(settings), hide_index=True, width="stretch")

with st.expander("How each model assigns credit"):
    for model in settings.models:
        st.markdown(f"**{LABELS[model]}**: {DEFINITIONS[model]}")
