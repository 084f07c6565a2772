"""One pass over the raw String columns: surrounding blanks, missing tokens, control characters and '+' signs.

Typing only cleans what needs cleaning, so it first asks of each column: does a value start or end with a
blank, is a value a missing-value token, does a value hold a control character, could an id be
Excel-mangled (``1,23E+17``)? Per-value string expressions cost a few ns a row each and there are four per
column; here each column's UTF-8 bytes are exported once and the byte questions are answered on them as
whole arrays (first and last byte of each value, a minimum over all bytes), about twice as fast.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from analysis.ingest._parse import MISSING_TOKENS

_CONTROL = np.zeros(256, dtype=bool)
_CONTROL[[*range(9), 11, 12, *range(14, 32), 127]] = True  # as parse.CONTROL_CHARS: C0 but tab, LF, CR; DEL
_SPACE, _PLUS, _NBSP_LEAD, _NBSP_TRAIL = 0x20, 0x2B, 0xC2, 0xA0  # U+00A0 is C2 A0 in UTF-8


@dataclass(frozen=True)
class StringScan:
    """Of the String columns asked about, those where the answer is yes."""

    blanks: tuple[str, ...]  # a value starts or ends with a space or NBSP
    tokens: tuple[str, ...]  # a value is a missing-value token ("null", "N/A", "")
    controls: tuple[str, ...]  # a value holds a control character
    plus: tuple[str, ...]  # a value holds a '+' (an Excel-mangled id such as 1,23E+17 is possible)


def scan_strings(frame: pl.DataFrame, *, blanks: Collection[str] = (), tokens: Collection[str] = (),
                 plus: Collection[str] = (), controls: bool = True) -> StringScan:
    """Scan the String columns of ``frame`` once for the questions asked of each.

    ``blanks``, ``tokens`` and ``plus`` name the columns asked about surrounding blanks, missing-value
    tokens and '+'; every String column is asked about control characters unless ``controls=False`` (the
    caller knows the answer). Non-String columns are never asked: the schema answers for them.

    Examples
    --------
    >>> df = pl.DataFrame({"a": [" x", None], "b": ["null", "1E+5"], "c": ["o\\x00k", "ok"], "n": [1, 2]})
    >>> scan_strings(df, blanks=["a", "b", "n"], tokens=["a", "b"], plus=["b"])
    StringScan(blanks=('a',), tokens=('b',), controls=('c',), plus=('b',))
    """
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    token_cols = [c for c in strings if c in tokens]
    has_token = frame.select(pl.col(c).is_in(MISSING_TOKENS).any() for c in token_cols).row(0) if token_cols else ()
    asked = [c for c in strings if controls or c in blanks or c in plus]
    found: dict[str, list[str]] = {"blanks": [], "controls": [], "plus": []}
    # exported a few columns at a time: Polars converts the columns of a frame in parallel (faster than one
    # Series at a time), while the copies of all columns at once would raise the peak memory by their size
    for batch in (asked[i:i + _BATCH] for i in range(0, len(asked), _BATCH)):
        table = frame.select(batch).to_arrow(compat_level=pl.CompatLevel.oldest())
        for col in batch:
            _answer(col, _utf8_chunks(table.column(col)), found, blanks=blanks, plus=plus, controls=controls)
    return StringScan(blanks=tuple(found["blanks"]), tokens=tuple(c for c, t in zip(token_cols, has_token,
                                                                                  strict=True) if t),
                      controls=tuple(found["controls"]), plus=tuple(found["plus"]))


_Bytes = npt.NDArray[np.uint8]
_Offsets = npt.NDArray[np.int64]
_BATCH = 2  # columns exported at once: one per core here


def _answer(col: str, chunks: list[tuple[_Offsets, _Bytes]], found: dict[str, list[str]], *,
            blanks: Collection[str], plus: Collection[str], controls: bool) -> None:
    """Add ``col`` to the ``found`` lists whose question its bytes answer with yes."""
    if controls and any(_has_control(data) for _, data in chunks):
        found["controls"].append(col)
    if col in plus and any(np.any(data == _PLUS) for _, data in chunks):
        found["plus"].append(col)
    if col in blanks and any(_has_blank_edge(offsets, data) for offsets, data in chunks):
        found["blanks"].append(col)


def _utf8_chunks(arrow: pa.ChunkedArray) -> list[tuple[_Offsets, _Bytes]]:
    """(offsets rebased to 0, UTF-8 bytes) per Arrow chunk, as numpy views of the Arrow buffers."""
    if arrow.type != pa.large_string():
        arrow = arrow.cast(pa.large_string())
    out = []
    for chunk in arrow.chunks:
        _, offsets_buf, data_buf = chunk.buffers()
        if offsets_buf is None or data_buf is None or len(chunk) == 0:
            continue
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]]
        out.append((offsets - offsets[0], data))
    return out


def _has_control(data: _Bytes) -> bool:
    # most files have no byte below 32 at all: one reduction answers, the table lookup runs only otherwise
    if not data.size:
        return False
    if data.min() < _SPACE:
        return bool(_CONTROL[data].any())
    return bool(np.any(data == 127))


def _has_blank_edge(offsets: _Offsets, data: _Bytes) -> bool:
    # empty values have no edge bytes (nulls' slots are empty in Polars' export; a non-empty one could
    # only make a False a True, which costs a needless strip, never a missed one)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.all():
        starts, ends = starts[filled], ends[filled]
    if not starts.size:
        return False
    first, last = data[starts], data[ends - 1]
    if np.any(first == _SPACE) or np.any(last == _SPACE):
        return True
    # valid UTF-8: a lead byte C2 has a byte after it, a continuation byte A0 one before it
    lead, trail = starts[first == _NBSP_LEAD], ends[last == _NBSP_TRAIL]
    return bool(np.any(data[lead + 1] == _NBSP_TRAIL) or np.any(data[trail - 2] == _NBSP_LEAD))
