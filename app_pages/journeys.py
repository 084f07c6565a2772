"""Journeys: the paths people take across touchpoints and channels, from first visit to conversion."""

from __future__ import annotations

import streamlit as st

from analysis.channels import RULES_VERSION, UNASSIGNED
from analysis.errors import AnalysisError
from analysis.figures.journeys import sankey_figure, step_matrix_figure
from analysis.privacy import escape_markdown
from ui import journeys as uj
from ui import share
from ui.conversions import show_override

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
    c1.radio("Level", list(uj.LEVEL_LABELS), format_func=uj.LEVEL_LABELS.__getitem__, key=uj.LEVEL,
             horizontal=True, help="Paths of event names, or of channels (one per session).")
    c2.multiselect("Conversion events", names, key=uj.CONVERSION_EVENTS,
                   help="Each of these events closes a journey; the next journey starts after it.")
    c3.slider("Lookback (days, 0 = all)", 0, 90, key=uj.LOOKBACK_DAYS,
              help="Keep only the events within this many days before each journey's end.")
    level = st.session_state[uj.LEVEL]
    anchors = [uj.ANY, *uj.nodes(level)]
    for key in (uj.START, uj.END):  # an anchor from the other level is no longer valid
        if st.session_state.get(key) not in anchors:
            st.session_state[key] = uj.ANY
    c4, c5, c6, c7 = st.columns([2, 2, 1, 1])
    c4.selectbox("Start at", anchors, key=uj.START, help="Forward paths from the first occurrence of this node.")
    c5.selectbox("End at", anchors, key=uj.END, help="Backward paths up to the first occurrence of this node.")
    c6.slider("Steps", 3, 12, key=uj.STEPS)
    c7.slider("Nodes per step", 2, 15, key=uj.TOP_N, help="The rest of each step is shown as 'Other'.")
    c8, c9, c10 = st.columns([1, 1, 2], vertical_alignment="bottom")
    c8.checkbox("Collapse repeats", key=uj.COLLAPSE, help="Merge consecutive repeats (a a b → a b).")
    c9.selectbox("Break down by", [uj.NONE, *options], key=uj.BREAKDOWN)
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
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Journeys", f"{journey_table.height:,}")
m2.metric("Converted", f"{int(journey_table['converted'].sum()):,}")
m3.metric("Paths shown", f"{path_table.height:,}", help="Journeys that contain the chosen anchors.")
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

if path_table.is_empty():
    st.info("No journey contains these anchors with the current filters. Try other anchors or fewer filters.")
    st.stop()

st.subheader("Most common paths")
st.dataframe(
    uj.variants(settings),
    hide_index=True,
    width="stretch",
    column_config={
        "label": st.column_config.TextColumn("path", width="large"),
        "share": st.column_config.ProgressColumn("share", format="percent", min_value=0.0, max_value=1.0),
        "conversion_rate": st.column_config.NumberColumn("conversion rate", format="percent"),
    },
)

if st.toggle("Show the flow diagram (Sankey)", key=uj.SHOW_SANKEY):
    st.plotly_chart(sankey_figure(uj.flows(settings)), width="stretch")
if st.toggle("Show the step matrix", key=uj.SHOW_MATRIX):
    st.caption("Share of paths with each node at each step; '(ended)' counts paths that are shorter.")
    st.plotly_chart(step_matrix_figure(uj.matrix(settings)), width="stretch")

with st.expander("Channel grouping"):
    st.caption(
        f"Channels follow GA4's default channel group (rules {RULES_VERSION}): the first matching priority wins, "
        "values compared lower-cased and trimmed. Edit the rules below and apply them to re-group this session's "
        "data. Cells: in:a|b, re:PATTERN, contains:x, starts:x, ends:x, list:search|social|shopping|video."
    )
    if unassigned.unassigned:
        st.write(f"{unassigned.unassigned:,} events ({unassigned.share:.1%}) are {UNASSIGNED}; most common causes:")
        st.dataframe(unassigned.pairs, hide_index=True)
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
