"""How fast every page of the app is on its first visit, on the bundled sample, measured in real Chromium.

Not a test: run it by hand (``.venv/bin/python -m benchmarks.bench_app_first_visit``); it prints a table and
writes ``benchmarks/results/app_first_visit.json``; docs/performance.md ("First visit on the bundled sample")
records a run. Two scenarios, each on a newly started server (``streamlit run app.py``):

- **click-through**: open the app (the Data page), then visit every other page once in the sidebar, then the
  later interactions (back to a visited page, a Funnels setting, the Attribution conversion events);
- **deep link**: for each page, a new server and a browser that opens that page's address directly (the slowest
  case: the dataset, the imports and the page's first results all on one visit).

Every time is taken in the browser, from the user's action (navigation start, or the pointer/key event that
triggers the rerun) to the end of the page's script run with no skeleton left, by a MutationObserver installed
before the app loads (the recorder of ``tests/e2e/test_timings.py``). Beside each time, the CPU seconds (user +
sys) the server process spent on the step, read from ``/proc``: on a loaded machine the steadier number.
``--before DIR`` runs the click-through on another checkout (e.g. ``git archive main | tar -x -C DIR``) in the same
run, alternating with this one, so both see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from benchmarks.common import RESULTS
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.e2e_helpers import ROOT, serve, wait_for_app
from tests.e2e.test_timings import RAN_AND_FINISHED, RECORDER

PAGES = {"Data": "", "Journeys": "journeys", "Funnels": "funnels", "Attribution": "attribution",
         "Personas": "personas", "Snapshots": "snapshots"}
FIRST_VISIT_S, INTERACTION_S = 2.0, 1.0


_TICK = os.sysconf("SC_CLK_TCK")


def server_cpu() -> float:
    """CPU seconds (user + sys) of this process's app servers (``ui.serve`` or ``streamlit run``) so far (0 where
    /proc is missing)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and (b"streamlit" in cmdline or b"ui.serve" in cmdline):  # the parent pid
            total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return total


def _reset(page: Page) -> None:
    page.evaluate("window.__jl.log = []; window.__jl.t0 = null;")


def _finished(page: Page, since: float) -> float:
    page.wait_for_function(RAN_AND_FINISHED, timeout=300_000)
    wait_for_app(page, 300_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ends = [float(t) for state, t in page.evaluate("window.__jl.log") if state == "notRunning"]
    return (ends[-1] - since) / 1000


def _interaction(page: Page, act: Callable[[], None], updated: Callable[[], None]) -> float:
    _reset(page)
    act()
    updated()
    return _finished(page, float(page.evaluate("window.__jl.t0")))


def _heading(page: Page, name: str) -> Callable[[], None]:
    return lambda: expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=300_000)


def _open(page: Page, name: str) -> float:
    return _interaction(page, lambda: page.get_by_test_id("stSidebarNavLink").filter(has_text=name).click(),
                        _heading(page, name))


def _goto(page: Page, url: str, name: str) -> float:
    page.goto(url)
    _heading(page, name)()
    return _finished(page, 0.0)


def _metric(page: Page, label: str) -> str:
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue").inner_text()


def _funnel_window(page: Page, days: int) -> float:
    field = page.get_by_role("spinbutton", name="Conversion window (days)")
    before = _metric(page, "Reached the last step")

    def act() -> None:
        field.fill(str(days))
        field.press("Enter")

    return _interaction(page, act, lambda: expect(
        page.get_by_test_id("stMetric").filter(has_text="Reached the last step").get_by_test_id("stMetricValue")
    ).not_to_have_text(before, timeout=300_000))


def _attribution_lookback(page: Page) -> float:
    """Lookback 30 -> 29 days with the keyboard (new paths and bootstrap)."""
    thumb = page.get_by_role("slider", name="Look back (days)")

    def act() -> None:
        thumb.focus()
        thumb.press("ArrowLeft")

    return _interaction(page, act, lambda: expect(thumb).to_have_value("29"))


