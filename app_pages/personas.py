"""Personas: behavioural groups found in the data, described in a marketer's words, with an honest stability score."""

from __future__ import annotations

import streamlit as st

from analysis.figures.personas import Projection, persona_map_figure, persona_profile_figure, persona_stability_figure
from analysis.personas import persona_column, top_drivers
from ui import personas as up
from ui import share
from ui.conversions import show_override
from ui.data import event_names
from ui.downloads import table_downloads

st.title("Personas")
st.caption(
    "Groups of customers who behave alike: what they do, where they come from, how often they convert. Each persona "
    "is re-found on resampled data to test whether it is real; personas that do not hold up are marked tentative."
)

names = event_names()
up.init_state(names)
share.restore_page(up.SHARE_KEYS, choices=up.share_choices(names), valid=up.SHARE_VALID)

with st.form(up.FORM, border=True):
    c1, c2, c3, c4 = st.columns(4)
    c1.radio("Number of personas", ["auto", "fixed"], key=up.K_MODE, horizontal=True,
             format_func={"auto": "Choose by silhouette", "fixed": "Fixed"}.__getitem__)
    c2.number_input("Personas (when fixed)", min_value=2, max_value=12, key=up.K)
    c3.number_input("Largest number to try (auto)", min_value=3, max_value=12, key=up.K_MAX)
    c4.selectbox("Algorithm", list(up.ALGORITHMS), format_func=up.ALGORITHMS.__getitem__, key=up.ALGORITHM,
                 help="k-means finds compact groups; a Gaussian mixture allows groups of different spread.")
    c5, c6, c7 = st.columns([2, 1, 1])
    c5.multiselect("Describe users by", list(up.GROUP_LABELS), format_func=up.GROUP_LABELS.__getitem__,
                   key=up.GROUPS)
    c6.multiselect("Extra columns", up.extra_columns(), key=up.COLUMNS,
                   help="Other columns of your data (e.g. country) to describe users by.")
    c7.multiselect("Conversion events", names, key=up.CONVERSION,
                   help="Reported per persona; left out of the grouping so conversion is a finding, not a rule.")
    c8, c9, c10 = st.columns(3)
    c8.selectbox("Event weighting", list(up.WEIGHTINGS), format_func=up.WEIGHTINGS.__getitem__, key=up.WEIGHTING)
    c9.selectbox("Reduce dimensions first", ["none", "pca"], key=up.REDUCTION,
                 format_func={"none": "No", "pca": "PCA (10 components)"}.__getitem__)
    c10.slider("Stability re-fits", 0, 30, key=up.STABILITY_RUNS, help="0 skips the stability check.")
    submitted = st.form_submit_button("Find personas", type="primary")

show_override(st.session_state[up.CONVERSION])  # says so when this page overrides the Data page's choice
share.publish_page(up.SHARE_KEYS)
share.recipe_button("personas", up.SHARE_KEYS, extra=up.recipe_extras())

if submitted:
    if not st.session_state[up.GROUPS] and not st.session_state[up.COLUMNS]:
        st.warning("Pick at least one way to describe users.")
        st.stop()
    up.start_run(up.settings_from_state())

run = up.current_run()
if run is None:
    st.info("Choose the settings and press **Find personas**. On large data this takes a little while.")
    st.stop()

model = up.fitted(run)
stability = model.stability_
m1, m2, m3, m4 = st.columns(4)
m1.metric("Personas", model.k_, help="Chosen by silhouette" if run.settings.k is None else "Fixed")
m2.metric("Silhouette", f"{model.silhouette_:.2f}", help="Separation of the groups, -1 to 1; above 0.25 is real.")
if stability is not None:
    m3.metric("Agreement across re-fits (ARI)", f"{stability.ari_mean:.2f}",
              help="Adjusted Rand index between the personas and each re-fit; 1 is identical.")
    m4.metric("Tentative personas", len(model.tentative_),
              help=f"Jaccard stability below {stability.bar:g}: not a group you can rely on yet.")

st.subheader("Profiles")
st.dataframe(up.profile_table(model), hide_index=True, width="stretch")

with st.expander("Rename personas"):
    generated = up.generated_names(run)
    with st.form(f"personas.rename.{run.token}", border=False):
        for pid in sorted(generated):
            st.text_input(f"Persona {pid + 1}", value=model.names_[pid], placeholder=generated[pid],
                          key=up.name_key(run, pid))
        st.form_submit_button("Save names", on_click=up.save_names, args=(run, sorted(generated)))

st.subheader("What sets each persona apart")
st.plotly_chart(persona_profile_figure(model), width="stretch")
with st.expander("All over- and under-indexed behaviours"):
    st.dataframe(top_drivers(model.drivers_, n=5), hide_index=True, width="stretch")

if stability is not None:
    st.subheader("How stable are they?")
    st.caption(
        f"Each of {stability.runs} re-fits uses a bootstrap sample of {stability.sample_size:,} users and a new "
        f"seed. A persona's stability is its best Jaccard overlap with a re-found group (Hennig's clusterboot); "
        f"below {stability.bar:g} it is labelled tentative. On average {stability.flip_share:.1%} of users "
        "change persona between re-fits."
    )
    st.plotly_chart(persona_stability_figure(model), width="stretch")

st.subheader("Map of users")
if st.toggle("Show the map (a sample of users in two dimensions)", key=up.SHOW_MAP):
    projections: list[Projection] = ["pca", "tsne"]
    projection = st.radio("Projection", projections, horizontal=True, key=up.MAP_PROJECTION,
                          format_func={"pca": "PCA", "tsne": "t-SNE (slower)"}.__getitem__)
    st.plotly_chart(persona_map_figure(model, projection=projection), width="stretch")

st.subheader("Persona × channel")
st.caption("% of each persona's users who arrived through the channel at least once.")
st.dataframe(up.channel_table(run, model), hide_index=True, width="stretch")

st.subheader("Persona × funnel step")
steps = st.multiselect("Steps", names, key=up.STEPS)
if steps:
    st.caption("% of each persona's users who did the step at least once. For ordered funnels with time windows, "
               "export the personas below and break the Funnels page down by them.")
    st.dataframe(up.step_table(run, model, steps), hide_index=True, width="stretch")

st.subheader("Use the personas elsewhere")
st.caption("Export the personas as a column so the Funnels and Attribution pages can break results down by it.")
st.button("Use as a breakdown on other pages", key="personas.export", on_click=up.use_as_breakdown, args=(model,),
          help="Adds a persona column to the events of every page: a breakdown on Funnels, a segment on "
               "Attribution, a filter on Journeys. Remove it in the sidebar.")
exported = up.persona_cohort()
if exported is not None:
    st.success(f"{exported.height:,} users labelled; the persona column is available on the other pages.")
table_downloads("Download user → persona", persona_column(model), "personas", key="personas.download",
                parquet=True)
