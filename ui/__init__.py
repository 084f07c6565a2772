"""Streamlit-side helpers: the one caching layer, session-state keys and shared widgets."""

from __future__ import annotations
