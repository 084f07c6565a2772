"""Only IngestError leaves load_events: a panic or any reader error is turned into one naming the file."""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa
import pytest

from analysis.errors import IngestError, LimitError
from analysis.ingest import _files as files
from analysis.ingest import _load as load
from analysis.ingest import load_events, peek_columns
from analysis.ingest._boundary import check_timezone, reading
from tests.analysis.ingest.files import events_csv, parquet_bytes


def _raiser(exc: BaseException):  # type: ignore[no-untyped-def]
    def boom(*_args: object, **_kwargs: object) -> None:
        raise exc
    return boom


def test_a_rust_panic_in_a_reader_becomes_an_ingest_error_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    panic = pl.exceptions.PanicException("called `Option::unwrap()` on a `None` value: secret-cell-value")
    assert not isinstance(panic, Exception)  # it would pass every `except Exception`
    real = files.read_raw
    calls: list[str] = []

    def second_panics(d: object, name: str, **kwargs: object) -> object:
        calls.append(name)
        if len(calls) == 2:
            raise panic
        return real(d, name, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "read_raw", second_panics)
    with pytest.raises(IngestError, match=r"^web\.csv could not be read: the reader stopped on it \(PanicException\)"
                       ) as info:
        load_events([("ok.csv", events_csv()), ("web.csv", events_csv())])
    assert "secret-cell-value" not in str(info.value)  # the reader's text can hold data values
    assert info.value.__cause__ is panic


@pytest.mark.parametrize("exc", [pl.exceptions.SchemaError("s"), pl.exceptions.ComputeError("c"),
                                 pl.exceptions.DuplicateError("d"), KeyError("k"), OverflowError("o")])
def test_polars_arrow_and_other_errors_become_ingest_errors(monkeypatch: pytest.MonkeyPatch,
                                                           exc: BaseException) -> None:
    monkeypatch.setattr(files, "read_parquet_raw", _raiser(exc))
    data = parquet_bytes(pl.DataFrame({"user_id": ["u"], "timestamp": ["2025-01-01T00:00:00Z"], "event": ["x"]}))
    with pytest.raises(IngestError, match=rf"^e\.parquet could not be read: .*\({type(exc).__name__}\)"):
        load_events(("e.parquet", data))


def test_memory_error_becomes_a_limit_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "read_raw", _raiser(MemoryError()))
    with pytest.raises(LimitError, match=r"^big\.csv needs more memory than this machine has left") as info:
        load_events(("big.csv", events_csv()))
    assert info.value.limit == "max_bytes"


def test_peek_columns_has_the_same_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "sniff_csv", _raiser(pl.exceptions.PanicException("x")))
    with pytest.raises(IngestError, match=r"^a\.csv could not be read"):
        peek_columns(("a.csv", events_csv()))


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt), reading("a.csv"):
        raise KeyboardInterrupt


def test_ingest_errors_pass_unchanged() -> None:
    original = IngestError("a.csv, line 3: specific")
    with pytest.raises(IngestError) as info, reading("a.csv"):
        raise original
    assert info.value is original


def test_time_zone_suggestion() -> None:
    with pytest.raises(IngestError, match=r"did you mean 'Europe/Berlin'\?"):
        check_timezone("Europe/Berln")


def test_files_whose_columns_do_not_combine_get_a_message_naming_the_column() -> None:
    table = pa.table({"user_id": ["a"], "timestamp": ["2025-01-01T00:00:00Z"], "event": ["x"],
                      "x": pa.array([{"k": [1]}])})
    csv = b"user_id,timestamp,event,x.k\nu,2025-01-01T00:00:00Z,y,1\n"
    with pytest.raises(IngestError, match=r"^column 'x\.k' holds values of types that do not combine "
                       r"\(a\.parquet: List\(Int64\); c\.csv: String\)"):
        load_events([("a.parquet", parquet_bytes(table)), ("c.csv", csv)])


def test_a_real_polars_panic_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # Polars 2.1 panics reading a timestamp with a fixed-offset zone; the Parquet reader now avoids it, so the
    # old direct read stands in for any reader that meets a panic
    table = pa.table({"user_id": ["u"], "timestamp": pa.array([0], pa.timestamp("us", tz="+05:30")),
                      "event": ["x"]})
    data = parquet_bytes(table)
    with pytest.raises(pl.exceptions.PanicException):
        pl.read_parquet(io.BytesIO(data))
    monkeypatch.setattr(files, "read_parquet_raw", lambda payload, _name, **_kw: pl.read_parquet(io.BytesIO(payload)))
    with pytest.raises(IngestError, match=r"^tz\.parquet could not be read: the reader stopped on it "
                       r"\(PanicException\)") as info:
        load_events(("tz.parquet", data))
    assert isinstance(info.value.__cause__, pl.exceptions.PanicException)
