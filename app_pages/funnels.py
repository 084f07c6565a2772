"""Funnels: how many people get through each step, where they drop, what they did instead, and why."""

from __future__ import annotations

import streamlit as st

from analysis.errors import AnalysisError, EmptyResultError
from analysis.figures.funnels import (
    destinations_figure,
    drivers_figure,
    funnel_figure,
    funnel_trend_figure,
    time_to_convert_figure,
)
from analysis.formatting import error_sentence, format_count, format_percent
from analysis.funnels import data_end, funnel_table, funnel_totals, funnel_trend, time_to_convert
from analysis.funnels.dropoff import step_cohort
from analysis.vocabulary import ANCHORS, COUNTINGS, ENTRIES, EVERIES, FUNNEL_ATTRIBUTIONS, FUNNEL_MODES, WHOS
from ui import data as ud
from ui import funnels as uf
from ui import share
from ui import view as uv
from ui.downloads import table_downloads
from ui.tables import show_table

st.title("Funnels")
st.caption(
    "How many people get through each step, how long it takes, where they drop out, what they did instead and "
    "which traits go with dropping. Every number's definition is listed next to it."
)

names = ud.event_names()
uf.init_state(names)
share.restore_page(uf.SHARE_KEYS, choices=uf.share_choices(names), valid=uf.SHARE_VALID)

with st.container(border=True):
    st.multiselect("Steps, in order", names, key=uf.STEPS,
                   help="Pick events in funnel order. A person enters at the first step.")
    chosen = list(st.session_state[uf.STEPS])
    middle = [f"{i + 1}. {e}" for i, e in enumerate(chosen)][1:-1]
    st.session_state[uf.OPTIONAL] = [o for o in st.session_state[uf.OPTIONAL] if o in middle]
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox("Steps happen", FUNNEL_MODES, format_func=uf.MODE_LABELS.__getitem__, key=uf.MODE,
                 help=uf.MODE_HELP)
    c2.number_input("Conversion window (days)", min_value=1, max_value=366, key=uf.WINDOW_DAYS,
                    help="How long people have to finish: every step must happen within this many days of their "
                         "step 1 (the *conversion window*).")
    c3.selectbox("Count", COUNTINGS, format_func=uf.COUNTING_LABELS.__getitem__, key=uf.COUNTING,
                 help=uf.COUNTING_HELP)
    c4.selectbox("When someone starts again", ANCHORS, format_func=uf.ANCHOR_LABELS.__getitem__,
                 key=uf.ANCHOR, help=uf.ANCHOR_HELP)
    c5, c6, c7 = st.columns([1, 2, 2])
    c5.radio("People join", ENTRIES, format_func=uf.ENTRY_LABELS.__getitem__, key=uf.ENTRY,
             horizontal=True, help=uf.ENTRY_HELP)
    c6.multiselect("Steps people may skip", middle, key=uf.OPTIONAL,
                   help="A skipped middle step does not stop anyone (an *optional step*).")
    c7.multiselect("Leave out people who do", names, key=uf.EXCLUDE,
                   help="Any of these events between the first and the last step disqualifies the attempt "
                        "(an *exclusion step*).")
    c8, c9, c10 = st.columns(3)
    c8.selectbox("Break down by", [uf.NO_BREAKDOWN, *uf.breakdown_columns()], key=uf.BREAKDOWN,
                 help="One funnel per value of this column, side by side (a *breakdown*).")
    c9.selectbox("Count each person under their value", FUNNEL_ATTRIBUTIONS,
                 format_func=uf.ATTRIBUTION_LABELS.__getitem__, key=uf.ATTRIBUTION, help=uf.ATTRIBUTION_HELP)
    c10.number_input("Values shown", min_value=1, max_value=30, key=uf.TOP_N,
                     help="The biggest values of the breakdown get their own funnel; the rest are summed as "
                          "'Other'.")

share.publish_page(uf.SHARE_KEYS)
share.recipe_button("funnels", uf.SHARE_KEYS, extra=uf.recipe_extras())

if len(chosen) < 2:
    st.info("Pick at least two steps.")
    st.stop()

try:
    spec = uf.current_spec()
except AnalysisError as err:
    st.error(str(err))
    st.stop()

try:  # a step that never occurs, or nobody entering, is said in a sentence, never shown as a table of zeros
    units = uf.units(spec)
    table = funnel_table(units, spec)
except EmptyResultError as err:
    st.warning(f"**Nothing to count.** {error_sentence(err)}", icon=":material/search_off:")
    st.markdown(uf.definition_markdown(spec))
    st.stop()

entered_total, converted_total = funnel_totals(table, spec)
noun = uf.NOUNS[spec.counting]
m1, m2, m3 = st.columns(3)
m1.metric(f"Entered ({noun})", format_count(entered_total))
m2.metric("Reached the last step", format_count(converted_total))
m3.metric("Overall conversion", format_percent(converted_total / entered_total) if entered_total else "–",
          help="Reached the last step, as a share of those who entered (overall conversion rate)."
          if entered_total else "Nobody entered, so there is no rate.")

left, right = st.columns([3, 2])
left.plotly_chart(funnel_figure(table, title=f"{noun.capitalize()} at each step", unit=noun), width="stretch")
with right:
    st.caption("How these numbers are defined", help=uf.DEFINITION_HELP)
    st.markdown(uf.definition_markdown(spec))
show_table(table, uf.step_columns(spec, noun), hide=["step"])
table_downloads("Download the table", table, "funnel", key="funnels.table_download")

