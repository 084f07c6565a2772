"""Personas: groups of people who behave alike, only where they really differ, said in plain words."""

from __future__ import annotations

import streamlit as st

from analysis.errors import EmptyResultError
from analysis.figures.personas import persona_map_figure, persona_profile_figure, persona_stability_figure
from analysis.personas import persona_column, top_drivers
from analysis.personas.reference import REASONS
from analysis.personas.tables import profile_table
from analysis.vocabulary import ALGORITHMS, EVENT_WEIGHTINGS, FEATURE_GROUPS, PROJECTIONS, REDUCTIONS
from ui import personas as up
from ui import share
from ui.conversions import show_override
from ui.data import event_names
from ui.downloads import table_downloads
from ui.tables import show_table

st.title("Personas")
st.caption(
    "Groups of customers who behave alike: what they do, where they come from, how often they convert. Groups are "
    "only shown when people really differ: each split must beat what the same method finds in the data with every "
    "behaviour shuffled, and a persona's name says only differences that are large and clear."
)

names = event_names()
up.init_state(names)
share.restore_page(up.SHARE_KEYS, choices=up.share_choices(names), valid=up.SHARE_VALID)

with st.form(up.FORM, border=True):
    c1, c2, c3, c4 = st.columns(4)
    c1.radio("How many personas", ["auto", "fixed"], key=up.K_MODE, horizontal=True,
             format_func={"auto": "Let the data decide", "fixed": "Fixed number"}.__getitem__,
             help="Let the data decide picks the number whose groups are best separated (highest silhouette).")
    c2.number_input("Personas (when fixed)", min_value=2, max_value=12, key=up.K)
    c3.number_input("Most personas to try", min_value=3, max_value=12, key=up.K_MAX,
                    help="Never more than the data can fill with personas of the smallest size below.")
    c4.selectbox("Grouping method", ALGORITHMS, format_func=up.ALGORITHM_LABELS.__getitem__, key=up.ALGORITHM,
                 help="k-means finds compact groups; a Gaussian mixture allows groups of different spread.")
    c5, c6, c7 = st.columns([2, 1, 1])
    c5.multiselect("Describe people by", FEATURE_GROUPS, format_func=up.GROUP_LABELS.__getitem__,
                   key=up.GROUPS)
    c6.multiselect("Extra columns", up.extra_columns(), key=up.COLUMNS,
                   help="Other columns of your data (e.g. country) to describe people by.")
    c7.multiselect("What counts as a conversion", names, key=up.CONVERSION,
                   help="Reported per persona; left out of the grouping so conversion is a finding, not a rule.")
    c8, c9, c10, c11, c12 = st.columns(5)
    c8.selectbox("Event weighting", EVENT_WEIGHTINGS, format_func=up.WEIGHTING_LABELS.__getitem__, key=up.WEIGHTING,
                 help="How a person's events are counted: as their share of all their events (default), tf-idf or "
                      "raw counts.")
    c9.selectbox("Simplify first", REDUCTIONS, key=up.REDUCTION, format_func=up.REDUCTION_LABELS.__getitem__,
                 help="Principal component analysis before grouping; helps with many sparse behaviours.")
    c10.number_input("Smallest persona (% of people)", min_value=1, max_value=40, key=up.MIN_SHARE,
                     help="A persona must hold at least this share of the people.")
    c11.number_input("Smallest persona (people)", min_value=2, max_value=100_000, key=up.MIN_SIZE,
                     help="…and at least this many people.")
    c12.slider("Resamples to test them", 0, 30, key=up.STABILITY_RUNS,
               help="How often the grouping is re-run on resampled people to see whether each persona is found "
                    "again (0 skips the check).")
    submitted = st.form_submit_button("Find personas", type="primary")

show_override(st.session_state[up.CONVERSION])  # says so when this page overrides the Data page's choice
share.publish_page(up.SHARE_KEYS)
share.recipe_button("personas", up.SHARE_KEYS, extra=up.recipe_extras())

if submitted:
    if not st.session_state[up.GROUPS] and not st.session_state[up.COLUMNS]:
        st.warning("Pick at least one way to describe people.")
        st.stop()
    up.start_run(up.settings_from_state())

run = up.current_run()
if run is None:
    st.info("Choose the settings and press **Find personas**. On large data this takes a little while.")
    st.stop()

model = up.fitted(run)
verdict = model.verdict_
if not model.distinct_:
    assert verdict.reason is not None
    st.warning(f"**No distinct personas in this data** ({REASONS[verdict.reason]}): {verdict.message}.")
    st.caption("Everyone is shown as one group. Try more people (a wider date range), other ways to describe them, "
               "or a smaller minimum persona size; the check is there so that no group is shown that is not there.")
    show_table(profile_table(model, symbol=up.currency_symbol()))  # people counted with thousands separators
    st.stop()

stability = model.stability_
st.subheader("How sure are we about these personas?")
m1, m2, m3, m4 = st.columns(4)
m1.metric("Personas", model.k_, help="Chosen where the groups are best separated (highest silhouette)"
          if run.settings.k is None else "The fixed number you chose")
