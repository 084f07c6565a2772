"""The ceiling API readers share: rows, decoded bytes, the streaming expansion budget and line lengths."""

from __future__ import annotations

import gzip
import zlib

import pytest

from analysis.errors import LimitError
from analysis.ingest import load_events
from analysis.ingest._limits import (
    CountingReader,
    ExpansionBudget,
    Limits,
    check_decoded,
    check_line_lengths,
    check_rows,
    read_bounded,
)
from tests.analysis.ingest.files import events_csv


def test_rows_over_the_ceiling_name_the_limit_and_the_app_setting() -> None:
    check_rows(10, name="a.csv", limits=Limits(max_rows=10))
    with pytest.raises(LimitError, match=r"^a\.csv holds 11 rows, more than the limit of 10 rows \(max_rows\)\. "
                       r"Split the export \(by date\), or raise the limit: the app's JOURNEYLENS_MAX_ROWS setting "
                       r"or Limits\(max_rows=\.\.\.\) in the library\.$") as info:
        check_rows(11, name="a.csv", limits=Limits(max_rows=10))
    assert info.value.limit == "max_rows"


def test_decoded_bytes_over_the_ceiling() -> None:
    check_decoded(1024, name="a", limits=Limits(max_bytes=1024))
    with pytest.raises(LimitError, match=r"^a decodes to 2 KiB, more than the limit of 1 KiB \(max_bytes\)"):
        check_decoded(2048, name="a", limits=Limits(max_bytes=1024))


def test_expansion_budget_judges_the_ratio_only_above_the_floor() -> None:
    budget = ExpansionBudget("x.gz", Limits(max_ratio=10, expansion_floor=1000, max_bytes=10_000))
    budget.charge(decoded=1000, consumed=1)
    budget.charge(decoded=5000, consumed=500)
    with pytest.raises(LimitError, match="expands more than 10x") as info:
        budget.charge(decoded=5001, consumed=500)
    assert info.value.limit == "max_ratio"
    with pytest.raises(LimitError, match=r"expands to more than 9\.77 KiB") as info:
        budget.charge(decoded=10_001, consumed=10_000)
    assert info.value.limit == "max_bytes"


def test_read_bounded_counts_the_compressed_bytes_consumed() -> None:
    text = b"".join(f"{i},{i * 7919 % 1000003}\n".encode() for i in range(200_000))
    source = CountingReader(gzip.compress(text))
    out = read_bounded(gzip.GzipFile(fileobj=source), ExpansionBudget("t.gz"), lambda: source.consumed)
    assert out == text
    assert source.consumed == len(gzip.compress(text))


def test_read_bounded_refuses_a_raw_deflate_stream_fed_through_any_reader() -> None:
    payload = zlib.compress(b"\0" * (64 * 1024**2))
    source = CountingReader(payload)

    class Inflate:
        def __init__(self) -> None:
            self.z = zlib.decompressobj()

        def read(self, size: int = -1, /) -> bytes:
            return self.z.decompress(source.read(4096), size) if not self.z.eof else b""

    with pytest.raises(LimitError, match="decompression bomb"):
        read_bounded(Inflate(), ExpansionBudget("raw", Limits(expansion_floor=1024**2)), lambda: source.consumed)


@pytest.mark.parametrize(("data", "line"), [
    (b"x" * 100, 1), (b"a\n" + b"x" * 100, 2), (b"a\nb\n" + b"x" * 100 + b"\nc\n", 3),
    (b"a\n" * 50 + b"x" * 33 + b"\n", 51),
])
def test_an_overlong_line_is_found_with_its_number(data: bytes, line: int) -> None:
    with pytest.raises(LimitError, match=rf"^f, line {line}: a line longer than the limit of 32 bytes"):
        check_line_lengths(data, name="f", limits=Limits(max_line_bytes=32))


@pytest.mark.parametrize("data", [b"x" * 32, b"x" * 32 + b"\n" + b"y" * 32, (b"x" * 31 + b"\n") * 100, b""])
def test_lines_up_to_the_limit_pass(data: bytes) -> None:
    check_line_lengths(data, name="f", limits=Limits(max_line_bytes=32))


def test_csv_rows_ceiling_is_checked_before_parsing() -> None:
    with pytest.raises(LimitError, match=r"^e\.csv holds 3 rows, more than the limit of 2 rows"):
        load_events(("e.csv", events_csv(3)), limits=Limits(max_rows=2))
    assert load_events(("e.csv", events_csv(2)), limits=Limits(max_rows=2)).report.kept == 2


def test_csv_decoded_size_counts_the_cells() -> None:
    data = events_csv(3)  # 3 rows x 3 columns: the text plus 16 bytes per cell
    size = len(data) + 16 * 9
    assert load_events(("e.csv", data), limits=Limits(max_bytes=size)).report.kept == 3
    with pytest.raises(LimitError, match=r"^e\.csv decodes to"):
        load_events(("e.csv", data), limits=Limits(max_bytes=size - 1))


def test_csv_line_cap_applies_before_the_reader() -> None:
    data = events_csv(1) + b"u9,2025-01-01T00:00:00Z," + b"e" * 5000 + b"\n"
    with pytest.raises(LimitError, match=r"^e\.csv, line 3: a line longer than the limit of 1,024 bytes"):
        load_events(("e.csv", data), limits=Limits(max_line_bytes=1024))
