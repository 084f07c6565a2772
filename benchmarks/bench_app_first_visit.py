"""How fast every page of the app is on its first visit, on the bundled sample or ``--data``, in real Chromium.

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

``--data PATH`` serves a canonical Parquet file or folder instead of the bundled sample (``JOURNEYLENS_DATA``, read
and prepared by the server's warm-up); ``--timeout`` is how long any one step may take (the 10M sample needs
minutes on a 2-core machine). At the end of each click-through, before the server stops, the peak resident memory
of the server process and its children (``VmHWM`` in ``/proc/<pid>/status``, summed) is recorded:
``benchmarks.bench_app_library`` measures the same pages' work as library calls, for the app-versus-library table
of docs/performance.md.
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
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from benchmarks.common import RESULTS
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.e2e_helpers import ROOT, serve, wait_for_app
from tests.e2e.test_timings import RAN_AND_FINISHED, RECORDER
from ui.data import STARTUP_ENV

PAGES = {"Data": "", "Journeys": "journeys", "Funnels": "funnels", "Attribution": "attribution",
         "Personas": "personas", "Snapshots": "snapshots"}
FIRST_VISIT_S, INTERACTION_S = 2.0, 1.0
PEAK_RSS = "server peak RSS (MB)"  # not steps: the server's VmHWM and VmRSS at the end of the click-through
END_RSS = "server RSS at the end (MB)"
_timeout_ms = 300_000.0  # how long one step may take (``--timeout``)


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


def _descendants(roots: set[int]) -> set[int]:
    """``roots`` and every process below them (from the parent pids in /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, grew = set(roots), True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found


def _status_mb(pid: int, field: str) -> float:
    """A memory field of one process's ``/proc/<pid>/status`` (``VmHWM``: peak resident, ``VmRSS``: resident now),
    MB; 0 when the process is gone."""
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def server_rss_mb(field: str = "VmHWM") -> float:
    """Peak (``VmHWM``, the high-water mark the kernel keeps per process, so nothing between samples is missed) or
    current (``VmRSS``) resident memory, MB, of this process's app servers and their children, summed."""
    servers = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == os.getpid() and (b"streamlit" in cmdline or b"ui.serve" in cmdline):
            servers.add(int(stat.parent.name))
    return sum(_status_mb(pid, field) for pid in _descendants(servers))


STARTED = "() => window.__jl.log.some(e => e[0] === 'running')"  # a script run started since the last reset


def _reset(page: Page) -> None:
    page.evaluate("window.__jl.log = []; window.__jl.t0 = null;")


def _finished(page: Page, since: float) -> float:
    page.wait_for_function(RAN_AND_FINISHED, timeout=_timeout_ms)
    wait_for_app(page, _timeout_ms)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ends = [float(t) for state, t in page.evaluate("window.__jl.log") if state == "notRunning"]
    return (ends[-1] - since) / 1000


def _interaction(page: Page, act: Callable[[], None], updated: Callable[[], None]) -> float:
    _reset(page)
    act()
    updated()
    return _finished(page, float(page.evaluate("window.__jl.t0")))


def _heading(page: Page, name: str) -> Callable[[], None]:
    return lambda: expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=_timeout_ms)


def _open(page: Page, name: str) -> float:
    link = page.get_by_test_id("stSidebarNavLink").filter(has_text=name)

    def act() -> None:
        link.click()
        try:
            page.wait_for_function(STARTED, timeout=20_000)
        except PlaywrightTimeoutError:  # a lost click (seen once at 10M events): click again, as a person would
            link.click()

    return _interaction(page, act, _heading(page, name))


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
    ).not_to_have_text(before, timeout=_timeout_ms))


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


def _env(home: Path, data: Path | None) -> dict[str, str]:
    return {"JOURNEYLENS_HOME": str(home), **({STARTUP_ENV: str(data)} if data is not None else {})}


