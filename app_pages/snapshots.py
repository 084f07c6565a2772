"""Snapshots: share persona findings safely (aggregates only, small groups withheld) and open received ones."""

from __future__ import annotations

import streamlit as st

from analysis.errors import AnalysisError
from analysis.export import safe_filename
from analysis.snapshot import SECTIONS
from ui import share
from ui import snapshots as us
from ui.conversions import show_override
from ui.data import event_names
from ui.tables import show_table

st.title("Snapshots")
st.caption(
    "A snapshot is one HTML file your colleagues open offline in any browser, plus its data for JourneyLens. It "
    "holds aggregates only: no ids, no raw events, and every number describes at least k people; smaller groups "
    "are withheld or merged into “Other (n groups)”."
)
with st.expander("What a snapshot protects, and what it does not"):
    st.markdown(us.THREAT_MODEL)

names = event_names()
us.init_state(names)
share.restore_page(us.SHARE_KEYS, choices={us.SECTIONS_KEY: SECTIONS, us.STEPS: names, us.CONVERSION: names,
                                           us.MODELS: us.MODEL_CHOICES},
                   valid={us.MIN_GROUP: lambda v: isinstance(v, int) and 2 <= v <= 1000,
                          us.TITLE: lambda v: isinstance(v, str) and len(v) <= 200,
                          us.USE_PERSONAS: lambda v: isinstance(v, bool),
                          us.NOISE: lambda v: isinstance(v, bool),
                          us.EPSILON: lambda v: isinstance(v, int | float) and 0.05 <= v <= 20,
                          us.VALUE_CAP: lambda v: isinstance(v, int | float) and 1 <= v <= 1_000_000})

make, receive = st.tabs(["Create a snapshot", "Open a received snapshot"])

