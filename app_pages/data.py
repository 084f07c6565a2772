"""Data page: the active dataset, uploading exports, the detected mapping and the load report."""

from __future__ import annotations

import streamlit as st

from analysis.export import safe_filename
from analysis.ingest import EXAMPLES, TARGETS, LoadReport
from ui import ingest
from ui import load_report as lr
from ui import people as people_ui
from ui.conversions import conversion_section
from ui.data import SAMPLE_NAME, active_dataset, active_summary
from ui.links import use_sample
from ui.tables import show_table

st.title("Data")

# ---- the dataset every page works on
dataset = active_dataset()
summary = active_summary()
st.subheader("Active dataset")
st.text(dataset.name)  # st.text: a file name never renders as Markdown
c1, c2, c3 = st.columns(3)
c1.metric("Events", f"{summary.events:,}")
c2.metric("People", f"{summary.people:,}",
          help="Distinct people in the events after identity resolution: the ids of one person across the joined "
               "files count once. 'People across all sources' below also counts people known only from a people "
               "file (no event)." if dataset.people is not None else
               "Distinct user ids, plus devices never seen with one.")
c3.metric("Days", "–" if summary.first is None or summary.last is None
          else f"{(summary.last.date() - summary.first.date()).days + 1:,}")
if dataset.name != SAMPLE_NAME:
    st.button("Back to the bundled sample", on_click=use_sample, key="data.use_sample")
# lazy (on_change="rerun"): a table in a closed expander is still drawn, and the browser's first view pays for it
with st.expander("Preview of the active events", key="data.preview_open", on_change="rerun") as preview:
    if preview.open:
        shown = ingest.preview(dataset.events, 100)
        show_table(shown, lr.event_columns(shown),
                   currency=lr.currency(dataset.events, sample=dataset.name == SAMPLE_NAME))
people_ui.overlap_block()  # people per combination of sources, when people files are joined
conversion_section()  # which events count as conversions here (asked right after a load)

# ---- loading the user's exports
st.subheader("Load your exports")
st.caption("CSV (any delimiter, encoding or decimal comma), JSON lines or JSON arrays, Parquet, each also gzip or zip. "
           "Exports of GA4 (BigQuery), Segment, Mixpanel, Amplitude (the export zip), Snowplow (enriched TSV too) "
           "and Adobe Analytics data feeds (the delivery zip) are recognised and mapped; other files are mapped by "
           "their column names (German headers too). Several files (for example a CRM export and a web export) "
           "become one table. Files stay on this machine.")
files = st.file_uploader("Event and people files", accept_multiple_files=True, key=ingest.uploader_key(),
                         on_change=ingest.reset_mapping,
                         help="People files (CRM contacts, shop customers or orders) are told apart by their columns "
                              "and joined to the events through every id, e-mail and phone they share. "
                              + ingest.CEILING_HELP)
st.caption(ingest.ceiling_text(ingest.ingest_limits()))
with st.expander("Options"):
    zones = ingest.all_timezones()
    timezone = st.selectbox("Time zone of timestamps without an offset", zones,
                            index=zones.index(ingest.default_timezone()), key="data.timezone")
    order = st.radio("Day and month in dates like 01/02/2025", ["Detect", "DMY", "MDY"], horizontal=True,
                     key="data.date_order", help="Asked only when every day in the file is 12 or less.")
    decimal = st.radio("Decimal mark of amounts", ["Detect", ",", "."], horizontal=True, key="data.decimal")
    member = st.text_input("File to read inside a zip that holds several", key="data.zip_member",
                           help="The name as listed in the error message, e.g. exports/events.csv")
    share = st.slider("Fail a file when more than this share of its rows cannot be read (%)", 0, 50, 5,
                      key="data.max_rejected")
with st.expander("Example exports to try"):
    example = st.selectbox("Example", list(EXAMPLES), key="data.example")
    st.download_button("Download example", data=EXAMPLES[example](), file_name=example, on_click="ignore",
                       key="data.example_download")

uploads, people_uploads = people_ui.split_by_kind(ingest.read_uploads(files))
if not uploads:
    if isinstance(dataset.report, LoadReport):
        with st.expander("Load report of the active dataset", key="data.report_open", on_change="rerun") as section:
            if section.open:
                st.caption(f"{dataset.report.rows_read:,} rows read = {dataset.report.kept:,} loaded as is + "
                           f"{dataset.report.repaired:,} loaded after a fix + {dataset.report.rejected:,} not loaded")
                show_table(lr.file_summary(dataset.report), lr.FILE_COLUMNS)
    elif not people_uploads:
        st.info("The bundled sample is active. Upload your own exports to analyse them instead.")
