"""Memory ceilings and size caps: every reader decides from counts it can see before it materialises data.

The reusable part for readers (CSV, Parquet, and any later JSON or vendor reader):

- :class:`Limits` holds the caps; :data:`DEFAULT_LIMITS` is what ``load_events`` uses unless told otherwise.
- :func:`check_rows` and :func:`check_decoded` refuse a file whose row count or decoded size passes the ceiling.
- :class:`ExpansionBudget` and :func:`read_bounded` decompress a stream while charging every decoded byte
  against the compressed bytes consumed so far (a bomb is refused after at most ``expansion_floor`` bytes).
- :class:`CountingReader` is a file object over bytes that counts what a decompressor has consumed.
- :func:`check_line_lengths` finds an over-long physical line without reading the text.

Every refusal is a :class:`~analysis.errors.LimitError` naming the file, the limit's field and how to raise it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from analysis.errors import LimitError

_CHUNK = 1024 * 1024
#: What a caller sets to raise a cap: the ``Limits`` field, and in the app the environment setting.
APP_SETTINGS = {"max_bytes": "JOURNEYLENS_MAX_DECODED_MB", "max_rows": "JOURNEYLENS_MAX_ROWS"}


@dataclass(frozen=True)
class Limits:
    """Caps applied while reading; every cap that trips raises or rejects with a message naming it.

    ``max_bytes`` and ``max_rows`` are the ceiling of one file. Decoded bytes are what the file becomes in
    memory: its values' bytes plus 16 bytes per text cell (1M sample events decode to ~0.3 GB). A load needs
    at most about 3x the decoded data it accepts plus a fixed ~0.3 GB (interpreter, libraries), so the
    defaults (4 GiB, 50M rows; about 13M sample events) keep one load under ~13 GB.

    Examples
    --------
    >>> Limits(max_columns=50).max_columns
    50
    """

    #: Decoded bytes of one file: the decompressed payload, the UTF-8 text of a CSV, Parquet's decoded columns.
    max_bytes: int = 4 * 1024**3
    #: Rows (lines of a CSV, rows of a Parquet file) in one file.
    max_rows: int = 50_000_000
    #: Decoded bytes per compressed byte consumed so far above which a decompressing stream is a bomb.
    max_ratio: float = 100.0
    #: Decoded bytes a stream may produce before the ratio is judged (small files may compress very well).
    expansion_floor: int = 32 * 1024**2
    #: Bytes of one physical line of a text file.
    max_line_bytes: int = 16 * 1024**2
    #: Columns per file.
    max_columns: int = 2000
    #: Characters of the header line.
    max_header_chars: int = 1_000_000
    #: Characters in an id, event or acquisition cell.
    max_key_chars: int = 4096
    #: Characters in any other cell.
    max_cell_chars: int = 65536


DEFAULT_LIMITS = Limits()


def size_text(n: float) -> str:
    """Bytes as a short human text (KiB below 1 MiB, MiB below 1 GiB).

    Examples
    --------
    >>> size_text(3 * 1024**3), size_text(5 * 1024**2), size_text(1536)
    ('3 GiB', '5 MiB', '1.5 KiB')
    """
    if n >= 1024**3:
        return f"{n / 1024**3:.3g} GiB"
    return f"{n / 1024**2:.3g} MiB" if n >= 1024**2 else f"{n / 1024:.3g} KiB"


def how_to_raise(limit: str) -> str:
    """The sentence telling a user how to raise the cap named ``limit`` (a :class:`Limits` field)."""
    setting = APP_SETTINGS.get(limit)
    app = f"the app's {setting} setting or " if setting else ""
    return f"Split the export (by date), or raise the limit: {app}Limits({limit}=...) in the library."


def check_rows(rows: int, *, name: str, limits: Limits = DEFAULT_LIMITS, what: str = "holds") -> None:
    """Refuse ``rows`` over ``limits.max_rows``.

    Examples
    --------
    >>> check_rows(3, name="a.csv", limits=Limits(max_rows=2))
    Traceback (most recent call last):
    ...
    analysis.errors.LimitError: a.csv holds 3 rows, more than the limit of 2 rows (max_rows). Split the export \
