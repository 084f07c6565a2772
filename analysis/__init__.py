"""JourneyLens analysis library (no Streamlit)."""

from __future__ import annotations

