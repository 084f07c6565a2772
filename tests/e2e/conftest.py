"""Real-browser fixtures: the app under `streamlit run` on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.e2e_helpers import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background traffic is switched off: the test must see only the app's requests
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, shared by the browser tests of one run."""
    home = tmp_path_factory.mktemp("journeylens-home")  # the dataset library of this run, never ~/.journeylens
    with serve(tmp_path_factory.mktemp("streamlit") / "server.log", env={"JOURNEYLENS_HOME": str(home)}) as url:
        yield url


@pytest.fixture
def fresh_app_url(tmp_path: Path) -> Iterator[str]:
    """A newly started app that no session has opened yet (for links pasted right after a restart)."""
    with serve(tmp_path / "server.log", env={"JOURNEYLENS_HOME": str(tmp_path / "journeylens-home")}) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use Debian's Chromium: Playwright's own browser download is not available here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1000}, "accept_downloads": True}
