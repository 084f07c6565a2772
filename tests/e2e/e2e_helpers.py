"""Helpers for the real-browser tests: waiting for the app, saving screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


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


def open_page(page: Page, name: str, timeout_ms: float = 120_000) -> None:
    """Click a page in the sidebar and wait until that page's script has finished.

    The page's own heading must appear first: right after the click the app may still report the previous run
    as finished.
    """
    page.get_by_test_id("stSidebarNavLink").filter(has_text=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)
    expect(page.get_by_test_id("stException")).to_have_count(0)
