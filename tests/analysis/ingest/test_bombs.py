"""Memory bombs from the issue-15 attack, generated here (small on disk), each loaded in a fresh process.

Each must fail with a LimitError within a few CPU seconds at a peak RSS under 1 GB (the child's VmHWM, which
includes the interpreter, Polars and the bomb's own bytes). CPU time, not wall time: a loaded machine stretches the
wall clock, while a bomb that is not stopped early spends CPU on it whatever the load.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[3]
PEAK_MB = 1024
SECONDS = 5.0

_CHILD = r"""
import json, sys, time
from pathlib import Path
from analysis.errors import IngestError, LimitError
from analysis.ingest import load_events

path = Path(sys.argv[1])
data = path.read_bytes()  # as an upload: the bytes are in memory before the load starts
start = time.process_time()
try:
    load_events((path.name, data))
    outcome = {"error": None}
except LimitError as exc:
    outcome = {"error": "LimitError", "limit": exc.limit, "message": str(exc)}
except IngestError as exc:
    outcome = {"error": "IngestError", "message": str(exc)}
outcome["seconds"] = time.process_time() - start
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        outcome["peak_mb"] = int(line.split()[1]) / 1024
print(json.dumps(outcome))
"""


def _load_in_child(arg: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _CHILD, arg], capture_output=True, text=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _assert_refused(out: dict[str, object], limit: str) -> None:
    print(out["limit"], f"{float(out['seconds']):.2f} s", f"{float(out['peak_mb']):.0f} MB")  # type: ignore[arg-type]
    assert out["error"] == "LimitError", out
    assert out["limit"] == limit, out
    assert float(out["seconds"]) < SECONDS, out  # type: ignore[arg-type]
    assert float(out["peak_mb"]) < PEAK_MB, out  # type: ignore[arg-type]


def _gzip_repeated(block: bytes, total: int) -> bytes:
    """A gzip file of ``total`` bytes: one compressed member of ``block`` repeated (readers take members in turn)."""
    member = gzip.compress(block, compresslevel=9)
    return member * (total // len(block))


def _dictionary_parquet(path: Path, *, rows: int, length: int, statistics: bool) -> None:
    """``rows`` rows whose id and event are one ``length``-character text, dictionary-encoded: tiny on disk."""
    column = pa.DictionaryArray.from_arrays(pa.nulls(rows, pa.int32()).fill_null(0), pa.array(["x" * length]))
    times = pa.DictionaryArray.from_arrays(pa.nulls(rows, pa.int32()).fill_null(0), pa.array(["2025-01-01T00:00:00Z"]))
    table = pa.table({"user_id": column, "timestamp": times, "event": column})
    pq.write_table(table, path, compression="zstd", store_schema=False, write_statistics=statistics)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bombs")


def test_parquet_dictionary_bomb_is_refused_from_its_metadata(bombs: Path) -> None:
    path = bombs / "dict.parquet"
    _dictionary_parquet(path, rows=10_000_000, length=300, statistics=True)
    assert path.stat().st_size < 1024**2
    out = _load_in_child(str(path))
    _assert_refused(out, "max_bytes")
    assert "declares data that decodes to about" in str(out["message"])


def test_parquet_dictionary_bomb_without_statistics_is_refused_after_a_view_read(bombs: Path) -> None:
    path = bombs / "nostats.parquet"
    _dictionary_parquet(path, rows=10_000_000, length=300, statistics=False)
    assert path.stat().st_size < 1024**2
    _assert_refused(_load_in_child(str(path)), "max_bytes")


def test_gzip_of_valid_rows_expanding_340x_is_refused(bombs: Path) -> None:
    rows = "".join(f"u{i % 50},2025-01-01T00:{i % 60:02d}:00Z,page_view\n" for i in range(3000))
    block = ("user_id,timestamp,event\n" + rows * 400).encode()
    data = _gzip_repeated(block, 501 * 1024**2)
    path = bombs / "rows.csv.gz"
    path.write_bytes(data)
    assert len(data) < 4 * 1024**2
    _assert_refused(_load_in_child(str(path)), "max_ratio")


def test_large_gzip_of_valid_rows_is_refused_as_fast(bombs: Path) -> None:
    block = ("user_id,timestamp,event\n" + "u1,2025-01-01T00:00:00Z,page_view\n" * 500_000).encode()
    path = bombs / "big.csv.gz"
    path.write_bytes(_gzip_repeated(block, 2 * 1024**3))
    assert path.stat().st_size < 8 * 1024**2
    _assert_refused(_load_in_child(str(path)), "max_ratio")


def test_gzip_of_one_gib_of_zeros_is_refused(bombs: Path) -> None:
    path = bombs / "zeros.csv.gz"
    path.write_bytes(_gzip_repeated(b"\0" * 16 * 1024**2, 1024**3))
    _assert_refused(_load_in_child(str(path)), "max_ratio")


def test_zip_of_256_mib_of_zeros_is_refused(bombs: Path) -> None:
    path = bombs / "zeros.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open("events.csv", "w") as member:
        chunk = b"\0" * 16 * 1024**2
        for _ in range(16):
            member.write(chunk)
    assert path.stat().st_size < 4 * 1024**2
    _assert_refused(_load_in_child(str(path)), "max_ratio")


def test_csv_with_one_500_mb_line_is_refused_before_parsing(bombs: Path) -> None:
    path = bombs / "long.csv"
    with path.open("wb") as f:  # the line's text, then a hole: 500 MB in the file, a few KB on disk
        f.write(b"user_id,timestamp,event\nu1,2025-01-01T00:00:00Z," + b"x" * 16384)
        f.truncate(500 * 1024**2)
        f.seek(0, 2)
        f.write(b"\n")
    out = _load_in_child(str(path))
    _assert_refused(out, "max_line_bytes")
    assert str(out["message"]).startswith("long.csv, line 2: a line longer than the limit")
