"""Funnels with documented semantics: modes, windows, anchors, counting, exclusions, breakdowns.

Public API: :func:`funnel` (one call), or :func:`funnel_spec` + :func:`funnel_units` (the expensive step, once)
followed by the cheap summaries :func:`funnel_table`, :func:`funnel_trend` and :func:`time_to_convert`.
"""

from __future__ import annotations

from analysis.funnels.funnel import (
    BREAKDOWN,
    data_end,
    funnel,
    funnel_table,
    funnel_totals,
    funnel_trend,
    funnel_units,
    step_column,
    time_to_convert,
)
from analysis.funnels.spec import Exclusion, FunnelOptions, FunnelSpec, Step, funnel_spec
from analysis.vocabulary import Anchor, Counting, Entry, FunnelAttribution, FunnelMode

__all__ = [
    "BREAKDOWN",
    "Anchor",
    "Counting",
    "Entry",
    "Exclusion",
    "FunnelAttribution",
    "FunnelMode",
    "FunnelOptions",
    "FunnelSpec",
    "Step",
    "data_end",
    "funnel",
    "funnel_spec",
    "funnel_table",
    "funnel_totals",
    "funnel_trend",
    "funnel_units",
    "step_column",
    "time_to_convert",
]