def click_through(browser: Browser, home: Path, log: Path, root: Path = ROOT, data: Path | None = None
                  ) -> tuple[dict[str, float], dict[str, float]]:
    """Fresh server: the Data page, every other page once, then the later interactions; seconds in the browser
    and the server's CPU seconds per step, and the server's peak resident memory (:data:`PEAK_RSS`, among the
    CPU seconds) at the end."""
    with serve(log, env={**_env(home, data), "PYTHONPATH": str(root)}, root=root) as url:
        page = _context(browser)
        times: dict[str, float] = {}
        cpu: dict[str, float] = {}

        def step(name: str, run: Callable[[], float]) -> None:
            before = server_cpu()
            print(f"{datetime.now(UTC):%H:%M:%S} {name} ...", file=sys.stderr, flush=True)  # long runs: progress
            times[name] = run()
            cpu[name] = server_cpu() - before
            print(f"{datetime.now(UTC):%H:%M:%S} {name}: {times[name]:.2f} s, server {cpu[name]:.2f} CPU s",
                  file=sys.stderr, flush=True)

        step("first view: Data", lambda: _goto(page, url, "Data"))
        for name in list(PAGES)[1:]:
            step(f"first visit: {name}", lambda name=name: _open(page, name))  # type: ignore[misc]
        step("back to a visited page: Funnels", lambda: _open(page, "Funnels"))
        step("Funnels: conversion window 7 -> 14 days", lambda: _funnel_window(page, 14))
        step("back to a visited page: Attribution", lambda: _open(page, "Attribution"))
        step("Attribution: lookback 30 -> 29 days", lambda: _attribution_lookback(page))
        step("back to a visited page: Data", lambda: _open(page, "Data"))
        cpu[PEAK_RSS], cpu[END_RSS] = server_rss_mb("VmHWM"), server_rss_mb("VmRSS")
        page.context.close()
        return times, cpu


def deep_links(browser: Browser, home: Path, log: Path, data: Path | None = None) -> dict[str, float]:
    """For each page: a new server, and the page's address opened directly."""
    times = {}
    for name, path in PAGES.items():
        with serve(log, env=_env(home, data)) as url:
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
    parser.add_argument("--data", type=Path, help="a canonical Parquet file or folder to serve instead of the sample")
    parser.add_argument("--timeout", type=float, default=300, help="seconds any one step may take (default 300)")
    args = parser.parse_args()
    global _timeout_ms  # noqa: PLW0603 (one setting for every wait of the run)
    _timeout_ms = args.timeout * 1000
    data = args.data.resolve() if args.data else None
    home = Path(tempfile.mkdtemp(prefix="journeylens-bench-"))
    log = home / "server.log"
    roots = {"after": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    runs: dict[str, list[tuple[dict[str, float], dict[str, float]]]] = {name: [] for name in roots}
    deep: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.rounds):
            for name, root in reversed(roots.items()):  # "before" first in each round
                runs[name].append(click_through(browser, home, log, root, data))
        if not args.skip_deep_links:
            deep = deep_links(browser, home, log, data)
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
    peaks = {n: min(r[1][PEAK_RSS] for r in rs) for n, rs in runs.items()}
    ends = {n: min(r[1][END_RSS] for r in rs) for n, rs in runs.items()}
    print(f"{PEAK_RSS + ' (VmHWM, lowest of the rounds)':<50} "
          + " ".join(f"{peaks[n]:10.0f} {'':>11}" for n in peaks))
    print(f"{END_RSS + ' (VmRSS, lowest of the rounds)':<50} "
          + " ".join(f"{ends[n]:10.0f} {'':>11}" for n in ends))
    for s, seconds in deep.items():
        print(f"{s:<50} {seconds:10.2f}")
        flat.append({"scenario": "deep link", "step": s, "seconds": round(seconds, 3), "target_s": FIRST_VISIT_S})
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"app_first_visit{'-' + data.name if data else ''}.json").write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "data": str(data) if data else "bundled sample",
        "server_peak_rss_mb": {n: round(mb) for n, mb in peaks.items()},
        "server_end_rss_mb": {n: round(mb) for n, mb in ends.items()},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "command": " ".join(sys.argv), "timings": flat}, indent=2))


if __name__ == "__main__":
    main()
