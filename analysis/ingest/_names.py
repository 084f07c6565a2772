"""Safe display names for user-supplied file and member names (never used as paths).

Download file names come from :func:`analysis.export.safe_filename`, the one rule for names written to disk.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_CHARS = 120


def display_name(name: str | None, *, default: str = "upload") -> str:
    """Return ``name`` fit for messages: control and bidi characters removed, at most 120 characters.

    Examples
    --------
    >>> display_name("evil\\u202egpj.csv")
    'evilgpj.csv'
    """
    if not name:
        return default
    cleaned = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    cleaned = cleaned.strip() or default
    if len(cleaned) > MAX_NAME_CHARS:
        cleaned = cleaned[: MAX_NAME_CHARS - 1] + "…"
    return cleaned
