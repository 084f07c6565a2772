from __future__ import annotations

import csv
import io

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ingest import load_events
from analysis.ingest._report import FileReport, LoadReport, protect_formulas


def test_rejected_rows_csv_protects_every_formula_trigger() -> None:
    triggers = ["=HYPERLINK(\"x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "\0x"]
    frame = pl.DataFrame({"text": triggers, "n": list(range(-3, 4))})
    rows = list(csv.DictReader(io.StringIO(LoadReport(files=[], rejected_rows=frame).rejected_rows_csv()
                                           .decode())))
    assert all(r["text"].startswith("'") for r in rows)
    assert [r["n"] for r in rows] == ["-3", "-2", "-1", "0", "1", "2", "3"]


def test_protect_formulas_leaves_numbers_and_plain_text() -> None:
    out = protect_formulas(pl.DataFrame({"t": ["ok", "=1", None], "f": [-1.5, 2.0, 3.0]}))
    assert out.to_dict(as_series=False) == {"t": ["ok", "'=1", None], "f": [-1.5, 2.0, 3.0]}


def test_summary_and_reasons_frames() -> None:
    result = load_events(("x.csv", b"user_id,timestamp,event\nu,2025-01-01T00:00:00Z,a\n,2025-01-01T00:00:00Z,b\n"),
                         max_rejected_share=1)
    report = result.report
    assert report.summary().select("rows_read", "kept", "rejected").row(0) == (2, 1, 1)
    assert report.reasons().row(0) == ("x.csv", "rejected", "no user_id or anonymous_id", 1, 3, "user_id", None)


def test_report_totals_add_up_over_files() -> None:
    files = [FileReport(file="a", rows_read=5, kept=3, repaired=1, rejected=1),
             FileReport(file="b", rows_read=2, kept=2)]
    report = LoadReport(files=files)
    assert (report.rows_read, report.kept, report.repaired, report.rejected) == (7, 5, 1, 1)


cells = st.sampled_from(["u1", "u2", "", "null", "x\x01y", "=1"])
stamps = st.sampled_from(["2025-03-30 02:30:00", "2025-03-01 10:00:00", "bad", "", "2025-10-26 02:30:00"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(cells, stamps, st.sampled_from(["view", "", "buy"])), min_size=1, max_size=25))
def test_rows_read_always_equals_kept_plus_repaired_plus_rejected(rows: list[tuple[str, str, str]]) -> None:
    rows = [("u0", "2025-03-01 09:00:00", "view"), *rows]  # the column always has one readable timestamp
    body = "\n".join(",".join(r) for r in rows)
    result = load_events(("p.csv", f"user_id,timestamp,event\n{body}\n".encode()), timezone="Europe/Berlin",
                         max_rejected_share=1.0)
    f = result.report.files[0]
    blank = sum(1 for r in rows if r == ("", "", ""))
    assert f.rows_read == len(rows) - blank
    assert f.rows_read == f.kept + f.repaired + f.rejected
    assert result.events.height == f.kept + f.repaired
    assert sum(f.rejected_by_reason.values()) == f.rejected


def test_mappings_frame_lists_each_files_choices() -> None:
    report = LoadReport(files=[FileReport(file="a.csv", mapping={"user_id": "Kunde", "event": "Ereignis"})])
    assert report.mappings().rows() == [("a.csv", "user_id", "Kunde"), ("a.csv", "event", "Ereignis")]