def _context(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.add_init_script(RECORDER)
    return context.new_page()


def click_through(browser: Browser, home: Path, log: Path, root: Path = ROOT
                  ) -> tuple[dict[str, float], dict[str, float]]:
    """Fresh server: the Data page, every other page once, then the later interactions; seconds in the browser
    and the server's CPU seconds per step."""
    with serve(log, env={"JOURNEYLENS_HOME": str(home), "PYTHONPATH": str(root)}, root=root) as url:
        page = _context(browser)
        times: dict[str, float] = {}
        cpu: dict[str, float] = {}

        def step(name: str, run: Callable[[], float]) -> None:
            before = server_cpu()
            times[name] = run()
            cpu[name] = server_cpu() - before

        step("first view: Data", lambda: _goto(page, url, "Data"))
        for name in list(PAGES)[1:]:
            step(f"first visit: {name}", lambda name=name: _open(page, name))  # type: ignore[misc]
        step("back to a visited page: Funnels", lambda: _open(page, "Funnels"))
        step("Funnels: conversion window 7 -> 14 days", lambda: _funnel_window(page, 14))
        step("back to a visited page: Attribution", lambda: _open(page, "Attribution"))
        step("Attribution: lookback 30 -> 29 days", lambda: _attribution_lookback(page))
        step("back to a visited page: Data", lambda: _open(page, "Data"))
        page.context.close()
        return times, cpu


def deep_links(browser: Browser, home: Path, log: Path) -> dict[str, float]:
    """For each page: a new server, and the page's address opened directly."""
    times = {}
    for name, path in PAGES.items():
        with serve(log, env={"JOURNEYLENS_HOME": str(home)}) as url:
            page = _context(browser)
            times[f"deep link, fresh server: {name}"] = _goto(page, f"{url}/{path}", name)
            page.context.close()
    return times


def _target(step: str) -> float:
    return INTERACTION_S if step.startswith(("back", "Funnels:", "Attribution:")) else FIRST_VISIT_S


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-deep-links", action="store_true", help="only the click-through scenario")
    parser.add_argument("--before", type=Path, help="another checkout to time in the same run (click-through)")
    parser.add_argument("--rounds", type=int, default=1, help="click-throughs per checkout, alternating")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="journeylens-bench-"))
    log = home / "server.log"
    roots = {"after": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    runs: dict[str, list[tuple[dict[str, float], dict[str, float]]]] = {name: [] for name in roots}
    deep: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.rounds):
            for name, root in reversed(roots.items()):  # "before" first in each round
                runs[name].append(click_through(browser, home, log, root))
        if not args.skip_deep_links:
            deep = deep_links(browser, home, log)
        browser.close()
    steps = list(runs["after"][0][0])
    best = {name: ({s: min(r[0][s] for r in rs) for s in steps}, {s: min(r[1][s] for r in rs) for s in steps})
            for name, rs in runs.items()}
    header = " ".join(f"{n + ' s':>10} {n + ' cpu':>11}" for n in best)
    print(f"\n{'step (click-through, best of ' + str(args.rounds) + ')':<50} {header} {'target':>7}")
    flat = []
    for s in steps:
        cells = " ".join(f"{best[n][0][s]:10.2f} {best[n][1][s]:11.2f}" for n in best)
        flag = "" if best["after"][0][s] < _target(s) else "  OVER"
        print(f"{s:<50} {cells} {_target(s):7.1f}{flag}")
        flat.append({"scenario": "click-through", "step": s, "target_s": _target(s),
                     **{f"{n}_seconds": round(best[n][0][s], 3) for n in best},
                     **{f"{n}_server_cpu_s": round(best[n][1][s], 3) for n in best}})
    for s, seconds in deep.items():
        print(f"{s:<50} {seconds:10.2f}")
        flat.append({"scenario": "deep link", "step": s, "seconds": round(seconds, 3), "target_s": FIRST_VISIT_S})
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "app_first_visit.json").write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "data": "bundled sample",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "command": " ".join(sys.argv), "timings": flat}, indent=2))


if __name__ == "__main__":
    main()
