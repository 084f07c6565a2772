"""Parquet schema fuzzing: base columns of usable or unusable types, extra columns of every kind.

Invariant: an IngestError (never a reader error for the types drawn here: each has a specific message), or a
load whose rows read = kept + repaired + rejected and whose events are exactly the input rows.
"""

from __future__ import annotations

import decimal
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import IngestError
from tests.analysis.ingest.fuzz import assert_accounted, outcome

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = datetime(2025, 1, 1, tzinfo=UTC)


def _extra(kind: str, n: int) -> pa.Array:
    """An extra column of ``kind`` with ``n`` values (some null)."""
    pick = [i % 3 != 2 for i in range(n)]
    values = {
        "int8": (pa.int8(), lambda i: i % 100), "uint64": (pa.uint64(), lambda i: i),
        "float32": (pa.float32(), lambda i: i / 4), "float64": (pa.float64(), lambda i: i * 1.5),
        "decimal": (pa.decimal128(10, 2), lambda i: decimal.Decimal(i) / 4),
        "date": (pa.date32(), lambda i: date(2025, 1, 1) + timedelta(days=i)),
        "time": (pa.time64("us"), lambda i: time(i % 24, 0)), "duration": (pa.duration("ms"), timedelta),
        "datetime_tz": (pa.timestamp("ms", tz="+05:30"), lambda i: START + timedelta(hours=i)),
        "bool": (pa.bool_(), lambda i: i % 2 == 0), "string": (pa.string(), lambda i: f"s{i}ü"),
        "binary": (pa.binary(), lambda i: f"b{i}".encode()),
        "large_string": (pa.large_string(), lambda i: f"L{i}"),
        "struct": (pa.struct([("a", pa.int64()), ("b", pa.string())]), lambda i: {"a": i, "b": f"x{i}"}),
        "list_str": (pa.list_(pa.string()), lambda i: [f"t{i}", "u"]),
        "list_int": (pa.list_(pa.int32()), lambda i: [i]),
    }
    if kind == "null":
        return pa.nulls(n)
    if kind in ("categorical", "enum"):
        cats = pa.array([f"c{i % 3}" if p else None for i, p in zip(range(n), pick, strict=True)]).dictionary_encode()
        # an ordered dictionary is what an Enum column is written as
        return pa.DictionaryArray.from_arrays(cats.indices, cats.dictionary, ordered=kind == "enum")
    typ, make = values[kind]
    return pa.array([make(i) if p else None for i, p in zip(range(n), pick, strict=True)], typ)


EXTRA_KINDS = ["int8", "uint64", "float32", "float64", "decimal", "date", "time", "duration", "datetime_tz", "bool",
               "string", "binary", "large_string", "struct", "list_str", "list_int", "null", "categorical", "enum"]

#: Timestamp encodings that hold the instant START + i hours, and the ones that cannot be a timestamp.
GOOD_TS = ["ts_us_utc", "ts_ms_naive", "ts_ns_berlin", "ts_us_offset", "iso_text", "epoch_s", "epoch_ms", "ts_cat"]
BAD_TS = ["time", "duration", "bool", "list"]
GOOD_ID = ["string", "int64", "categorical", "large_string", "binary"]
BAD_ID = ["list", "struct_id"]