m2.metric("Separation", f"{model.silhouette_:.2f}",
          delta=f"{model.silhouette_ - verdict.null_mean:+.2f} vs shuffled data" if verdict.null_silhouette else None,
          delta_color="off",
          help=f"Silhouette, from -1 to 1: how much closer people are to their own group than to the next. The same "
               f"method on this data with every behaviour shuffled reaches {verdict.null_mean:.2f}; a real split must "
               f"exceed {verdict.threshold:.2f}.")
if stability is not None:
    m3.metric("Found again in resamples", f"{stability.ari_mean:.2f}",
              delta=(f"{stability.ari_mean - stability.null_ari:+.2f} vs shuffled data"
                     if stability.null_ari is not None else None), delta_color="off",
              help="Adjusted Rand index (ARI) between the personas and each re-run on resampled people: 1 is the "
                   f"same grouping. On shuffled data the same re-runs reach {stability.null_ari:.2f}, so only the "
                   "difference says the personas are real.")
    m4.metric("Tentative personas", len(model.tentative_),
              help=f"Personas re-found less than {stability.bar:.0%} of the time (Jaccard overlap, Hennig's "
                   "clusterboot), or no more often than groups found in shuffled data: not a group to rely on yet.")
else:
    m3.metric("Found again in resamples", "not checked", help="Set 'Resamples to test them' above 0 to check.")

st.subheader("Profiles")
st.caption("Each name states only differences from the rest of the people that are large (effect size at least "
           f"{model.effect_threshold:g}, Cohen's d) and clear (the interval excludes no difference, corrected for "
           "the number of comparisons). The numbers behind each are in 'What sets them apart'.")
show_table(profile_table(model, symbol=up.currency_symbol()))  # people counted with thousands separators

with st.expander("Rename personas"):
    generated = up.generated_names(run)
    with st.form(f"personas.rename.{run.token}", border=False):
        for pid in sorted(generated):
            st.text_input(f"Persona {pid + 1}", value=model.names_[pid], placeholder=generated[pid],
                          key=up.name_key(run, pid))
        st.form_submit_button("Save names", on_click=up.save_names, args=(run, sorted(generated)))

st.subheader("What sets each persona apart")
st.caption("Bars show how far each persona is from the rest on its most distinctive behaviours (effect size, "
           "Cohen's d: 0.5 is a medium difference, 0.8 a large one).")
st.plotly_chart(persona_profile_figure(model), width="stretch")
with st.expander("All over- and under-represented behaviours"):
    st.dataframe(top_drivers(model.drivers_, n=5), hide_index=True, width="stretch")

if stability is not None:
    st.subheader("Is each persona found again?")
    st.caption(
        f"The grouping was re-run {stability.runs} times on resampled people ({stability.sample_size:,} each) "
        f"with a new seed. Each bar is how well the persona is found again (Jaccard overlap with its best match, "
        f"Hennig's clusterboot); below {stability.bar:.0%}, or no better than groups found in shuffled data "
        f"({(stability.null_jaccard or 0):.0%}), it is tentative. On average {stability.flip_share:.1%} of people "
        "change persona between re-runs."
    )
    st.plotly_chart(persona_stability_figure(model), width="stretch")

st.subheader("Map of people")
if st.toggle("Show the map (a sample of people in two dimensions)", key=up.SHOW_MAP):
    projection = st.radio("Projection", PROJECTIONS, horizontal=True, key=up.MAP_PROJECTION,
                          format_func=up.PROJECTION_LABELS.__getitem__)
    st.plotly_chart(persona_map_figure(model, projection=projection), width="stretch")

st.subheader("Persona × channel")
st.caption("% of each persona's people who arrived through the channel at least once.")
st.dataframe(up.channel_table(run, model), hide_index=True, width="stretch")

st.subheader("Persona × funnel step")
steps = st.multiselect("Steps", names, key=up.STEPS)
if steps:
    st.caption("% of each persona's people who did the step at least once. For ordered funnels with time windows, "
               "export the personas below and break the Funnels page down by them.")
    try:
        st.dataframe(up.step_table(run, model, steps), hide_index=True, width="stretch")
    except EmptyResultError as exc:
        st.warning(f"{exc}.")

st.subheader("Use the personas elsewhere")
st.caption("Export the personas as a column so the Funnels and Attribution pages can break results down by it.")
st.button("Use as a breakdown on other pages", key="personas.export", on_click=up.use_as_breakdown, args=(model,),
          help="Adds a persona column to the events of every page: a breakdown on Funnels, a segment on "
               "Attribution, a filter on Journeys. Remove it in the sidebar.")
exported = up.persona_cohort()
if exported is not None:
    st.success(f"{exported.height:,} people labelled; the persona column is available on the other pages.")
table_downloads("Download person → persona", persona_column(model), "personas", key="personas.download",
                parquet=True)
