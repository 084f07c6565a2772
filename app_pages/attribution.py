"""Attribution: which channels get credit for conversions, a few models side by side, with intervals and checks."""

from __future__ import annotations

import streamlit as st

from analysis.attribution import DEFINITIONS, LABELS, MODELS, NO_TOUCH, credit_flags, outrank_matrix
from analysis.attribution import tables as at
from analysis.errors import NoConversionsError
from analysis.figures.attribution import attribution_figure, segment_attribution_figure
from analysis.vocabulary import MARKOV_ORDERS, METRICS, TOUCHES, Metric
from ui import attribution as ua
from ui import share
from ui.conversions import show_override
from ui.data import event_names
from ui.downloads import table_downloads

st.title("Attribution")
st.caption(
    "Which channels get the credit for your conversions. Each model answers a different question, so a few are "
    "shown side by side (add more below); the range after each number is where it would land with another sample "
    "of the same customers (90% bootstrap interval)."
)

names = event_names()
ua.init_state(names)
share.restore_page(ua.SHARE_KEYS, choices=ua.share_choices(names), valid=ua.SHARE_VALID)

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.multiselect(
        "What counts as a conversion",
        names,
        key=ua.CONVERSION_EVENTS,
        help="Each of these events closes a journey; the next journey starts after it.",
    )
    c2.slider(
        "Look back (days)",
        1,
        90,
        key=ua.LOOKBACK_DAYS,
        help="Visits longer ago than this before the conversion get no credit (the lookback window).",
    )
    c3.selectbox(
        "Credit goes to",
        TOUCHES,
        format_func=ua.TOUCH_LABELS.__getitem__,
        key=ua.TOUCH,
        help="A touch is a visit (session), labelled by its first event's channel (or source, medium …).",
    )
    c4, c5, c6, c7, c8 = st.columns([2.6, 1, 1, 1.6, 0.9])
    c4.multiselect("Models to compare", list(MODELS), format_func=LABELS.__getitem__, key=ua.MODELS,
                   help="The page starts with four models that answer different questions; add any of the others.")
    c5.selectbox(
        "Markov memory (steps)", MARKOV_ORDERS, key=ua.ORDER,
        help="Markov order: how many previous visits the chain remembers. Higher orders need more data.")
    c6.number_input("Resamples for the ranges", min_value=20, max_value=1000, step=20, key=ua.N_BOOT,
                    help="Bootstrap draws: more give steadier intervals and take longer.")
    c7.checkbox("Merge repeated visits", key=ua.COLLAPSE,
                help="Collapse repeats: consecutive visits through the same channel count once.")
    c8.selectbox("Currency", list(ua.CURRENCIES), key=ua.CURRENCY,
                 format_func=lambda c: "no symbol" if c == "none" else c,
                 help="The currency revenue is recorded in (read from a 'currency' column when the data has one).")
    p1, p2 = st.columns(2)
    personas = ua.persona_choices()
    p1.selectbox("Persona", personas, key=ua.PERSONA, disabled=len(personas) == 1,
                 help="Attribute only the journeys of one persona (export personas on the Personas page first).")
    splits = ua.segment_choices()
    p2.selectbox("Compare segments of people by", splits, key=ua.SEGMENT_BY, disabled=len(splits) == 1,
                 help="Run the models on the journeys of each value of a people attribute (a CRM segment, "
                      "lifecycle stage, region …), side by side. Join a people file on the Data page first."
                 if len(splits) == 1 else "Run the models on the journeys of each value of this people "
                      "attribute, side by side. Each person counts in one segment.")

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
symbol = ua.CURRENCIES[st.session_state[ua.CURRENCY]]
share.publish_page(ua.SHARE_KEYS)
share.recipe_button("attribution", ua.SHARE_KEYS, extra=ua.recipe_extras())

if not settings.conversion_events or not settings.models:
    st.info("Pick at least one conversion event and one model.")
    st.stop()

try:
    paths = ua.paths(settings)
except NoConversionsError as exc:
    where = "the chosen dates" + (f" and persona {settings.persona!r}" if settings.persona else "")
    st.error(f"**Nothing to attribute in {where}.** {exc}. Pick other conversion events above, or widen the dates "
             "in the sidebar.")
    st.stop()