with make:
    run = us.persona_run()
    # outside the form: switching noise on or off enables its two settings at once (in a form they would wait for
    # the build button)
    n1, n2, n3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    n1.toggle("Add random noise (differential privacy)", key=us.NOISE,
              help="Every published count and sum gets random noise from OpenDP's Laplace mechanism, so two "
                   "snapshots of overlapping data cannot be subtracted to learn about one person. Medians, "
                   "intervals and the Markov and Shapley models are left out in this mode.")
    noise_on = bool(st.session_state[us.NOISE])
    n2.number_input("Privacy budget ε (epsilon)", min_value=0.05, max_value=20.0, step=0.25, key=us.EPSILON,
                    disabled=not noise_on,
                    help="Smaller = more noise and more protection. 1 is a common choice; the snapshot states "
                         "the value it used. Used only with the noise switched on.")
    n3.number_input("Revenue cap per person", min_value=1.0, max_value=1_000_000.0, step=50.0, key=us.VALUE_CAP,
                    disabled=not noise_on,
                    help="Revenue above this per person counts as the cap in noisy sums, so one big spender cannot "
                         "dominate them. Used only with the noise switched on.")
    with st.form(us.FORM, border=True):
        c1, c2 = st.columns([3, 1])
        c1.text_input("Title", key=us.TITLE, max_chars=200)
        c2.number_input("Minimum group size (k)", min_value=2, max_value=1000, step=1, key=us.MIN_GROUP,
                        help="Every published number describes at least this many people; smaller groups are "
                             "withheld, with enough others that totals do not give them away.")
        st.multiselect("What goes in", list(SECTIONS), format_func=us.SECTION_LABELS.__getitem__,
                       key=us.SECTIONS_KEY)
        st.toggle("Use the personas from the Personas page", key=us.USE_PERSONAS, disabled=run is None,
                  help="Without them (or before you find personas) everyone is one group, “All users”.")
        c3, c4, c5 = st.columns(3)
        c3.multiselect("Funnel steps", names, key=us.STEPS)
        c4.multiselect("Conversion events", names, key=us.CONVERSION)
        c5.multiselect("Attribution models", list(us.MODEL_CHOICES), key=us.MODELS,
                       format_func=us.model_name)
        submitted = st.form_submit_button("Build snapshot", type="primary")
    st.warning(us.DIFFERENCING, icon=":material/difference:")
    show_override(st.session_state[us.CONVERSION])  # says so when this page overrides the Data page's choice
    if run is None:
        st.caption("No personas found yet on the Personas page for this data and date range: the snapshot "
                   "describes all users as one group.")

    if submitted:
        settings = us.settings_from_state()
        problems = []
        if "funnel" in settings.sections and len(settings.funnel_steps) < 2:
            problems.append("Pick at least two funnel steps, or leave the funnel out.")
        if ("attribution" in settings.sections or "funnel" in settings.sections) and not settings.conversion_events:
            problems.append("Pick at least one conversion event.")
        if "attribution" in settings.sections and not settings.models:
            problems.append("Pick at least one attribution model, or leave attribution out.")
        if problems:
            for problem in problems:
                st.warning(problem)
        else:
            us.request_build(settings)

    build = us.current_build()
    if build is None:
        st.info("Choose what goes in and press **Build snapshot** to preview exactly what the recipient will see.")
    else:
        try:
            result = us.built(build)
        except AnalysisError as exc:
            st.error(f"The snapshot could not be built: {exc}")
            st.stop()
        snap = result.snapshot
        manifest = snap.manifest.to_frame()
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Minimum group size (k)", snap.min_group_size)
        people = snap.metadata["facts"]["people"]
        m2.metric("People described", f"{int(people):,}" if people is not None else "withheld (below k)")
        m3.metric("Items withheld or merged", manifest.height)
        audit = snap.metadata["facts"].get("privacy_audit") or {}
        m4.metric("Privacy audit", "passed" if audit.get("all_protected") else "not run",
                  help="Every withheld number was bounded by linear programming over everything published; each "
                       "stays uncertain over at least k possible counts of people (money: ±50%). "
                       f"{audit.get('withheld_numbers_audited', 0)} withheld numbers checked.")
        noise = snap.metadata.get("differential_privacy")
        if noise:
            st.info(f"Noise mode: every count and sum carries random noise, ε = {noise['epsilon']} for the whole "
                    "snapshot. Small differences between numbers are not meaningful.")
        stem = safe_filename(build.settings.title, default="snapshot")
        d1, d2, d3 = st.columns(3)
        d1.download_button("Download HTML", result.html, file_name=f"{stem}.html", mime="text/html",
                           on_click="ignore", key="snapshots.download_html", type="primary",
                           icon=":material/download:")
        d2.download_button("Download HTML + data (zip)", result.zip_bytes, file_name=f"{stem}.zip",
                           mime="application/zip", on_click="ignore", key="snapshots.download_zip",
                           icon=":material/folder_zip:")
        with d3:
            share.recipe_button("snapshots", us.SHARE_KEYS, extra=us.recipe_extras(build))
        st.subheader("Preview: exactly what the recipient sees")
        st.iframe(result.html, height=us.PREVIEW_HEIGHT)
        st.subheader("What was withheld and why")
        show_table(manifest)

with receive:
    st.caption("Open a snapshot someone sent you (the zip, or its snapshot.json). It is shown read-only, rebuilt "
               "from its data: the HTML inside the file is never run.")
    upload = st.file_uploader("Snapshot file", type=["zip", "json"], key=us.UPLOAD, max_upload_size=50)
    if upload is not None:
        try:
            got = us.received(upload.getvalue())
        except AnalysisError as exc:
            st.error(f"{upload.name!r} is not a snapshot JourneyLens can open: {exc}")
        else:
            meta = got.metadata
            st.subheader("Received snapshot")
            # every field from the file is data: shown with st.text, which never interprets Markdown or HTML
            st.text(str(meta.get("title", "")))
            st.text(us.received_header(meta, got.min_group_size))
            noise = meta.get("differential_privacy")
            if isinstance(noise, dict):
                st.text(f"Noise mode: epsilon = {noise.get('epsilon', '?')}")
            for name, table in got.tables.items():
                st.markdown(f"**{us.SECTION_LABELS.get(name, name)}**")
                show_table(table)
            if st.toggle("Show the rendered view", key="snapshots.show_received"):  # heavy: only when asked
                st.iframe(got.render(), height=us.PREVIEW_HEIGHT)
            with st.expander("Definitions and parameters"):
                st.json({"definitions": meta.get("definitions", {}), "parameters": meta.get("parameters", {})},
                        expanded=False)
            show_table(got.manifest.to_frame())

share.publish_page(us.SHARE_KEYS)