else:
    columns = ingest.source_columns(uploads, member.strip() or None)
    options = ingest.LoadOptions(
        timezone=timezone, date_order=None if order == "Detect" else order,
        decimal=None if decimal == "Detect" else decimal, max_rejected_share=share / 100,
        member=member.strip() or None,
        mapping=ingest.mapping_overrides(columns),
        keep_personal=ingest.kept_personal_columns(),
    )
    loaded = ingest.load_uploads(uploads, options)
    result = loaded.result
    report: LoadReport | None = result.report if result else loaded.report

    if loaded.error:
        st.error("These files could not be loaded. What was found and what to do:", icon=":material/error:")
        st.text(loaded.error)

    # ---- load report
    if report is not None:
        st.subheader("Load report")
        st.caption(f"{report.rows_read:,} rows read = {report.kept:,} loaded as is + {report.repaired:,} loaded "
                   f"after a fix + {report.rejected:,} not loaded (of which "
                   f"{sum(f.duplicates for f in report.files):,} duplicates)")
        show_table(lr.file_summary(report), lr.FILE_COLUMNS)
        if report.warnings:  # what came out empty or unread, with what to do (column names escaped)
            st.warning(ingest.warnings_markdown(report.warnings), icon=":material/warning:")
        with st.expander("Which of your columns feeds which JourneyLens column"):
            show_table(report.mappings(), lr.MAPPING_COLUMNS)
        reasons = lr.reasons(report)
        if reasons.height:
            show_table(reasons, lr.REASON_COLUMNS)
        for f in report.files:
            for note in f.notes:
                st.text(f"{f.file}: {note}")
            if f.timestamp:
                st.text(f"{f.file}, time column {f.timestamp}")
        st.download_button("Download rejected rows (CSV)", data=report.rejected_rows_csv(),
                           file_name=f"rejected_{safe_filename(uploads[0].name)}", mime="text/csv", on_click="ignore",
                           disabled=report.rejected == 0, key="data.rejected_download")

    # ---- personal data
    if report is not None and report.personal_columns:
        st.subheader("Personal data")
        st.warning("These columns look like personal data. They are left out of the analysis unless you keep "
                   "them; rows are never dropped for them. Snapshots never include them.", icon=":material/badge:")
        show_table(report.personal(), lr.PERSONAL_COLUMNS)
        st.multiselect("Keep these columns anyway", list(report.personal_columns), key=ingest.KEEP_PERSONAL,
                       help="Kept columns stay on this machine and can be used as filters and breakdowns.")

    # ---- column mapping
    st.subheader("Column mapping")
    if report is not None:
        st.caption(f"Recognised as: {lr.format_name(report)}. Pick a column only where the detection is wrong; "
                   "every other field keeps the detection.")
    grid = st.columns(3)
    choices: list[str] = [ingest.DETECTED, ingest.UNMAPPED, *columns]
    for i, target in enumerate(TARGETS):
        grid[i % 3].selectbox(target, choices, key=ingest.mapping_key(target), format_func=ingest.mapping_choice_label,
                              help="Choose another column of your file, or keep the detection.")
    st.caption("The resulting mapping: your choices merged with the detection.")
    overview = ingest.mapping_summary(columns, options.mapping, report)
    st.dataframe(overview, hide_index=True, height=ingest.table_height(overview.height))

    # ---- canonical events
    if result is not None:
        st.subheader("Your events as JourneyLens reads them")
        st.caption("The first 200 events in the canonical columns every page works with (the *canonical schema*).")
        loaded_preview = ingest.preview(result.events)
        show_table(loaded_preview, lr.event_columns(loaded_preview),
                   currency=lr.currency(result.events, sample=False))
        st.button("Analyse these events", type="primary", key="data.activate", on_click=ingest.activate,
                  args=(uploads, options, result))

# ---- people files (CRM, shop): loaded beside the events and joined to the active dataset
people_ui.people_block(people_uploads, ingest.LoadOptions(
    timezone=timezone, date_order=None if order == "Detect" else order,
    decimal=None if decimal == "Detect" else decimal, max_rejected_share=share / 100,
    member=member.strip() or None))
