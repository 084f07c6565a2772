"""The snapshot HTML in a real browser: opened from file:// with the network blocked, it makes zero requests,
raises no dialog and no CSP violation, draws its figures, and shows hostile names as literal text."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Page, Route, expect

from analysis.prepare import prepare
from analysis.sample import SAMPLE_PATH, generate_sample
from analysis.snapshot import write_snapshot
from tests.e2e.e2e_helpers import run_after, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

HOSTILE = ["</script><script>alert(1)</script>", '<a href="javascript:alert(1)">x</a>',
           "$\\href{javascript:alert(1)}{x}$"]


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = prepare(generate_sample(1_500, seed=5).events)
    # hostile channel names on whole groups of people, so they survive k-suppression and reach the figures
    people = events["user_id"].unique().sort()
    bad = pl.DataFrame({"user_id": people, "_bad": [HOSTILE[i % 3] for i in range(people.len())]})
    events = events.join(bad, on="user_id").with_columns(
        pl.when(pl.col("channel") == "Email").then(pl.col("_bad")).otherwise(pl.col("channel")).alias("channel")
    ).drop("_bad")
    personas = pl.DataFrame({"user_id": people, "persona": [HOSTILE[i % 2] for i in range(people.len())]})
    out = tmp_path_factory.mktemp("snapshot")
    write_snapshot(events, out, personas=personas, title="<b>Q3</b> $x$")
    return out / "snapshot.html"


def test_snapshot_opens_offline_with_zero_requests_and_no_dialogs(page: Page, snapshot_file: Path) -> None:
    requests: list[str] = []
    dialogs: list[str] = []
    problems: list[str] = []

    def block(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.route("**/*", block)
    page.on("request", lambda r: None if r.url.startswith("file:") else requests.append(r.url))
    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(snapshot_file.as_uri())
    expect(page.locator(".figure .main-svg").first).to_be_attached(timeout=30_000)
    page.wait_for_timeout(500)
    assert page.locator(".figure .main-svg").count() >= 4  # every figure drew (CSP let the inline scripts run)
    screenshot(page, "snapshot")
    assert requests == []
    assert dialogs == []
    assert problems == []
    # hostile names stay literal text in tables, the title and Plotly labels; no link or script was made
    body = page.locator("body").inner_text()
    for text in HOSTILE:
        assert text in body
    assert page.title() == "<b>Q3</b> $x$"
    assert page.locator("a").count() == 0
    svg_text = page.locator(".figure").all_text_contents()
    assert any('<a href="javascript:alert(1)">x</a>' in t for t in svg_text)
    assert page.locator("script").count() == 2


def test_a_share_link_reopens_the_snapshots_view_and_previews_offline(page: Page, fresh_app_url: str) -> None:
    app_url = fresh_app_url
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((app_url, "data:", "blob:", "about:")) else outside.append(
        r.url))
    # the link is the first thing the freshly started server sees, as when a colleague pastes it after a restart
    digest = hashlib.sha256(SAMPLE_PATH.read_bytes()).hexdigest()[:12]
    page.goto(f"{app_url}/snapshots?ds={digest}&snapshots.min_group_size=12&snapshots.title=%22Shared%22")
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(6)
    expect(page.get_by_role("spinbutton", name="Minimum group size (k)")).to_have_value("12")
    run_after(page, page.get_by_role("button", name="Build snapshot").click)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    preview = page.frame_locator("iframe").first
    expect(preview.locator(".figure .main-svg").first).to_be_attached(timeout=60_000)
    expect(preview.locator("h1")).to_have_text("Shared")
    screenshot(page, "snapshots_preview")
    assert "snapshots.min_group_size=12" in page.url
    assert outside == [], "\n".join(outside)
