"""The bundled sample's prepared events are kept on disk, so a new server reads them instead of preparing again."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.prepare import prepare
from analysis.sample import load_sample
from analysis.vocabulary import SESSION_GAP
from ui import data


@pytest.fixture
def fresh_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A server that has prepared nothing yet, keeping its files in ``tmp_path``."""
    monkeypatch.setattr(data, "PREPARED_FOLDER", tmp_path)
    monkeypatch.setattr(data, "_DEFAULT", {})
    monkeypatch.delenv(data.STARTUP_ENV, raising=False)
    return tmp_path


def test_the_first_server_prepares_and_keeps_the_sample_and_the_next_reads_it(
        fresh_server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = prepare(load_sample(), session_gap=SESSION_GAP)
    assert_frame_equal(data._default_prepared(), expected)
    kept = data.prepared_sample_file()
    assert kept is not None and kept.parent == fresh_server and kept.exists()
    assert [p.name for p in fresh_server.iterdir()] == [kept.name]  # no partial file left behind

    monkeypatch.setattr(data, "_DEFAULT", {})  # a new server: must read the file, not prepare

    def no_prepare(*args: object, **kwargs: object) -> pl.DataFrame:
        raise AssertionError("prepared again although the kept file was there")

    monkeypatch.setattr(data, "prepare", no_prepare)
    assert_frame_equal(data._default_prepared(), expected)


def test_the_file_name_changes_with_the_library_code(fresh_server: Path, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    before = data.prepared_sample_file()
    fake = tmp_path_factory.mktemp("analysis")
    (fake / "__init__.py").write_text("# another version of the library\n")
    monkeypatch.setattr(data.analysis, "__file__", str(fake / "__init__.py"))
    assert data.prepared_sample_file() != before


def test_a_read_only_folder_only_skips_keeping(fresh_server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "PREPARED_FOLDER", fresh_server / "file-not-folder")
    (fresh_server / "file-not-folder").write_text("in the way")
    assert data._default_prepared().height == load_sample().height
