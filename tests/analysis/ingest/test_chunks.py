from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from analysis.ingest._chunks import align_chunks


def chunked(name: str, *parts: list[object]) -> pl.Series:
    return pl.concat([pl.Series(name, p) for p in parts], rechunk=False)


def test_coarser_columns_take_the_finest_layout_without_changing_values() -> None:
    df = pl.DataFrame([chunked("a", [1, 2], [3], [4, 5]), chunked("b", ["x", "y", "z"], ["u", "v"]),
                       pl.Series("c", [None] * 5, dtype=pl.String)])
    out = align_chunks(df)
    assert_frame_equal(out, df)
    assert [[c.len() for c in out[col].get_chunks()] for col in out.columns] == [[2, 1, 2]] * 3


def test_aligned_empty_and_single_column_frames_are_returned_as_they_are() -> None:
    df = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert align_chunks(df) is df
    assert_frame_equal(align_chunks(df.clear()), df.clear())
    one = pl.DataFrame([chunked("a", [1], [2])])
    assert align_chunks(one) is one


def test_a_column_the_finest_layout_does_not_refine_keeps_its_values() -> None:
    df = pl.DataFrame([chunked("a", [1, 2], [3, 4]), chunked("b", [1], [2, 3, 4]), chunked("c", [1, 2, 3], [4])])
    assert_frame_equal(align_chunks(df), df)
