"""JourneyLens: the entry script. Page config, the shared sidebar, and navigation over app_pages/; nothing else."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.data import missing_link, start_warm_up
from ui.links import open_linked_dataset
from ui.share import keep_alive
from ui.sidebar import render_missing_link, render_sidebar

# a local file: Material and emoji favicons are fetched from a CDN, and JourneyLens loads nothing from the internet
ICON = Path(__file__).resolve().parent / "ui" / "assets" / "icon.png"
st.set_page_config(page_title="JourneyLens", page_icon=str(ICON), layout="wide")

PAGES = [
    st.Page("app_pages/data.py", title="Data", icon=":material/database:", default=True),
    st.Page("app_pages/journeys.py", title="Journeys", icon=":material/alt_route:"),
    st.Page("app_pages/funnels.py", title="Funnels", icon=":material/filter_alt:"),
    st.Page("app_pages/attribution.py", title="Attribution", icon=":material/pie_chart:"),
    st.Page("app_pages/personas.py", title="Personas", icon=":material/groups:"),
    st.Page("app_pages/snapshots.py", title="Snapshots", icon=":material/share:"),
]

page = st.navigation(PAGES)
open_linked_dataset()  # the dataset the address bar names (a refresh, a link), once per session
keep_alive()  # every page's settings last for the session, whichever page is shown
render_sidebar()
if missing_link() is not None:
    render_missing_link(on_data_page=page.title == "Data")
try:
    page.run()
finally:  # once per server, after its first page is drawn: the default dataset prepared, and the other pages' imports
    start_warm_up()
