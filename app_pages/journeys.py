"""Journeys: the paths people take across touchpoints and channels, from first visit to conversion."""

from __future__ import annotations

import streamlit as st

from analysis.errors import AnalysisError
from analysis.figures.journeys import sankey_figure, step_matrix_figure
from analysis.formatting import format_count, format_percent
from analysis.prepare.channels import RULES_VERSION, UNASSIGNED
from analysis.privacy import escape_markdown
from ui import journeys as uj
from ui import share
from ui.conversions import show_override
from ui.tables import show_table

st.title("Journeys")
st.caption(
    "Each person's events, stitched across devices once they log in, cut into journeys that end at a conversion "
    "(or at the end of the data). Look at them as sequences of events or of channels, anchored where you like."
)

names = uj.event_names()
uj.init_state(names)
options = uj.filter_options()
share.restore_page(uj.share_keys(options), choices=uj.share_choices(names, options), valid=uj.SHARE_VALID)

with st.container(border=True):
    c1, c2, c3 = st.columns([1, 2, 1])
    c1.radio("Paths of", list(uj.LEVEL_LABELS), format_func=uj.LEVEL_LABELS.__getitem__, key=uj.LEVEL,
             horizontal=True, help="Paths of event names, or of the channels people came from (one per visit). "
                                   "The path *level*.")
    c2.multiselect("Conversion events", names, key=uj.CONVERSION_EVENTS,
                   help="Each of these events closes a journey; the next journey starts after it.")
    c3.slider("Days back (0 = all)", 0, 90, key=uj.LOOKBACK_DAYS,
              help="Keep only the events within this many days before each journey's end (the *lookback "
                   "window*).")
    level = st.session_state[uj.LEVEL]
    anchors = [uj.ANY, *uj.nodes(level)]
    for key in (uj.START, uj.END):  # an anchor from the other level is no longer valid
        if st.session_state.get(key) not in anchors:
            st.session_state[key] = uj.ANY
    c4, c5, c6, c7 = st.columns([2, 2, 1, 1])
    c4.selectbox("Start at", anchors, key=uj.START,
                 help="Only journeys that contain this, from its first occurrence on (a *start anchor*: forward "
                      "paths, like GA4's starting point).")
    c5.selectbox("End at", anchors, key=uj.END,
                 help="Only journeys that contain this, up to its first occurrence (an *end anchor*: backward "
                      "paths, like GA4's ending point).")
    c6.slider("Steps shown", 3, 12, key=uj.STEPS, help="How many steps of each path to show.")
    c7.slider("Names per step", 2, 15, key=uj.TOP_N,
              help="The most common names of each step get their own box; the rest are shown as 'Other'.")
    c8, c9, c10 = st.columns([1, 1, 2], vertical_alignment="bottom")
    c8.checkbox("Merge repeats in a row", key=uj.COLLAPSE,
                help="Count a a b as a b (*collapse repeats*), so a page reloaded three times is one step.")
    c9.selectbox("Break down by", [uj.NONE, *options], key=uj.BREAKDOWN,
                 help="One list of paths per value of this column.")
    with c10.expander("Filters (keep only events with these values)"):
        for column, values in options.items():
            st.multiselect(escape_markdown(column), values, key=f"{uj.FILTER_PREFIX}{column}")

show_override(st.session_state[uj.CONVERSION_EVENTS])  # says so when this page overrides the Data page's choice
share.publish_page(uj.share_keys(options))

settings = uj.Settings(
    level=level,
    conversion_events=tuple(st.session_state[uj.CONVERSION_EVENTS]),
    lookback_days=int(st.session_state[uj.LOOKBACK_DAYS]),
    start=None if st.session_state[uj.START] == uj.ANY else st.session_state[uj.START],
    end=None if st.session_state[uj.END] == uj.ANY else st.session_state[uj.END],
    steps=int(st.session_state[uj.STEPS]),
    collapse_repeats=bool(st.session_state[uj.COLLAPSE]),
    top_n=int(st.session_state[uj.TOP_N]),
    breakdown=None if st.session_state[uj.BREAKDOWN] == uj.NONE else st.session_state[uj.BREAKDOWN],
    filters=tuple(
        (column, tuple(st.session_state.get(f"{uj.FILTER_PREFIX}{column}", [])))
        for column in options
        if st.session_state.get(f"{uj.FILTER_PREFIX}{column}")
    ),
)

