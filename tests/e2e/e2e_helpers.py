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
