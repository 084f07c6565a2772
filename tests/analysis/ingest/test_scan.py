from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.ingest._parse import CONTROL_CHARS, MISSING_TOKENS
from analysis.ingest._scan import StringScan, scan_strings


@pytest.mark.parametrize(
    ("value", "blanks"),
    [(" a", True), ("a ", True), ("\xa0a", True), ("a\xa0", True), ("a b", False), ("a\xa0b", False),
     ("\xa0", True), (" ", True), ("", False), ("é", False), ("\u20a0", False), ("a\t", False)],
)
def test_blanks_are_a_leading_or_trailing_space_or_nbsp_only(value: str, blanks: bool) -> None:
    df = pl.DataFrame({"v": ["x", None, value, "y"]})
    assert scan_strings(df, blanks=["v"], controls=False).blanks == (("v",) if blanks else ())


@pytest.mark.parametrize("token", ["null", "NaN", "N/A", "undefined", ""])
def test_missing_tokens_are_found_whole_values_only(token: str) -> None:
    df = pl.DataFrame({"a": ["x", token], "b": ["x", f"{token}!"]})
    assert scan_strings(df, tokens=["a", "b"]).tokens == ("a",)


@pytest.mark.parametrize(("value", "found"), [("a\x00", True), ("\x1fb", True), ("a\x7f", True), ("\x0b", True),
                                              ("a\tb", False), ("a\r\nb", False), ("ü\x80", False)])
def test_control_characters_except_tab_and_newlines(value: str, found: bool) -> None:
    df = pl.DataFrame({"v": ["ok", value, None]})
    assert scan_strings(df).controls == (("v",) if found else ())


def test_controls_can_be_skipped_and_non_string_columns_are_never_asked() -> None:
    df = pl.DataFrame({"s": ["\x00+ ", "null"], "n": [1, 2]})
    assert scan_strings(df, controls=False) == StringScan(blanks=(), tokens=(), controls=(), plus=())
    assert scan_strings(df, blanks=["s", "n"], tokens=["s", "n"], plus=["s", "n"]) == StringScan(
        blanks=("s",), tokens=("s",), controls=("s",), plus=("s",))


def test_plus_is_asked_only_of_the_named_columns() -> None:
    df = pl.DataFrame({"id": ["1,23E+17", "7"], "other": ["+", "+"]})
    assert scan_strings(df, plus=["id"], controls=False).plus == ("id",)


def test_several_chunks_and_sliced_frames_are_all_scanned() -> None:
    df = pl.concat([pl.DataFrame({"v": ["a", "b"]}), pl.DataFrame({"v": ["c ", "d\x01"]})], rechunk=False)
    assert df["v"].n_chunks() == 2
    assert scan_strings(df, blanks=["v"]) == StringScan(blanks=("v",), tokens=(), controls=("v",), plus=())
    assert scan_strings(df.slice(0, 2), blanks=["v"]) == StringScan(blanks=(), tokens=(), controls=(), plus=())


def test_empty_and_all_null_columns() -> None:
    empty = pl.DataFrame({"e": pl.Series([], dtype=pl.String)})
    nulls = pl.DataFrame({"n": pl.Series([None, None], dtype=pl.String)})
    assert scan_strings(empty, blanks=["e"], tokens=["e"]) == StringScan(blanks=(), tokens=(), controls=(), plus=())
    assert scan_strings(nulls, blanks=["n"], tokens=["n"], plus=["n"]) == StringScan(
        blanks=(), tokens=(), controls=(), plus=())


@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \xa0\x00\x1f\x7f\t\r\n+aé€", max_size=4)), max_size=8))
def test_scan_agrees_with_per_value_string_expressions(values: list[str | None]) -> None:
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    v = pl.col("v")
    blank = pl.any_horizontal(v.str.starts_with(" "), v.str.ends_with(" "), v.str.starts_with("\xa0"),
                              v.str.ends_with("\xa0"))
    expected = df.select(blank.any().alias("b"), v.is_in(MISSING_TOKENS).any().alias("m"),
                         v.str.contains(CONTROL_CHARS).any().alias("c"),
                         v.str.contains("+", literal=True).any().alias("p")).row(0)
    got = scan_strings(df, blanks=["v"], tokens=["v"], plus=["v"])
    assert tuple(f == ("v",) for f in (got.blanks, got.tokens, got.controls, got.plus)) == expected
