"""The privacy gate every export passes: personal-data detection, small-cell suppression, escaping, pseudonyms.

- ``pii``: columns that look like personal data (header names in English and German, value patterns).
- ``suppress``: k-suppression with complementary suppression, audited by interval bounds.
- ``audit``: the linear-programming interval auditor (tau-argus style) over everything published.
- ``fold``: small categories into "Other (n groups)"; funnel steps whose drop-off is a small group.
- ``text``: escaping for HTML and Plotly, URL query stripping, coarse timestamps, keyed pseudonyms.
- ``manifest``: what was withheld and why.
"""

from __future__ import annotations

from analysis.privacy.audit import VALUE_PROTECTION, Cell, Relation, at_most, audit, total
from analysis.privacy.fold import (
    fold_small_categories,
    fold_until_safe,
    folding_map,
    is_other,
    other_label,
    suppress_funnel_steps,
)
from analysis.privacy.manifest import REASONS, SuppressionEntry, SuppressionManifest
from analysis.privacy.pii import IDENTIFIER_COLUMNS, detect_pii_columns, header_reason, redact_values
from analysis.privacy.suppress import SUPPRESSED, Suppressed, audit_table, derivable_cells, suppress_small_cells
from analysis.privacy.text import (
    KEPT_QUERY_KEYS,
    coarsen_timestamps,
    escape_column,
    escape_markdown,
    escape_text,
    pseudonymise,
    strip_url_query,
)
from analysis.vocabulary import OTHER

__all__ = [
    "IDENTIFIER_COLUMNS",
    "KEPT_QUERY_KEYS",
    "OTHER",
    "REASONS",
    "SUPPRESSED",
    "VALUE_PROTECTION",
    "Cell",
    "Relation",
    "Suppressed",
    "SuppressionEntry",
    "SuppressionManifest",
    "at_most",
    "audit",
    "audit_table",
    "coarsen_timestamps",
    "derivable_cells",
    "detect_pii_columns",
    "escape_column",
    "escape_markdown",
    "escape_text",
    "fold_small_categories",
    "fold_until_safe",
    "folding_map",
    "header_reason",
    "is_other",
    "other_label",
    "pseudonymise",
    "redact_values",
    "strip_url_query",
    "suppress_funnel_steps",
    "suppress_small_cells",
    "total",
]
