"""Safe downloads: CSV protected against formula injection, Parquet for exact data, and clean file names."""

from __future__ import annotations

import io
import re
import unicodedata

import polars as pl

#: A text cell or header starting with one of these is read as a formula by spreadsheets (OWASP "CSV
#: injection"). Besides ASCII ``= + - @``, tab, CR and NUL: the fullwidth (U+FF1D ``＝``, U+FF0B, U+FF0D, U+FF20)
#: and small-form (U+FE66 ``﹦``, U+FE62, U+FE63, U+FE6B) variants, which some spreadsheets fold to ASCII.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0",
                 "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\ufe62", "\ufe63", "\ufe6b")
_STARTS = "^[" + "".join(re.escape(c) if c.isprintable() else f"\\x{ord(c):02x}" for c in FORMULA_START) + "]"
_STARTS_RE = re.compile(_STARTS)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARS = 80


def protect_header(name: str) -> str:
    """A column name as a CSV header that no spreadsheet runs: prefixed with ``'`` when it starts like a formula.

    Examples
    --------
    >>> protect_header("=HYPERLINK(A2)"), protect_header("\uff1dcmd"), protect_header("users")
    ("'=HYPERLINK(A2)", "'＝cmd", 'users')
    """
    return "'" + name if _STARTS_RE.match(name) else name


def protect_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """A new frame whose text cells *and column names* starting like a formula are prefixed with ``'``.

    Formula starts are ``= + - @``, tab, CR, NUL and their fullwidth and small-form variants (``＝``, ``﹦`` …).
    Categorical and Enum columns are protected as text; numbers are left alone (a negative number is a number).

    Examples
    --------
    >>> protect_formulas(pl.DataFrame({"a": ["=1+1", "ok"], "n": [-1, 2]})).row(0)
    ("'=1+1", -1)
    >>> out = protect_formulas(pl.DataFrame({"\ufe66x": ["\ufe661"]}))
    >>> out.columns, out.item()
    (["'﹦x"], "'﹦1")
    """
    text = [c for c, t in frame.schema.items() if t == pl.String or isinstance(t, pl.Categorical | pl.Enum)]
    return _protect_cells(frame, text).rename(protect_header)


def _protect_cells(frame: pl.DataFrame, text: list[str]) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(_STARTS)).then("'" + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String)).alias(c)
        for c in text
    )


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns (lists, structs) as JSON-ish text, which CSV can hold."""
    nested = [c for c, t in frame.schema.items() if isinstance(t, pl.List | pl.Array | pl.Struct | pl.Object)]
    if not nested:
        return frame
    return frame.with_columns(
        (pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(" > ") if isinstance(frame.schema[c], pl.List)
         else pl.col(c).map_elements(str, return_dtype=pl.String))
        for c in nested
    )


def to_safe_csv(frame: pl.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV that a spreadsheet opens without running any cell as a formula.

    List columns (paths) are joined with ``" > "``. Use :func:`to_parquet` when the exact data matters.

    Examples
    --------
    >>> to_safe_csv(pl.DataFrame({"name": ["=HYPERLINK(\\"x\\")", "Anna"]})).decode()
    'name\\n"\\'=HYPERLINK(""x"")"\\nAnna\\n'
    """
    return protect_formulas(_flatten(frame)).write_csv().encode("utf-8")


def to_parquet(frame: pl.DataFrame) -> bytes:
    """``frame`` as Parquet bytes: exact types and values, for re-analysis (no formula protection needed).

    Examples
    --------
    >>> pl.read_parquet(io.BytesIO(to_parquet(pl.DataFrame({"a": ["=1"]})))).item()
    '=1'
    """
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def safe_filename(text: str, *, default: str = "journeylens") -> str:
    """A file name safe on every system: ASCII letters, digits, ``.``, ``_`` and ``-``, no leading dot, short.

    Path separators, control characters, quotes and reserved device names are removed; accents are folded.

    Examples
    --------
    >>> safe_filename("../../etc/passwd")
    'etc_passwd'
    >>> safe_filename("Käufer: März 2026.csv")
    'Kaufer_Marz_2026.csv'
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = _UNSAFE_NAME.sub("_", folded).strip("._-")
    name = re.sub(r"_*\._*", ".", re.sub(r"\.{2,}", ".", name)).strip("._-")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        keep = ext if dot and 0 < len(ext) <= 8 else ""
        name = (stem if keep else name)[: MAX_NAME_CHARS - len(keep) - 1].rstrip("._-") + (f".{keep}" if keep else "")
    if not name or name.split(".", 1)[0].upper() in {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                                                      *(f"LPT{i}" for i in range(10))}:
        return default + (f".{name.rsplit('.', 1)[-1]}" if "." in name else "")
    return name
