"""Prepare: from canonical events to prepared events (persons, channels, sessions), the one home of each rule.

- ``identity/``: who is behind each event and people record (the device rule, the identity graph, attributes).
- ``channels``: GA4's default channel group as editable data (``channel_rules.csv``, ``channel_sources.csv``).
- ``sessions``: the one session rule.
- ``pipeline``: :func:`prepare`, the three in one pass over one sort by person and time.
"""

from __future__ import annotations

from analysis.prepare.channels import OFFLINE
from analysis.prepare.pipeline import MATCHING_ONLY, UNASSIGNED, prepare

__all__ = ["MATCHING_ONLY", "OFFLINE", "UNASSIGNED", "prepare"]
