"""The local dataset library: kept under an unguessable key, reopened whole, forgotten on request and in time."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.ingest import load_events
from analysis.sample import GERMAN_EXPORT_PATH
from ui import library

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYLENS_HOME", str(tmp_path))
    monkeypatch.delenv(library.KEEP_DAYS_ENV, raising=False)


def test_a_loaded_dataset_comes_back_whole_with_its_report() -> None:
    result = load_events(GERMAN_EXPORT_PATH)
    key = library.save(result.events, name="export.csv", digest="abc", report=result.report, now=NOW)
    got = library.open_dataset(key, now=NOW)
    assert got is not None
    assert (got.key, got.name, got.digest, got.conversion_events) == (key, "export.csv", "abc", None)
    assert_frame_equal(got.events, result.events)
    assert got.report is not None
    assert got.report.summary().equals(result.report.summary())
    assert got.report.mapping == result.report.mapping
    assert got.report.rejected_rows.equals(result.report.rejected_rows)
    assert [f.examples for f in got.report.files] == [f.examples for f in result.report.files]


def test_people_records_joined_to_the_events_come_back_with_them() -> None:
    events = pl.DataFrame({"user_id": ["u1"], "event": ["page_view"]})
    people = pl.DataFrame({"customer_id": ["K1"], "email": ["3f2a"], "Segment": ["Stammkunde"]})
    stored = library.open_dataset(library.save(events, name="web + crm", digest="d", people=people))
    assert stored is not None and stored.people is not None
    assert_frame_equal(stored.people, people)
    alone = library.open_dataset(library.save(events, name="web", digest="e"))
    assert alone is not None and alone.people is None


def test_keys_are_unguessable_and_differ_for_the_same_data() -> None:
    events = pl.DataFrame({"event": ["a"]})
    a, b = (library.save(events, name="x", digest="same") for _ in range(2))
    assert a != b
    assert library.is_key(a) and len(a) == 22


@pytest.mark.parametrize("key", ["", "../../etc", "a" * 21, "a" * 23, "abc/def" + "x" * 15, None, 12])
def test_anything_but_a_key_opens_nothing(key: object) -> None:
    assert library.open_dataset(key) is None  # type: ignore[arg-type]
    assert library.forget(key) is False  # type: ignore[arg-type]


def test_an_unknown_key_opens_nothing() -> None:
    assert library.open_dataset(library.new_key()) is None


def test_the_library_lists_nothing_but_its_folders(tmp_path: Path) -> None:
    key = library.save(pl.DataFrame({"event": ["a"]}), name="x", digest="d")
    assert [p.name for p in (tmp_path / "datasets").iterdir()] == [key]
    assert oct((tmp_path / "datasets" / key).stat().st_mode & 0o777) == oct(0o700)


def test_the_chosen_conversions_are_kept_with_the_dataset() -> None:
    key = library.save(pl.DataFrame({"event": ["a"]}), name="x", digest="d")
    library.set_conversion_events(key, ("purchase", "Kauf"))
    got = library.open_dataset(key)
    assert got is not None and got.conversion_events == ("purchase", "Kauf")


def test_forget_deletes_the_entry() -> None:
    key = library.save(pl.DataFrame({"event": ["a"]}), name="x", digest="d")
    assert library.forget(key)
    assert library.open_dataset(key) is None
    assert not (library.library_dir() / key).exists()


def test_unused_entries_go_after_the_configured_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(library.KEEP_DAYS_ENV, "2")
    old = library.save(pl.DataFrame({"event": ["a"]}), name="x", digest="d", now=NOW - timedelta(days=3))
    used = library.save(pl.DataFrame({"event": ["a"]}), name="x", digest="d", now=NOW - timedelta(days=3))
    assert library.open_dataset(used, now=NOW - timedelta(days=1)) is not None  # opening counts as a use
    assert library.purge_expired(now=NOW) == [old]
    assert library.open_dataset(used, now=NOW) is not None


def test_an_expired_entry_is_not_opened_even_before_a_purge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(library.KEEP_DAYS_ENV, "1")
    key = library.save(pl.DataFrame({"event": ["a"]}), name="x", digest="d", now=NOW - timedelta(days=2))
    assert library.open_dataset(key, now=NOW) is None
    assert not (library.library_dir() / key).exists()


@pytest.mark.parametrize("value", ["", "abc", "-3", "0"])
def test_a_bad_keeping_time_falls_back_to_the_default(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(library.KEEP_DAYS_ENV, value)
    assert library.keep_for() == library.DEFAULT_KEEP


def test_a_damaged_entry_opens_nothing() -> None:
    key = library.save(pl.DataFrame({"event": ["a"]}), name="x", digest="d")
    (library.library_dir() / key / "events.parquet").write_bytes(b"not parquet")
    assert library.open_dataset(key) is None
    assert os.path.exists(library.library_dir() / key)  # left for a person to look at, not silently deleted
