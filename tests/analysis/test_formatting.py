"""Readable numbers: counts, percentages, money, durations, plain names, and a dash for no value."""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.formatting import (
    MISSING,
    count_text,
    currency_symbol,
    detect_currency,
    duration_text,
    format_count,
    format_duration,
    format_money,
    format_number,
    format_percent,
    money_text,
    percent_text,
    plain_name,
)


def _texts(expr: pl.Expr) -> list[str]:
    return pl.select(expr.alias("t")).to_series().to_list()


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (0.4, "< 1 s"), (0.5, "1 s"), (59.4, "59 s"), (59.6, "1 min"), (60, "1 min"), (845, "14 min 5 s"),
    (3599.6, "1 h"), (8040, "2 h 14 min"), (80454, "22 h 21 min"), (86399, "1 d"), (90000, "1 d 1 h"),
    (273600, "3 d 4 h"), (86400 * 1500, "1,500 d"), (-90, "−1 min 30 s"),
])
def test_durations_read_as_the_two_largest_units(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_timedelta_formats_like_its_seconds() -> None:
    assert format_duration(timedelta(hours=2, minutes=14)) == "2 h 14 min"


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf")])
def test_no_value_is_a_dash_never_none(bad: float | None) -> None:
    assert {format_duration(bad), format_count(bad), format_percent(bad), format_money(bad, currency="EUR"),
            format_number(bad)} == {MISSING}


def test_money_carries_its_currency_symbol_and_separators() -> None:
    values = pl.Series([1222.8738, 41529.0, -0.5, 0.005, None])
    assert _texts(money_text(pl.lit(values), currency="EUR")) == ["€1,222.87", "€41,529.00", "−€0.50", "€0.01", "–"]
    assert _texts(money_text(pl.lit(values.head(1)), currency="sek")) == ["SEK 1,222.87"]
    assert _texts(money_text(pl.lit(values.head(1)), currency=None)) == ["1,222.87"]


def test_currency_symbols() -> None:
    assert [currency_symbol(c) for c in ("USD", "gbp", " JPY ", "XYZ", "", None)] == ["$", "£", "¥", "XYZ ", "", ""]


def test_percentages_from_shares() -> None:
    values = pl.Series([0.2075, 0.0, 1.0, 12.345, -0.0004, None])
    assert _texts(percent_text(pl.lit(values))) == ["20.8%", "0.0%", "100.0%", "1,234.5%", "0.0%", "–"]
    assert format_percent(0.12345, decimals=0) == "12%"


def test_counts_group_thousands() -> None:
    assert _texts(count_text(pl.lit(pl.Series([0, 7, 999, 1000, 1234567, -20000])))) == [
        "0", "7", "999", "1,000", "1,234,567", "−20,000"]


def test_values_too_large_to_print_exactly_are_missing_not_wrong() -> None:
    assert format_money(1e20, currency="EUR") == MISSING


@settings(deadline=None, max_examples=60)  # a Polars call per example: slow on a busy machine
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_counts_match_python_grouping(n: int) -> None:
    assert format_count(n) == f"{n:,}".replace("-", "−")


@settings(deadline=None, max_examples=60)  # a Polars call per example: slow on a busy machine
@given(st.integers(min_value=0, max_value=10**12))
def test_money_of_whole_cents_is_exact(cents: int) -> None:
    assert format_money(cents / 100, currency="USD") == f"${cents // 100:,}.{cents % 100:02d}"


_UNIT = {"s": 1, "min": 60, "h": 3600, "d": 86400}


@settings(deadline=None, max_examples=60)  # a Polars call per example: slow on a busy machine
@given(st.floats(min_value=0.5, max_value=1e9, allow_nan=False))
def test_a_duration_reads_back_within_half_its_smallest_unit(seconds: float) -> None:
    text = format_duration(seconds)
    parts = re.fullmatch(r"([\d,]+) (s|min|h|d)(?: (\d+) (s|min|h))?", text)
    assert parts, text
    big, big_unit, small, small_unit = parts.groups()
    back = int(big.replace(",", "")) * _UNIT[big_unit] + (int(small) * _UNIT[small_unit] if small else 0)
    smallest = _UNIT[small_unit] if small_unit else {"s": 1, "min": 1, "h": 60, "d": 3600}[big_unit]
    assert abs(back - seconds) <= smallest / 2 + 1e-6
    if small:  # the smaller unit never spills over into the bigger one
        assert int(small) * _UNIT[small_unit] < _UNIT[big_unit]


@settings(deadline=None, max_examples=60)  # a Polars call per example: slow on a busy machine
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), max_size=20))
def test_every_value_gets_a_text_and_the_column_keeps_its_length(values: list[float | None]) -> None:
    series = pl.Series(values, dtype=pl.Float64)
    for expr in (count_text, percent_text, duration_text):
        texts = _texts(expr(pl.lit(series)))
        assert len(texts) == len(values) and all(isinstance(t, str) and t and t != "None" for t in texts)


def test_plain_names() -> None:
    assert [plain_name(c) for c in ("conversion_from_start", "rows_read", "event_params.page_location", "Kauf")] == [
        "Conversion from start", "Rows read", "Event params page location", "Kauf"]


def test_the_currency_comes_from_the_data_when_it_names_one() -> None:
    events = pl.DataFrame({"revenue": [None, 9.5, 3.0], "event_params.currency": ["EUR", "usd", " USD "]})
    assert detect_currency(events) == "USD"  # read on the rows with revenue only
    mixed = events.with_columns(pl.Series("event_params.currency", [None, "USD", "EUR"]))
    assert detect_currency(mixed) is None
    assert detect_currency(pl.DataFrame({"revenue": [1.0]})) is None
