"""AppTest fixtures: every test keeps the datasets it analyses in its own temporary library, never in ~."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _library_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYLENS_HOME", str(tmp_path / "journeylens-home"))
