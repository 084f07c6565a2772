"""Snapshots page (arrives with its issue; until then it says so)."""

from __future__ import annotations

import streamlit as st

from ui.data import active_summary

st.title("Snapshots")
summary = active_summary()
st.info("Coming soon: this view is being built.", icon=":material/construction:")
st.caption(f"Active data: {summary.events:,} events from {summary.people:,} people.")
