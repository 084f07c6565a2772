"""The sidebar shared by every page: the active dataset and the global date-range filter."""

from __future__ import annotations

import streamlit as st

from ui import state
from ui.data import active_dataset, active_summary, data_date_bounds


def render_sidebar() -> None:
    """Show the active dataset and the global filters."""
    dataset = active_dataset()
    with st.sidebar:
        st.caption("Active dataset")
        st.text(dataset.name)  # st.text: data-derived names never render as Markdown
        summary = active_summary()
        st.caption(f"{summary.events:,} events · {summary.people:,} people · digest {dataset.digest[:10]}")
        lo, hi = data_date_bounds()
        st.date_input("Date range", value=(lo, hi), min_value=lo, max_value=hi, key=state.DATE_RANGE,
                      help="Limits every page to events on these days (UTC). Funnels use it for entry only.")
