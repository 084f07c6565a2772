"""Text from the data never renders as HTML or Markdown: hostile names stay literal on every page (real browser)."""

from __future__ import annotations

import re

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from analysis import schema as s
from analysis.sample import generate_sample
from tests.e2e.e2e_helpers import open_page, run_after, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

EVIL = "evil.example"
HOSTILE_EVENT = f"[click me](https://{EVIL}/phish) ![x](https://{EVIL}/pixel.png)"
HOSTILE_CAMPAIGN = f"<img src=https://{EVIL}/c.png onerror=alert(1)><script>alert(2)</script>"
HOSTILE_CHANNEL = f"**Paid** <a href='https://{EVIL}/'>Search</a>"
HOSTILE_COLUMN = f"<b>Gerät</b>[x](https://{EVIL}/col)"


def _hostile_csv() -> bytes:
    events = generate_sample(400, seed=5).events
    hostile = events.with_columns(
        pl.when(pl.col(s.EVENT) == "search").then(pl.lit(HOSTILE_EVENT)).otherwise(pl.col(s.EVENT)).alias(s.EVENT),
        pl.when(pl.col(s.CAMPAIGN).is_not_null()).then(pl.lit(HOSTILE_CAMPAIGN)).otherwise(None).alias(s.CAMPAIGN),
        pl.when(pl.col(s.CHANNEL) == "Paid Search").then(pl.lit(HOSTILE_CHANNEL)).otherwise(pl.col(s.CHANNEL))
        .alias(s.CHANNEL),
    ).rename({"device": HOSTILE_COLUMN})
    return hostile.write_csv().encode()


def _assert_nothing_live(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # no link, image or script made from the data, in the page or in a Plotly chart
    links = page.locator(f"a[href*='{EVIL}']")
    where = "e => e.parentElement.parentElement.outerHTML.slice(0, 600)"
    assert links.count() == 0, [links.nth(i).evaluate(where) for i in range(links.count())]
    assert page.locator(f"img[src*='{EVIL}']").count() == 0
    assert page.locator("script:text('alert(')").count() == 0


def test_hostile_names_stay_literal_on_every_page(page: Page, app_url: str) -> None:
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app_url)
    wait_for_app(page)

    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").first.click()
    hostile = [{"name": "hostile <b>export</b>.csv", "mimeType": "text/csv", "buffer": _hostile_csv()}]
    run_after(page, lambda: chooser.value.set_files(hostile))  # type: ignore[arg-type]
    _assert_nothing_live(page)
    run_after(page, page.get_by_role("button", name="Analyse these events").click)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("hostile <b>export</b>.csv")
    _assert_nothing_live(page)
    # the literal text is there for the user to read (the preview table shows the hostile event name)
    expect(page.get_by_text(re.compile(re.escape("hostile <b>export</b>.csv"))).first).to_be_visible()

    for name in ("Journeys", "Funnels", "Attribution", "Personas", "Snapshots"):
        open_page(page, name)
        if name == "Journeys":
            # event level: hostile event names in the paths
            run_after(page, page.get_by_text("Events", exact=True).first.click)
        if name == "Personas":
            run_after(page, page.get_by_role("button", name=re.compile("Find personas")).click, 180_000)
        if name == "Snapshots":
            run_after(page, page.get_by_role("button", name="Build snapshot").click, 180_000)
        _assert_nothing_live(page)
        screenshot(page, f"hostile-{name.lower()}")

    assert dialogs == []
    assert [url for url in requests if EVIL in url] == []
