"""Safe display names for user-supplied file and member names (never used as paths)."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_CHARS = 120

_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")


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


def slug(name: str | None, *, default: str = "file") -> str:
    """Return a download-safe file name: ``[A-Za-z0-9._-]{1,80}``, no leading dots or path parts.

    Examples
    --------
    >>> slug("../../etc/passwd.csv")
    'passwd.csv'
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    out = _SLUG_BAD.sub("_", base).strip("._-")[:80]
    return out or default
