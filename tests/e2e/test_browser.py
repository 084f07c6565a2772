"""One real-browser pass over the app: every page renders without an exception, with one page list."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.e2e_helpers import open_page, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

PAGES = ["Data", "Journeys", "Funnels", "Attribution", "Personas", "Snapshots"]


def test_every_page_renders_in_a_real_browser(page: Page, app_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(app_url)
    wait_for_app(page)
    # st.navigation routes the pages: exactly one page list, not a second auto-discovered one
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(1)
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(len(PAGES))
    for name in PAGES:
        open_page(page, name)
        screenshot(page, name.lower())
    # local and private: the browser fetched nothing but the app itself (no CDN fonts, scripts or telemetry)
    outside = [url for url in requests if not url.startswith((app_url, "data:", "blob:"))]
    assert outside == [], "\n".join(outside)