try:
    journey_table = uj.journey_table(settings)
    path_table = uj.path_table(settings)
except AnalysisError as exc:
    st.error(str(exc))
    st.stop()

stitch = uj.stitching()
unassigned = uj.unassigned()
counts = uj.path_counts(settings)
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Journeys", format_count(journey_table.height))
m2.metric("Converted", format_count(int(journey_table["converted"].sum())))
m3.metric("Different paths", format_count(counts.distinct), help=uj.distinct_help(settings, counts))
m4.metric("Anonymous events linked", f"{stitch.stitch_rate:.0%}",
          help=f"{stitch.stitched_events:,} of {stitch.anonymous_events:,} anonymous events belong to a person "
               f"who logged in on that device later or earlier; {stitch.conflict_devices:,} devices were used "
               "by several user ids (events go to the user id active at the time).")
m5.metric(f"{UNASSIGNED} traffic", f"{unassigned.share:.1%}",
          help="Share of events no channel rule matched; see 'Channel grouping' below.")
if stitch.anonymous_events:
    st.caption(f"Identity stitching: {stitch.stitch_rate:.0%} of anonymous events ({stitch.stitched_events:,} of "
               f"{stitch.anonymous_events:,}) were linked to a person who logged in on the same device; "
               f"{stitch.identified_devices:,} of {stitch.devices:,} devices with anonymous events were identified.")

if settings.start or settings.end:
    st.caption(f"{format_count(counts.anchored)} of {format_count(journey_table.height)} journeys "
               f"({format_percent(counts.anchored / journey_table.height if journey_table.height else None)}) "
               "contain the chosen start or end; the paths below are theirs.")

if path_table.is_empty():
    st.info("No journey contains these anchors with the current filters. Try other anchors or fewer filters.")
    st.stop()

st.subheader("Most common paths")
show_table(uj.variants(settings), uj.variant_columns(settings))

if st.toggle("Show the flow from step to step (Sankey diagram)", key=uj.SHOW_SANKEY):
    st.caption("Each column is a step of the paths; each box is labelled with its name and how many journeys pass "
               "through it. After a journey's last step it goes to ✓ converted or ✗ no conversion. Boxes too thin "
               "for a label show it when you hover over them.")
    st.plotly_chart(sankey_figure(uj.flows(settings)), width="stretch")
if st.toggle("Show what comes at each step (step matrix)", key=uj.SHOW_MATRIX):
    st.caption("Share of paths with each name at each step; '(ended)' counts paths that are shorter.")
    st.plotly_chart(step_matrix_figure(uj.matrix(settings)), width="stretch")

with st.expander("Channel grouping"):
    st.caption(
        f"Channels follow GA4's default channel group (rules {RULES_VERSION}): the first matching priority wins, "
        "values compared lower-cased and trimmed. Edit the rules below and apply them to re-group this session's "
        "data. Cells: in:a|b, re:PATTERN, contains:x, starts:x, ends:x, list:search|social|shopping|video."
    )
    if unassigned.unassigned:
        st.write(f"{format_count(unassigned.unassigned)} events ({format_percent(unassigned.share)}) are "
                 f"{UNASSIGNED}; most common causes:")
        show_table(unassigned.pairs, uj.UNASSIGNED_COLUMNS)
    else:
        st.write(f"Every event has a channel; nothing is {UNASSIGNED}.")
    current = uj.rules()
    edited = st.data_editor(uj.shipped_rules() if current is None else current, num_rows="dynamic",
                            hide_index=True, key=uj.RULES_EDITOR, width="stretch")
    rederive = st.checkbox(
        "Replace the data's own channel column with these rules",
        value=uj.rederiving(),
        help="Data that already carries a channel keeps it unless this is ticked.",
    )
    b1, b2 = st.columns(2)
    b1.button("Apply rules", type="primary", on_click=uj.apply_rules_clicked, args=(edited, rederive))
    b2.button("Reset to GA4 defaults", on_click=uj.reset_rules_clicked)
    if (error := uj.rules_error()) is not None:
        st.error(f"The rules were not applied: {error}")
