"""Figures: one plain function per view, returning a Plotly figure; used by pages and snapshots alike."""

from __future__ import annotations
