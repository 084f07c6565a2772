"""The whole product in a real browser: upload a German Excel export, click through every page, send a snapshot."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from analysis.sample import GERMAN_EXPORT_PATH
from tests.e2e.e2e_helpers import open_page, run_after, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_upload_click_through_and_download_a_snapshot(page: Page, app_url: str, tmp_path: Path) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(app_url)
    wait_for_app(page)

    # Data: upload the German Excel CSV and analyse it
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").first.click()
    run_after(page, lambda: chooser.value.set_files(str(GERMAN_EXPORT_PATH)))
    run_after(page, page.get_by_role("button", name="Analyse these events").click)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(GERMAN_EXPORT_PATH.name)
    screenshot(page, "flow-data")

    for name in ("Journeys", "Funnels", "Attribution"):
        open_page(page, name)
        screenshot(page, f"flow-{name.lower()}")

    open_page(page, "Personas")
    run_after(page, page.get_by_role("button", name=re.compile("Find personas")).click, 180_000)
    screenshot(page, "flow-personas")

    open_page(page, "Snapshots")
    run_after(page, page.get_by_role("button", name="Build snapshot").click, 180_000)
    screenshot(page, "flow-snapshots")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download HTML", exact=True).click()
    html_path = tmp_path / "snapshot.html"
    download.value.save_as(html_path)
    html = html_path.read_text(encoding="utf-8")

    assert "Content-Security-Policy" in html
    uploaded = pl.read_csv(GERMAN_EXPORT_PATH, separator=";", skip_rows=1, encoding="windows-1252",
                           infer_schema=False)
    ids = set(uploaded["Kundennummer"].drop_nulls()) | set(uploaded["Geräte-ID"].drop_nulls())
    assert not [i for i in ids if i in html]  # aggregates only: no id of the upload is in the file
    outside = [url for url in requests if not url.startswith((app_url, "data:", "blob:"))]
    assert outside == [], "\n".join(outside)


def test_a_page_clicked_while_the_upload_is_activated_is_where_you_land(page: Page, app_url: str) -> None:
    """Clicking "Analyse these events" and at once another page: the switch is not undone by the activation."""
    page.goto(app_url)
    wait_for_app(page)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").first.click()
    run_after(page, lambda: chooser.value.set_files(str(GERMAN_EXPORT_PATH)))

    def analyse_then_switch() -> None:
        page.get_by_role("button", name="Analyse these events").click()
        page.wait_for_timeout(600)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Funnels").click()

    run_after(page, analyse_then_switch)
    expect(page.get_by_role("heading", name="Funnels", level=1)).to_be_visible(timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(GERMAN_EXPORT_PATH.name)
    expect(page).to_have_url(re.compile(r"/funnels"))