conversions, nulls = ua.path_counts(paths)
untouched = ua.untouched_conversions(paths)
st.caption(
    f"{conversions:,} conversions and {nulls:,} journeys without one, over {paths.height:,} distinct paths."
    + (f" {untouched:,} conversions had no visit in the lookback (store or CRM orders of people who did not "
       f"visit before): no channel gets credit for them, they show as '{NO_TOUCH}'." if untouched else "")
)
if conversions == 0:
    st.error("**Nothing to attribute.** No journey in the chosen dates, persona and lookback ends in a conversion.")
    st.stop()

result = ua.comparison(settings)
flags = credit_flags(result)
metric: Metric = st.radio("Show", METRICS, horizontal=True, key=ua.METRIC, format_func=ua.METRIC_LABELS.__getitem__)
st.plotly_chart(attribution_figure(result, metric=metric, currency=symbol), width="stretch")

st.subheader("The models side by side")
st.caption("Channels ordered by their average rank over every model and resample. ⚠ marks a number to read with "
           "care; the Checks column and the notes below say why.")
st.dataframe(at.readable_table(result, flags, metric=metric, symbol=symbol), hide_index=True, width="stretch")
if not flags.is_empty():
    with st.expander(f"Read these numbers with care ({flags.height} notes)", expanded=at.has_serious(flags)):
        for note in at.flag_notes(flags):
            st.markdown(f"- {note}")
shapleys = [m for m in ("shapley", "shapley_counterfactual") if m in settings.models]
if shapleys:
    st.info(ua.SHAPLEY_NOTE[tuple(shapleys)])
table_downloads("Download the table, every model with interval bounds", result.table, "attribution",
                key="attribution.table_download", parquet=True)

if st.session_state[ua.SEGMENT_BY] != ua.NO_SEGMENT:
    by = st.session_state[ua.SEGMENT_BY]
    st.subheader(f"By {by}")
    by_segment = ua.segments(settings, by)
    st.caption(f"The same models on the journeys of each {by} value: each bar is a channel's share of that "
               "segment's own conversions, so segments of different sizes compare. Segments beyond the 10 with "
               "most people are summed as 'Other'; '(none)' holds people without a value.")
    segment_model = st.selectbox("Model", list(settings.models), format_func=LABELS.__getitem__,
                                 key=ua.SEGMENT_MODEL)
    if by_segment.table.is_empty():
        st.warning(f"No {by} segment has a conversion in the chosen dates and lookback.")
    else:
        st.plotly_chart(segment_attribution_figure(by_segment, model=segment_model), width="stretch")
    st.dataframe(at.segment_table(by_segment), hide_index=True, width="stretch")
    st.caption("Orders from a shop or CRM file are not visits: they credit the person's visits in the lookback, "
               f"or, without one, no channel ('{NO_TOUCH}').")
    table_downloads(f"Download the credit by {by}", by_segment.table, f"attribution_by_{by}",
                    key="attribution.segment_download", parquet=True)

st.subheader("One model in detail")
detail = st.selectbox("Model", list(settings.models), format_func=LABELS.__getitem__, key=ua.DETAIL_MODEL)
st.caption(DEFINITIONS[detail])
st.dataframe(at.detail_table(result, detail, symbol=symbol), hide_index=True, width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Where the models disagree")
    st.caption("Lowest and highest share of conversions each channel gets across the models.")
    st.dataframe(at.disagreement_table(result), hide_index=True, width="stretch")
with right:
    st.subheader("How sure is the ranking?")
    st.caption("Chance that the row channel gets more credit than the column channel, over every resample and "
               "model (outrank probability).")
    ranking = outrank_matrix(result)
    if ranking.width < 3:  # the channel column and at least two channels to compare
        st.info("Only one channel gets credit here, so there is no ranking to be sure about.")
    else:
        st.dataframe(at.percent_matrix(ranking), hide_index=True, width="stretch")

if st.toggle("Which Markov memory fits these journeys?", key=ua.ORDER_FIT,
             help="Compares Markov orders 1 to 4 on held-out journeys."):
    st.caption(
        "Journeys split 70/30 at random; each order is fitted on 70% and scored on how well it predicts the "
        "next step of the other 30% (mean log-likelihood, higher is better)."
    )
    st.dataframe(ua.order_fit(settings), hide_index=True, width="stretch")

with st.expander("How each model assigns credit"):
    for model in settings.models:
        st.markdown(f"**{LABELS[model]}**: {DEFINITIONS[model]}")