st.subheader("Time to convert and conversion over time")
t1, t2 = st.columns(2)
with t1:
    steps_range = list(range(1, spec.n + 1))
    if st.session_state.get(uf.TTC_FROM) not in steps_range[:-1]:
        st.session_state[uf.TTC_FROM] = 1
    if st.session_state.get(uf.TTC_TO) not in steps_range[1:]:
        st.session_state[uf.TTC_TO] = spec.n
    f1, f2 = st.columns(2)
    f1.selectbox("From step", steps_range[:-1], key=uf.TTC_FROM, format_func=lambda k: f"{k}. {spec.labels[k - 1]}")
    f2.selectbox("To step", steps_range[1:], key=uf.TTC_TO, format_func=lambda k: f"{k}. {spec.labels[k - 1]}")
    lo, hi = int(st.session_state[uf.TTC_FROM]), int(st.session_state[uf.TTC_TO])
    if lo >= hi:
        st.info("Pick a later 'to' step than 'from' step.")
    else:
        try:
            hist = time_to_convert(units, spec, from_step=lo, to_step=hi)
        except EmptyResultError as err:
            st.info(error_sentence(err))
        else:
            st.plotly_chart(time_to_convert_figure(hist, title=f"Time from step {lo} to step {hi}", unit=noun),
                            width="stretch")
with t2:
    st.radio("Entry period", EVERIES, key=uf.TREND_EVERY, horizontal=True, format_func=uf.EVERY_LABELS.__getitem__)
    trend = funnel_trend(units, spec, every=st.session_state[uf.TREND_EVERY], as_of=data_end(uf.events()))
    st.plotly_chart(funnel_trend_figure(trend, title="Reached the last step, by entry period"), width="stretch")

st.subheader("Drop-offs")
drop_options = [k for k in range(1, spec.n) if k - 1 in spec.mandatory]
if st.session_state.get(uf.DROP_STEP) not in drop_options:
    st.session_state[uf.DROP_STEP] = drop_options[0]
st.selectbox(f"{noun.capitalize()} who dropped after", drop_options, key=uf.DROP_STEP,
             format_func=lambda k: f"{k}. {spec.labels[k - 1]}")
step = int(st.session_state[uf.DROP_STEP])
events = uf.events()
st.segmented_control("Where did they go", list(uf.DROP_VIEWS), key=uf.DROP_VIEW, required=True,
                     format_func=lambda v: uf.DROP_VIEWS[v][2],
                     help="One view at a time: each is worked out over every event of the people who dropped.")
column, position, title = uf.DROP_VIEWS[st.session_state[uf.DROP_VIEW]]
try:
    where_next = uf.destinations(events, units, spec, step, column=column, position=position)
except EmptyResultError as err:
    st.info(error_sentence(err))
else:
    st.plotly_chart(destinations_figure(where_next, title=title, unit=noun), width="stretch")

with st.container(border=True):
    st.radio("Who at this step", WHOS, key=uf.COHORT_WHO, horizontal=True,
             format_func=uf.COHORT_LABELS.__getitem__,
             help="The people behind the numbers (a *cohort*): download them, or use them as a filter on every "
                  "page. Their ids stay on this machine.")
    who = st.session_state[uf.COHORT_WHO]
    cohort = step_cohort(units, spec, step=step, who=who)
    st.caption(f"Cohort: {format_count(cohort.height)} {noun}.")
    table_downloads("Download the cohort", cohort, f"funnel_cohort_{who}_step{step}", key="funnels.cohort_download",
                    parquet=True)
    b2, b3 = st.columns(2)
    b2.button("Use as a filter on every page", key="funnels.use_cohort", on_click=uv.set_cohort,
              args=(cohort["user_id"], uf.cohort_label(who, step, spec, cohort.height, noun)),
              help="Every page then shows only these people, until you clear the cohort (here or in the sidebar).")
    if uv.cohort_ids() is not None:
        b3.button("Clear the cohort filter", key="funnels.clear_cohort", on_click=uv.clear_cohort)
        st.text(f"Active cohort filter: {uv.cohort_label()}")

st.toggle("Find drop-off drivers (slower)", key=uf.SHOW_DRIVERS,
          help="Compares people who dropped after this step with those who went on, trait by trait.")
if st.session_state[uf.SHOW_DRIVERS]:
    candidates = [c for c in uf.breakdown_columns() if c in events.columns]
    st.session_state.setdefault(uf.DRIVER_COLUMNS, [c for c in ("channel", "device", "persona")
                                                    if c in candidates])
    st.multiselect("Traits from these columns (besides prior events, slow steps and loops)", candidates,
                   key=uf.DRIVER_COLUMNS)
    try:
        found = uf.drivers(spec, step, tuple(st.session_state[uf.DRIVER_COLUMNS]))
    except EmptyResultError as err:
        st.info(error_sentence(err))
    else:
        st.caption(
            "How many times as likely people with each trait were to drop, with the range we are 95% sure of "
            "(relative risk with a 95% confidence interval). Filled dots are clear differences after allowing for "
            "the many traits tested (Benjamini-Hochberg false-discovery rate); grey dots are groups under 30, "
            "hints only. These go together with dropping; they do not prove it is caused by them."
        )
        st.plotly_chart(drivers_figure(found), width="stretch")
        for sentence in found.filter("significant")["sentence"].head(5):
            st.text(sentence)
        show_table(found.drop("sentence"), uf.DRIVER_TABLE)
