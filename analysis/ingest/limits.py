"""Size caps that keep a hostile or broken file from exhausting memory or the screen."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Caps applied while reading; every cap that trips raises or rejects with a message naming it.

    Examples
    --------
    >>> Limits(max_columns=50).max_columns
    50
    """

    #: Largest decompressed payload of a gzip or zip member (bytes).
    max_bytes: int = 2 * 1024**3
    #: Expansion ratio above which a large decompressed payload counts as a bomb.
    max_ratio: float = 1000.0
    #: Columns per file.
    max_columns: int = 2000
    #: Characters of the header line.
    max_header_chars: int = 1_000_000
    #: Characters in an id, event or acquisition cell.
    max_key_chars: int = 4096
    #: Characters in any other cell.
    max_cell_chars: int = 65536
    #: Rows in a Parquet file; its uncompressed size is capped by ``max_bytes``.
    max_rows: int = 1_000_000_000


DEFAULT_LIMITS = Limits()
