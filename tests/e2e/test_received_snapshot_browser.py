"""A hostile received snapshot opened in the app in a real browser: no request leaves, no live element appears."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from analysis.prepare import prepare
from analysis.sample import generate_sample
from analysis.snapshot import write_snapshot
from tests.e2e.e2e_helpers import open_page, run_after, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

PIXEL = "http://127.0.0.1:9/"
HOSTILE = {
    "title": f"**Q3** [open]({PIXEL}title) <img src={PIXEL}title.png>",
    "created": f"![x]({PIXEL}created-pixel.png)",
    "version": f"[click]({PIXEL}version) :red[alarm] <script>alert(1)</script>",
    "dataset_hash": f"![d]({PIXEL}hash.png)",
}


@pytest.fixture(scope="module")
def hostile_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("received")
    write_snapshot(prepare(generate_sample(400, seed=3).events), out)
    data = json.loads((out / "snapshot.json").read_text(encoding="utf-8"))
    data.update(HOSTILE)
    data["parameters"]["note"] = f"![p]({PIXEL}parameter.png) <iframe src={PIXEL}frame>"
    data["definitions"]["personas.users"] = f"<a href='{PIXEL}definition'>people</a>"
    data["tables"]["personas"]["columns"]["persona"] = [f"![persona]({PIXEL}persona.png)"] * len(
        data["tables"]["personas"]["columns"]["persona"])
    path = out / "snapshot.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_hostile_received_snapshot_makes_no_request_and_no_live_element(page: Page, app_url: str,
                                                                         hostile_json: Path) -> None:
    outside: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((app_url, "data:", "blob:", "about:")) else outside.append(
        r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)
    wait_for_app(page)
    open_page(page, "Snapshots")
    page.get_by_role("tab", name="Open a received snapshot").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    run_after(page, lambda: uploader.set_input_files(str(hostile_json)))
    expect(page.get_by_text("Received snapshot", exact=True)).to_be_visible(timeout=60_000)
    # the fields are there as the literal characters of the file
    expect(page.get_by_text(HOSTILE["title"], exact=True)).to_be_visible()
    expect(page.get_by_text(HOSTILE["created"], exact=False)).to_be_visible()
    run_after(page, page.get_by_text("Show the rendered view").click)
    preview = page.frame_locator("iframe").first
    expect(preview.locator("h1")).to_have_text(HOSTILE["title"], timeout=60_000)
    page.get_by_text("Definitions and parameters").click()
    page.wait_for_timeout(1_500)
    screenshot(page, "snapshots_received_hostile")
    # nothing live: no link or image pointing anywhere, no script from the file, no dialog, no request
    for frame in page.frames:
        assert frame.locator(f"a[href^='{PIXEL}'], img[src^='{PIXEL}'], iframe[src^='{PIXEL}']").count() == 0
        assert frame.locator("[class*='red'], [style*='red']").filter(has_text="alarm").count() == 0
    assert dialogs == []
    assert outside == [], "\n".join(outside)
