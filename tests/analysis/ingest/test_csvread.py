from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.errors import IngestError
from analysis.ingest._csvread import LINE, read_raw, unique_names
from analysis.ingest._sniff import sniff_csv


def raw(text: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    d = sniff_csv(text.encode(), "x.csv")
    got = read_raw(d, "x.csv")
    return got.frame, got.ragged, got.blank_lines


def test_everything_is_read_as_string_keeping_leading_zeros() -> None:
    frame, _, _ = raw("id,n\n00123,1.50\n")
    assert_frame_equal(frame, pl.DataFrame({LINE: [2], "id": ["00123"], "n": ["1.50"]}))


def test_ragged_rows_are_set_aside_with_their_lines() -> None:
    frame, ragged, _ = raw("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    assert frame[LINE].to_list() == [2, 5]
    assert_frame_equal(ragged, pl.DataFrame({LINE: [3, 4], "fields": [2, 4]}))


def test_multiline_quoted_field_keeps_true_line_numbers() -> None:
    frame, ragged, _ = raw('a,b\n"x\ny",1\n2,3\n4\n')
    assert frame.to_dicts() == [{LINE: 2, "a": "x\ny", "b": "1"}, {LINE: 4, "a": "2", "b": "3"}]
    assert ragged.to_dicts() == [{LINE: 5, "fields": 1}]


def test_unterminated_quote_names_the_line() -> None:
    d = sniff_csv(b'a,b\n1,2\n3,"4\n5,6\n', "x.csv")
    with pytest.raises(IngestError, match=r"x\.csv, line 3: a quoted field is broken .*never closed"):
        read_raw(d, "x.csv")


def test_blank_lines_are_skipped_and_counted() -> None:
    frame, _, blank = raw("a,b\r\n1,2\r\n\r\n3,4\r\n")
    assert (frame[LINE].to_list(), blank) == ([2, 4], 1)


def test_preamble_lines_shift_line_numbers() -> None:
    frame, _, _ = raw("sep=;\na;b\n1;2\n")
    assert frame[LINE].to_list() == [3]


def test_unique_names() -> None:
    assert unique_names(["a", "a", "", "b"]) == ["a", "a (2)", "column_3", "b"]


def test_line_numbers_are_exact_when_every_row_is_one_line() -> None:
    d = sniff_csv(b"a,b\n1,2\n3,4\n", "x.csv")
    assert read_raw(d, "x.csv").exact_lines


def test_quoted_line_breaks_on_the_fast_path_are_flagged() -> None:
    got = read_raw(sniff_csv(b'a,b\n"x\ny",2\n3,4\n', "x.csv"), "x.csv")
    assert (got.exact_lines, got.frame[LINE].to_list()) == (False, [2, 3])