(by date), or raise the limit: the app's JOURNEYLENS_MAX_ROWS setting or Limits(max_rows=...) in the library.
    """
    if rows > limits.max_rows:
        raise LimitError(f"{name} {what} {rows:,} rows, more than the limit of {limits.max_rows:,} rows (max_rows). "
                         f"{how_to_raise('max_rows')}", limit="max_rows")


def check_decoded(size: int, *, name: str, limits: Limits = DEFAULT_LIMITS, what: str = "decodes to") -> None:
    """Refuse a decoded size (bytes) over ``limits.max_bytes``.

    Examples
    --------
    >>> check_decoded(10, name="a.parquet", limits=Limits(max_bytes=20))
    """
    if size > limits.max_bytes:
        raise LimitError(f"{name} {what} {size_text(size)}, more than the limit of {size_text(limits.max_bytes)} "
                         f"(max_bytes). {how_to_raise('max_bytes')}", limit="max_bytes")


class ExpansionBudget:
    """Charges decoded bytes against compressed bytes consumed; refuses bombs and payloads over ``max_bytes``.

    Examples
    --------
    >>> budget = ExpansionBudget("x.gz", Limits(max_ratio=10, expansion_floor=100))
    >>> budget.charge(decoded=90, consumed=1)  # under the floor: fine
    >>> budget.charge(decoded=200, consumed=10)
    Traceback (most recent call last):
    ...
    analysis.errors.LimitError: x.gz expands more than 10x (200 bytes from the first 10 compressed bytes); \
it looks like a decompression bomb. Split the export (by date), or raise the limit: Limits(max_ratio=...) in the \
library.
    """

    def __init__(self, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
        self.name = name
        self.limits = limits

    def charge(self, *, decoded: int, consumed: int) -> None:
        """Refuse when ``decoded`` bytes (so far) pass the ceiling, or the ratio after the floor."""
        limits = self.limits
        if decoded > limits.max_bytes:
            raise LimitError(f"{self.name} expands to more than {size_text(limits.max_bytes)} (limit, max_bytes). "
                             f"{how_to_raise('max_bytes')}", limit="max_bytes")
        if decoded > limits.expansion_floor and decoded > limits.max_ratio * max(consumed, 1):
            raise LimitError(f"{self.name} expands more than {limits.max_ratio:g}x ({decoded:,} bytes from the "
                             f"first {consumed:,} compressed bytes); it looks like a decompression bomb. "
                             f"{how_to_raise('max_ratio')}", limit="max_ratio")


class CountingReader(io.RawIOBase):
    """A read-only, seekable file over bytes that counts the bytes handed out (``consumed``).

    Examples
    --------
    >>> r = CountingReader(b"abcdef"); _ = r.read(4); r.consumed
    4
    """

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self._view) - self._pos)
        buffer[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        self.consumed += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class Readable(Protocol):
    """A decompressing stream: gzip, zip member, or any reader with ``read(size)``."""

    def read(self, size: int = -1, /) -> bytes: ...


def read_bounded(stream: Readable, budget: ExpansionBudget, consumed: Callable[[], int]) -> bytes:
    """Read a decompressing ``stream`` to its end in 1 MiB chunks, charging ``budget`` after each chunk.

    ``consumed`` tells how many compressed bytes the stream has taken so far (a :class:`CountingReader`'s
    ``consumed``). Memory never passes the budget by more than one chunk.

    Examples
    --------
    >>> import gzip
    >>> src = CountingReader(gzip.compress(b"a,b\\n1,2\\n"))
    >>> read_bounded(gzip.GzipFile(fileobj=src), ExpansionBudget("x.gz"), lambda: src.consumed)
    b'a,b\\n1,2\\n'
    """
    parts: list[bytes] = []
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        budget.charge(decoded=total, consumed=consumed())
        parts.append(chunk)
    return b"".join(parts)


def check_line_lengths(data: bytes, *, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse text with a physical line longer than ``limits.max_line_bytes``, naming its line.

    Looks for a newline in every window of half the limit (a few hundred ``bytes.find`` calls per GB), so
    files with normal lines cost next to nothing; the exact line is measured only when a window has none.

    Examples
    --------
    >>> check_line_lengths(b"a,b\\n" + b"x" * 40 + b"\\n", name="a.csv", limits=Limits(max_line_bytes=16))
    Traceback (most recent call last):
    ...
    analysis.errors.LimitError: a.csv, line 2: a line longer than the limit of 16 bytes (max_line_bytes).\
 Fix the export (a cell or a quote that never closes?), or raise the limit with \
Limits(max_line_bytes=...).
    """
    cap = limits.max_line_bytes
    n = len(data)
    step = max(cap // 2, 1)
    pos = 0
    # a line longer than the cap holds a whole window of cap/2 bytes: only windows without a newline matter
    while pos + step <= n:
        if data.find(b"\n", pos, pos + step) >= 0:
            pos += step
            continue
        begin = data.rfind(b"\n", 0, pos) + 1
        end = data.find(b"\n", pos + step, begin + cap + 1)
        if end < 0 and begin + cap < n:
            line = data.count(b"\n", 0, begin) + 1
            raise LimitError(f"{name}, line {line:,}: a line longer than the limit of {cap:,} bytes "
                             "(max_line_bytes). Fix the export (a cell or a quote that never closes?), or raise "
                             "the limit with Limits(max_line_bytes=...).", limit="max_line_bytes")
        pos = n if end < 0 else end