def _timestamps(kind: str, n: int) -> pa.Array:
    instants = [START + timedelta(hours=i) for i in range(n)]
    micros = [int(t.timestamp()) * 1_000_000 for t in instants]
    if kind == "ts_us_utc":
        return pa.array(micros, pa.timestamp("us", tz="UTC"))
    if kind == "ts_ms_naive":
        return pa.array([m // 1000 for m in micros], pa.timestamp("ms"))
    if kind == "ts_ns_berlin":
        return pa.array([m * 1000 for m in micros], pa.timestamp("ns", tz="Europe/Berlin"))
    if kind == "ts_us_offset":
        return pa.array(micros, pa.timestamp("us", tz="-03:00"))
    if kind == "iso_text":
        return pa.array([t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in instants])
    if kind == "ts_cat":
        return pa.array([t.strftime("%Y-%m-%dT%H:%M:%S+00:00") for t in instants]).dictionary_encode()
    if kind == "epoch_s":
        return pa.array([m // 1_000_000 for m in micros], pa.int64())
    if kind == "epoch_ms":
        return pa.array([m // 1000 for m in micros], pa.int64())
    if kind == "time":
        return pa.array([time(i % 24) for i in range(n)], pa.time64("us"))
    if kind == "duration":
        return pa.array([timedelta(hours=i) for i in range(n)], pa.duration("s"))
    if kind == "bool":
        return pa.array([True] * n)
    return pa.array([[t.isoformat()] for t in instants])


def _ids(kind: str, n: int) -> pa.Array:
    if kind == "int64":
        return pa.array(list(range(1, n + 1)), pa.int64())
    if kind == "categorical":
        return pa.array([str(i + 1) for i in range(n)]).dictionary_encode()
    if kind == "large_string":
        return pa.array([str(i + 1) for i in range(n)], pa.large_string())
    if kind == "binary":
        return pa.array([str(i + 1).encode() for i in range(n)], pa.binary())
    if kind == "list":
        return pa.array([[str(i + 1)] for i in range(n)])
    if kind == "struct_id":
        return pa.array([{"a": str(i + 1)} for i in range(n)])
    return pa.array([str(i + 1) for i in range(n)])


@dataclass(frozen=True)
class Case:
    rows: int
    ts: str
    ids: str
    extras: tuple[str, ...]
    duplicate: bool
    row_group: int


CASES = st.builds(
    Case, rows=st.sampled_from([0, 1, 7, 40]), ts=st.sampled_from(GOOD_TS * 3 + BAD_TS),
    ids=st.sampled_from(GOOD_ID * 3 + BAD_ID), extras=st.lists(st.sampled_from(EXTRA_KINDS), max_size=12).map(tuple),
    duplicate=st.booleans(),
    row_group=st.sampled_from([1, 5, 1000]),
)


def _file(case: Case) -> bytes:
    n = case.rows
    arrays = [_ids(case.ids, n), _timestamps(case.ts, n), pa.array([f"ev{i % 4}" for i in range(n)])]
    names = ["user_id", "timestamp", "event"]
    for j, kind in enumerate(case.extras):
        arrays.append(_extra(kind, n))
        names.append(f"x{j}_{kind}")
    if case.duplicate:
        arrays.append(pa.array([f"d{i}" for i in range(n)]))
        names.append(names[-1])
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, names=names), buf, row_group_size=case.row_group)
    return buf.getvalue()


def _check(case: Case) -> None:
    got = outcome("fuzz.parquet", _file(case))
    usable = case.rows > 0 and not case.duplicate and case.ts in GOOD_TS and case.ids in GOOD_ID
    if isinstance(got, IngestError):
        assert "could not be read: the reader stopped on it" not in str(got), str(got)  # every case is known
        assert not usable, str(got)
        return
    assert usable, case
    assert_accounted(got)
    f = got.report.files[0]
    assert (f.rows_read, f.kept, f.rejected) == (case.rows, case.rows, 0), f
    events = got.events.sort("timestamp")
    assert events["user_id"].to_list() == [str(i + 1) for i in range(case.rows)]
    assert events["timestamp"].to_list() == [START + timedelta(hours=i) for i in range(case.rows)]
    assert events["event"].to_list() == [f"ev{i % 4}" for i in range(case.rows)]


@FAST
@given(CASES)
def test_parquet_schemas_fail_specifically_or_load_exactly(case: Case) -> None:
    _check(case)


@pytest.mark.slow
@SLOW
@given(CASES)
def test_parquet_schemas_fail_specifically_or_load_exactly_thousands(case: Case) -> None:
    _check(case)


def test_many_columns_load() -> None:
    _check(Case(rows=3, ts="ts_us_utc", ids="string", extras=tuple(EXTRA_KINDS * 10), duplicate=False,
                row_group=2))
