"""The privacy gate every export passes: personal-data detection, small-cell suppression, escaping, pseudonyms.

- ``pii``: columns that look like personal data (header names in English and German, value patterns).
- ``suppress``: k-suppression with complementary suppression and a linear differencing audit.
- ``fold``: small categories into "Other"; funnel steps whose drop-off is a small group.
- ``text``: escaping for HTML and Plotly, URL query stripping, coarse timestamps, keyed pseudonyms.
- ``manifest``: what was withheld and why.
"""

from __future__ import annotations

from analysis.privacy.fold import OTHER, fold_small_categories, folding_map, suppress_funnel_steps
from analysis.privacy.manifest import REASONS, SuppressionEntry, SuppressionManifest
from analysis.privacy.pii import IDENTIFIER_COLUMNS, detect_pii_columns, header_reason, redact_values
from analysis.privacy.suppress import SUPPRESSED, Suppressed, derivable_cells, suppress_small_cells
from analysis.privacy.text import (
    KEPT_QUERY_KEYS,
    coarsen_timestamps,
    escape_column,
    escape_markdown,
    escape_text,
    pseudonymise,
    strip_url_query,
)

__all__ = [
    "IDENTIFIER_COLUMNS",
    "KEPT_QUERY_KEYS",
    "OTHER",
    "REASONS",
    "SUPPRESSED",
    "Suppressed",
    "SuppressionEntry",
    "SuppressionManifest",
    "coarsen_timestamps",
    "derivable_cells",
    "detect_pii_columns",
    "escape_column",
    "escape_markdown",
    "escape_text",
    "fold_small_categories",
    "folding_map",
    "header_reason",
    "pseudonymise",
    "redact_values",
    "strip_url_query",
    "suppress_funnel_steps",
    "suppress_small_cells",
]
