"""Helpers for the real-browser tests: waiting for the app, saving screenshots."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ROOT = Path(__file__).resolve().parents[2]


def wait_for_app(page: Page, timeout_ms: float = 60_000) -> None:
    """Wait until the app is connected, the script has finished and no skeleton is left."""
    expect(page.locator("[data-testid=stApp][data-test-connection-state=CONNECTED]")).to_be_attached(
        timeout=timeout_ms)
    expect(page.locator("[data-testid=stApp][data-test-script-state=notRunning]")).to_be_attached(
        timeout=timeout_ms)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under tests/e2e/artifacts/ (gitignored) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Counts script runs that started after the last reset. A MutationObserver sees every change of the app's
# script state, however short the run; polling the attribute could miss a run that started and ended in between.
_WATCH_RUNS = """() => {
  if (!window.__jlRuns) {
    window.__jlRuns = {started: 0};
    new MutationObserver(records => {
      for (const r of records) {
        if (r.oldValue === 'running' || r.target.getAttribute('data-test-script-state') === 'running') {
          window.__jlRuns.started += 1;
        }
      }
    }).observe(document.documentElement, {subtree: true, attributes: true, attributeOldValue: true,
                                          attributeFilter: ['data-test-script-state']});
  }
  window.__jlRuns.started = 0;
}"""


def run_after(page: Page, act: Callable[[], None], timeout_ms: float = 120_000) -> None:
    """Do ``act`` (a click, an upload) and wait for the script run it triggers to finish.

    ``wait_for_app`` alone is not enough right after an action: the browser only learns that a run started when
    the server says so, and until then the app still reports the previous run as finished.
    """
    page.evaluate(_WATCH_RUNS)
    act()
    _wait_for_a_run(page, timeout_ms)
    wait_for_app(page, timeout_ms)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _wait_for_a_run(page: Page, timeout_ms: float) -> None:
    page.wait_for_function("() => window.__jlRuns.started > 0", timeout=timeout_ms)


def open_page(page: Page, name: str, timeout_ms: float = 120_000) -> None:
    """Click a page in the sidebar and wait until that page's script has finished.

    A click that starts no script run within 20 s is clicked once more, as a person would (CI once lost one while
    the previous page's run was ending); a page that still does not open fails the test.
    """
    link = page.get_by_test_id("stSidebarNavLink").filter(has_text=name)
    page.evaluate(_WATCH_RUNS)
    link.click()
    try:
        _wait_for_a_run(page, 20_000)
    except PlaywrightTimeoutError:
        link.click()
        _wait_for_a_run(page, timeout_ms)
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.read().decode() == "ok")
    except OSError:
        return False


@contextmanager
def serve(log: Path, *, env: Mapping[str, str] | None = None, root: Path = ROOT) -> Iterator[str]:
    """Run the app as a user would (`make run`: `python -m ui.serve`, `streamlit run app.py` with the first page's
    imports done first) on a free port until the block ends; ``env`` adds environment variables (e.g.
    ``JOURNEYLENS_DATA``); ``root`` is the checkout served (a benchmark's "before", which may predate ui/serve.py)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    launcher = ("ui.serve",) if (root / "ui" / "serve.py").exists() else ("streamlit", "run", "app.py")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *launcher, "--server.headless", "true",
             "--server.port", str(port), "--global.developmentMode", "false"],
            cwd=root, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        try:
            deadline = time.monotonic() + 90
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start:\n{log.read_text()}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)
