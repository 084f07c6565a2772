"""Result tables a marketer can read: plain headings, counts with separators, %, money with its symbol, durations
as "2 h 14 min", a dash (never "None") where there is no value, and a first column that stays put while the table
scrolls sideways.

Each page says what its columns are (:class:`Col`); :func:`table_view` is the headless twin that returns the display
frame and the ``st.column_config`` (testable without a running app) and :func:`show_table` draws it.

Numbers stay numbers where they can (so clicking a heading sorts them): counts and percentages without gaps (the
latter in points, 0..100, so that every percentage shows one decimal).
Durations, money and any numeric column with a gap become text, formatted by :mod:`analysis.formatting` (the same
formatter the CLI and snapshots can use), right-aligned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl
import streamlit as st

from analysis.formatting import (
    MISSING,
    count_text,
    duration_text,
    money_text,
    number_text,
    percent_text,
    plain_name,
)

Kind = Literal["text", "count", "number", "percent", "share", "money", "duration", "datetime", "flag"]


@dataclass(frozen=True)
class Col:
    """How one column reads: its heading, what kind of value it holds, and a tooltip (say why a cell can be empty).

    ``kind``: ``count`` (whole numbers), ``number`` (``decimals`` places), ``percent`` (a 0..1 share shown as %),
    ``share`` (a 0..1 share drawn as a bar with its %), ``money`` (the table's currency), ``duration`` (seconds),
    ``datetime`` (UTC), ``flag`` (yes/no) or ``text``.
    """

    label: str
    kind: Kind = "text"
    help: str | None = None
    decimals: int = 2
    width: Literal["small", "medium", "large"] | None = None


Columns = Mapping[str, "Col | str"]


def _infer(dtype: pl.DataType) -> Kind:
    if dtype.is_integer():
        return "count"
    if dtype.is_float():
        return "number"
    if dtype == pl.Boolean:
        return "flag"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    return "text"


def _spec(name: str, given: Col | str | None, dtype: pl.DataType) -> Col:
    if isinstance(given, Col):
        return given
    label = given if isinstance(given, str) else plain_name(name)
    return Col(label, _infer(dtype))


def table_view(
    frame: pl.DataFrame,
    columns: Columns | None = None,
    *,
    currency: str | None = None,
    hide: Sequence[str] = (),
    pin_first: bool = True,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The display frame (a new frame) and its ``column_config``: the listed columns first, in order, then the rest
    with plain headings; ``hide`` leaves columns out.

    Examples
    --------
    >>> t = pl.DataFrame({"name": ["view", "buy"], "entered": [20000, 3799], "conversion_from_previous": [None, 0.19],
    ...                   "median_seconds": [None, 8040.0]})
    >>> shown, config = table_view(t, {"name": "Step", "conversion_from_previous": Col("From previous", "percent"),
    ...                                "median_seconds": Col("Median time", "duration")})
    >>> shown.row(0), shown.row(1)
    (('view', '–', '–', 20000), ('buy', '19.0%', '2 h 14 min', 3799))
    >>> config["name"]["label"], config["name"]["pinned"], config["entered"]["label"]
    ('Step', True, 'Entered')
    """
    given = dict(columns or {})
    missing = [c for c in given if c not in frame.columns]
    if missing:  # a page naming a column its table lacks is a bug in the page, not in the data
        raise KeyError(f"table_view: no column(s) {', '.join(missing)}; present: {', '.join(frame.columns)}")
    order = [c for c in given if c not in hide] + [c for c in frame.columns if c not in given and c not in hide]
    exprs: list[pl.Expr] = []
    config: dict[str, Any] = {}
    for i, name in enumerate(order):
        spec = _spec(name, given.get(name), frame.schema[name])
        expr, cfg = _column(pl.col(name), spec, frame[name], currency)
        exprs.append(expr.alias(name))
        cfg["pinned"] = pin_first and i == 0
        config[name] = cfg
    return frame.select(exprs), config


def _column(col: pl.Expr, spec: Col, values: pl.Series, currency: str | None) -> tuple[pl.Expr, Any]:
    """The display expression and column config of one column."""
    common: dict[str, Any] = {"label": spec.label, "help": spec.help, "width": spec.width}
    gaps = values.null_count() > 0 or (values.dtype.is_float() and bool(values.is_nan().any()))
    kind = spec.kind
    if kind == "count" and not gaps:
        return col, st.column_config.NumberColumn(**common, format="localized")
    if kind in ("percent", "share") and not gaps:  # shown in points with one decimal, like percent_text
        if kind == "share":
            return col * 100, st.column_config.ProgressColumn(**common, format="%.1f%%", min_value=0.0,
                                                              max_value=100.0)
        return col * 100, st.column_config.NumberColumn(**common, format="%.1f%%")
    right = st.column_config.TextColumn(**common, alignment="right")
    if kind == "count":
        return count_text(col), right
    if kind in ("percent", "share"):
        return percent_text(col), right
    if kind == "money":
        return money_text(col, currency=currency), right
    if kind == "duration":
        return duration_text(col), right
    if kind == "number":
        return number_text(col, decimals=spec.decimals), right
    if kind == "flag":
        if not gaps:
            return col, st.column_config.CheckboxColumn(**common)
        return pl.when(col).then(pl.lit("yes")).when(col.not_()).then(pl.lit("no")).otherwise(pl.lit(MISSING)), right
    if kind == "datetime":
        if isinstance(values.dtype, pl.Datetime):
            return col, st.column_config.DatetimeColumn(**common, format="YYYY-MM-DD HH:mm:ss")
        return col.cast(pl.String).fill_null(MISSING), st.column_config.TextColumn(**common)
    dtype = values.dtype
    if isinstance(dtype, pl.List) and (dtype.inner == pl.String or dtype.inner.is_numeric()):
        return col.cast(pl.List(pl.String)).list.join(" → ").fill_null(MISSING), st.column_config.TextColumn(**common)
    if dtype.is_nested() or dtype in (pl.Binary, pl.Object):  # records and lists of records: as they are
        return col, st.column_config.Column(**common)
    return col.cast(pl.String).fill_null(MISSING), st.column_config.TextColumn(**common)


def show_table(
    frame: pl.DataFrame,
    columns: Columns | None = None,
    *,
    currency: str | None = None,
    hide: Sequence[str] = (),
    key: str | None = None,
    height: int | Literal["auto"] = "auto",
) -> None:
    """Draw ``frame`` as a readable table (see :func:`table_view`), full width, scrolling with its first column
    pinned."""
    shown, config = table_view(frame, columns, currency=currency, hide=hide)
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch", height=height, key=key)
