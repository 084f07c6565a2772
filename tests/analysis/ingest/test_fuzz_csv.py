"""CSV fuzzing: structured files whose fate per row is known, and byte mutations of honest files.

Invariant for every case: an IngestError, or a load whose rows read = kept + repaired + rejected and whose
loaded rows are exactly the valid input rows. A few hundred cases by default; ``-m slow`` runs thousands.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import IngestError
from tests.analysis.ingest.fuzz import assert_accounted, outcome

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Row kinds and their fate: kept, repaired (with reason) or rejected (with reason).
FATES = {"valid": ("kept", None), "leap": ("repaired", "leap_second"), "control": ("repaired", "control_chars"),
         "bad_ts": ("rejected", "bad_timestamp"), "no_id": ("rejected", "missing_id"),
         "no_event": ("rejected", "missing_event"), "short": ("rejected", "ragged"), "long": ("rejected", "ragged"),
         "neg_epoch": ("rejected", "bad_timestamp")}
TEXT = st.text(st.sampled_from("abcXYZ019 _-.äöüßé€Ω中🙂'"), min_size=1, max_size=8).filter(lambda s: s.strip() == s)


@dataclass(frozen=True)
class Row:
    kind: str
    user: str
    when: datetime
    style: int
    event: str


@st.composite
def rows(draw: st.DrawFn) -> list[Row]:
    n = draw(st.integers(1, 25))
    kinds = draw(st.lists(st.sampled_from(list(FATES)), min_size=n, max_size=n))
    if "valid" not in kinds:
        kinds[0] = "valid"  # a timestamp format must be found in the sample
    out = []
    for i, kind in enumerate(kinds):
        when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 10**8)))
        out.append(Row(kind, f"{draw(TEXT)}{i}", when.replace(microsecond=0), draw(st.integers(0, 3)),
                       f"{draw(TEXT)}{i}"))
    return out


def _stamp(row: Row) -> str:
    if row.kind == "leap":
        return "2016-12-31T23:59:60Z"
    if row.kind == "bad_ts":
        return "31st of never"
    if row.kind == "neg_epoch":
        return "-1700000000"
    at = row.when
    return [at.strftime("%Y-%m-%dT%H:%M:%SZ"), at.astimezone(timezone(timedelta(hours=2))).isoformat(),
            at.strftime("%Y-%m-%d %H:%M:%S+00:00"), at.strftime("%Y-%m-%dT%H:%M:%S.000000+0000")][row.style]


def _fields(row: Row) -> list[str]:
    user = "" if row.kind == "no_id" else row.user
    event = "" if row.kind == "no_event" else row.event + ("\x01" if row.kind == "control" else "")
    fields = [user, _stamp(row), event]
    if row.kind == "short":
        return fields[:2]
    if row.kind == "long":
        return [*fields, "extra"]
    return fields


def _expected(row: Row) -> tuple[str, datetime, str]:
    when = datetime(2017, 1, 1, tzinfo=UTC) if row.kind == "leap" else row.when
    return (row.user, when, row.event)


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    newline: str
    encoding: str
    quote_all: bool


DIALECTS = st.builds(Dialect, st.sampled_from([",", ";", "\t", "|"]), st.sampled_from(["\n", "\r\n"]),
                     st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"]), st.booleans())


def _render(table: list[Row], d: Dialect) -> bytes | None:
    def cell(value: str) -> str:
        return f'"{value}"' if d.quote_all and value else value
    lines = [d.delimiter.join(cell(h) for h in ("user_id", "timestamp", "event"))]
    lines += [d.delimiter.join(cell(v) for v in _fields(r)) for r in table]
    text = d.newline.join(lines) + d.newline
    try:
        return text.encode(d.encoding)
    except UnicodeEncodeError:
        return None  # cp1252 cannot hold every character drawn


def _check_structured(table: list[Row], d: Dialect) -> None:
    data = _render(table, d)
    if data is None:
        return
    got = outcome("fuzz.csv", data)
    if isinstance(got, IngestError):
        # only whole-file reasons may fail such a file: no readable timestamp format in the sample
        assert "is not a supported timestamp" in str(got) or "epoch" in str(got), str(got)
        return
    assert_accounted(got)
    f = got.report.files[0]
    expected_reject: dict[str, int] = {}
    expected_repair: dict[str, int] = {}
    for r in table:
        fate, reason = FATES[r.kind]
        if fate == "rejected":
            expected_reject[reason] = expected_reject.get(reason, 0) + 1  # type: ignore[index]
        elif fate == "repaired":
            expected_repair[reason] = expected_repair.get(reason, 0) + 1  # type: ignore[index]
    assert f.rejected_by_reason == expected_reject, (f.rejected_by_reason, table)
    assert f.repaired_by_reason == expected_repair, (f.repaired_by_reason, table)
    loaded = sorted(got.events.select("user_id", "timestamp", "event").iter_rows())
    assert loaded == sorted(_expected(r) for r in table if FATES[r.kind][0] != "rejected")


@FAST
@given(rows(), DIALECTS)
def test_structured_csv_rows_have_their_known_fate(table: list[Row], d: Dialect) -> None:
    _check_structured(table, d)


@pytest.mark.slow
@SLOW
@given(rows(), DIALECTS)
def test_structured_csv_rows_have_their_known_fate_thousands(table: list[Row], d: Dialect) -> None:
    _check_structured(table, d)


#: Bytes a mutation inserts: delimiters, quotes, line ends, NUL, invalid UTF-8, BOMs, NEL and friends.
NASTY = [b",", b";", b"\t", b"|", b'"', b"\n", b"\r", b"\r\n", b"\0", b"\xff", b"\xc3", b"\xef\xbb\xbf",
         b"\xff\xfe", b"\xc2\x85", b"\xe2\x80\xa8", b"\x0b", b"\x0c", b"\x1d\x1e\x1f", b"x" * 70_000,
         b":60", b"-", b"e+17", codecs.BOM_UTF32_LE]
HONEST = ("user_id,timestamp,event,revenue\n" + "".join(
    f"u{i},2025-03-0{1 + i % 9}T1{i % 10}:00:0{i % 10}Z,ev{i % 4},{i}.5\n" for i in range(30))).encode()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(HONEST)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "replace", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(NASTY))
        elif op == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif op == "truncate":
            del data[at:]
        else:
            end = data.find(b"\n", at)
            data[at:at] = data[at:end + 1] if end >= 0 else b""
    return bytes(data)


def _check_mutated(data: bytes) -> None:
    got = outcome("mutated.csv", data)
    if not isinstance(got, IngestError):
        assert_accounted(got)


@FAST
@given(mutated())
def test_mutated_csv_bytes_fail_cleanly_or_are_accounted(data: bytes) -> None:
    _check_mutated(data)


@pytest.mark.slow
@SLOW
@given(mutated())
def test_mutated_csv_bytes_fail_cleanly_or_are_accounted_thousands(data: bytes) -> None:
    _check_mutated(data)
