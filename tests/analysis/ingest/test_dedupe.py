from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from analysis.ingest import load_events
from analysis.ingest._csvread import LINE
from analysis.ingest._dedupe import FILE, any_repeated, dedupe, exact_duplicates
from analysis.ingest._report import FileReport


def test_exact_duplicates_marks_later_copies_only() -> None:
    df = pl.DataFrame({"a": ["x", "y", "x", "x"], "b": [1, 2, 1, 3]})
    assert_series_equal(exact_duplicates(df, ["a", "b"]), pl.Series([False, False, True, False]),
                        check_names=False)


def test_exact_duplicates_treats_nulls_as_equal() -> None:
    df = pl.DataFrame({"a": [None, None], "b": [1, 1]})
    assert exact_duplicates(df, ["a", "b"]).to_list() == [False, True]


def test_exact_duplicates_of_nothing() -> None:
    assert exact_duplicates(pl.DataFrame({"a": []}, schema={"a": pl.String}), ["a"]).len() == 0


def frame(ids: list[str | None], events: list[str], files: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"event": events, "$insert_id": ids, FILE: files, LINE: list(range(2, 2 + len(ids))),
                         "__jl_repair": [None] * len(ids)},
                        schema_overrides={FILE: pl.Int32, LINE: pl.Int64, "__jl_repair": pl.String})


def test_event_id_dedupes_even_when_other_fields_differ_and_counts_per_file() -> None:
    reports = [FileReport(file="a", rows_read=2, kept=2, mapping={"event_id": "$insert_id"}),
               FileReport(file="b", rows_read=2, kept=2, mapping={"event_id": "$insert_id"})]
    events = frame(["i1", "i2", "i1", None], ["view", "buy", "view (retry)", "x"], [0, 0, 1, 1])
    kept, dropped = dedupe(events, reports)
    assert kept["event"].to_list() == ["view", "buy", "x"]
    assert_frame_equal(dropped, pl.DataFrame({"file": ["b"], "line": [4],
                                              "reason": ["duplicate of an earlier event (same event id or "
                                                         "identical row)"]}))
    assert (reports[1].kept, reports[1].rejected, reports[1].rejected_by_reason) == (1, 1, {"duplicate": 1})
    assert reports[1].examples["duplicate"][0].value == "i1"


def test_rows_without_event_id_dedupe_on_the_whole_row() -> None:
    reports = [FileReport(file="a", rows_read=3, kept=3, mapping={"event_id": "$insert_id"})]
    kept, _ = dedupe(frame([None, None, None], ["x", "x", "y"], [0, 0, 0]), reports)
    assert kept["event"].to_list() == ["x", "y"]


@pytest.mark.parametrize(("values", "repeated"), [([], False), ([7], False), ([1, 2, 3], False), ([2, 1, 2], True),
                                                   ([0, 0], True), ([2**64 - 1, 0, 2**64 - 1], True)])
def test_any_repeated(values: list[int], repeated: bool) -> None:
    assert any_repeated(pl.Series(values, dtype=pl.UInt64)) is repeated


def test_a_repaired_row_dropped_as_duplicate_leaves_its_repair_reason_count() -> None:
    row = "\x00u0,2025-03-01T10:00:00Z,ev0\n"
    out = load_events(("d.csv", ("user_id,timestamp,event\n" + row + row + "u1,2025-03-01T10:00:00Z,ev1\n").encode()),
                      max_rejected_share=1.0)
    f = out.report.files[0]
    assert (f.kept, f.repaired, f.rejected) == (1, 1, 1)
    assert f.repaired_by_reason == {"control_chars": 1}
