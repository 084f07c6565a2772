"""Run the peer benchmark: ``python -m benchmarks.peers.run [--sizes 1m 10m]`` (``make bench-peers``).

1. Installs the peers (requirements.txt) into ``benchmarks/.peers-venv`` when it is missing: never into the project's
   environment, which only runs JourneyLens's side.
2. Writes the shuffled workload (``benchmarks/data/peers/ev_<size>.parquet``, :mod:`benchmarks.peers.workload`) and
   JourneyLens's prepared events and path table next to it, once.
3. Runs every task in a fresh process (median of ``--repeat`` runs inside it; peak RSS is that process's, input
   included), JourneyLens's in this interpreter and the peers' in the peers' one, with retentioneering's telemetry
   off (``RETENTIONEERING_NO_TRACK=1``).
4. Writes one table (time, peak memory, ratio, whether the answers agree) to
   ``benchmarks/results/peers-<time>.md`` and ``.json`` and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE.parent / ".peers-venv"
PEER_PY = VENV / "bin" / "python"
DATA = HERE.parent / "data" / "peers"
RESULTS = HERE.parent / "results"
SIZES = {"1m": 1_000_000, "10m": 10_000_000}
TIMEOUT_S = 1800
Digest = Any


def _same(a: Digest, b: Digest) -> tuple[bool, str]:
    return a == b, "same" if a == b else f"{a} vs {b}"


def _credits_close(tol: float) -> Callable[[Digest, Digest], tuple[bool, str]]:
    """Per-channel numbers equal within ``tol`` (absolute), for every model both sides report."""
    def check(ours: Digest, theirs: Digest) -> tuple[bool, str]:
        worst = 0.0
        for model, numbers in theirs.items():
            mine = ours[{"linear_touch": "linear"}.get(model, model)]
            if set(mine) != set(numbers):
                return False, f"{model}: channels differ"
            worst = max(worst, *(abs(mine[c] - numbers[c]) for c in numbers))
        return worst <= tol, f"largest difference {worst:.3g}"
    return check


def _funnel_counts(ours: Digest, theirs: Digest) -> tuple[bool, str]:
    return ours == theirs, "same counts" if ours == theirs else f"{ours} vs {theirs}"


@dataclass(frozen=True)
class Pair:
    """One row of the table: JourneyLens's task, the peer's and how their answers are compared."""

    work: str
    ours: str
    peer: str | None
    agree: Callable[[Digest, Digest], tuple[bool, str]] = _same
    note: str = ""


def _removal_effects(tol: float) -> Callable[[Digest, Digest], tuple[bool, str]]:
    def check(ours: Digest, theirs: Digest) -> tuple[bool, str]:
        return _credits_close(tol)({"removal_effects": ours["removal_effects"]},
                                   {"removal_effects": theirs["removal_effects"]})
    return check


PAIRS = (
    Pair("end to end: load (no sort), prepare, 10-step funnel (7 days), conversion paths, Markov order 1", "e2e",
         None),
    Pair("prepare (stitch, channels, sessions) vs Eventstream + split_sessions(30m)", "prepare", "reten_prepare",
         lambda a, b: _same(a["sessions"], b["sessions"])),
    Pair("10-step ordered funnel, 7-day window (peer: no window)", "funnel10_7d", "reten_funnel10", _funnel_counts,
         "retentioneering has no window"),
    Pair("10-step ordered funnel, no window", "funnel10_nowin", "reten_funnel10", _funnel_counts),
    Pair("3-step ordered funnel, no window", "funnel3_nowin", "reten_funnel3", _funnel_counts),
    Pair("conversion paths from prepared events", "paths", None),
    Pair("first / last / linear touch", "heuristics", "ca_heuristics", _credits_close(1e-6)),
    Pair("first / last / linear touch", "heuristics", "mam_heuristics", _credits_close(1e-6)),
    Pair("Markov order 1 (removal effects)", "markov1", "mam_markov1", _removal_effects(1e-9), "MAM is exact"),
    Pair("Markov order 1 (removal effects)", "markov1", "ca_markov1", _removal_effects(0.03),
         "ChannelAttribution simulates: within 0.03"),
    Pair("Markov order 3 (credits)", "markov3", "ca_markov3",
         lambda a, b: _credits_close(0.02 * sum(a["credits"].values()))({"credits": a["credits"]},
                                                                         {"credits": b["credits"]}),
         "ChannelAttribution simulates: within 2% of conversions"),
    Pair("path variants per person", "variants", "pm4py_variants", note="pm4py on rows sorted first (untimed)"),
    Pair("directly-follows graph", "dfg", "pm4py_dfg", note="pm4py on rows sorted first (untimed)"),
)


def ensure_peers_venv() -> None:
    """Create benchmarks/.peers-venv with the pinned peers unless it is there."""
    stamp = VENV / ".installed"
    req = HERE / "requirements.txt"
    if stamp.exists() and stamp.stat().st_mtime >= req.stat().st_mtime:
        return
    print(f"installing the peers into {VENV} (not the project's environment)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(PEER_PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PEER_PY), "-m", "pip", "install", "--quiet", "-r", str(req)], check=True)
    stamp.touch()


def _shadow(before: Path) -> Path:
    """A folder holding ``analysis`` of the older checkout and this tree's ``benchmarks``: run from it (it is then
    the first entry of ``sys.path``, ahead of ``PYTHONPATH``), the tasks import the old analysis code."""
    shadow = RESULTS / ".before"
    shadow.mkdir(parents=True, exist_ok=True)
    for name, target in (("analysis", before.resolve() / "analysis"), ("benchmarks", ROOT / "benchmarks")):
        link = shadow / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return shadow


def _env() -> dict[str, str]:
    """Telemetry off."""
    return dict(os.environ, RETENTIONEERING_NO_TRACK="1", PYTHONPATH=str(ROOT))


def ensure_inputs(size: str) -> None:
    """The workload of this size and JourneyLens's prepared events and path table, written once."""
    DATA.mkdir(parents=True, exist_ok=True)
    raw = DATA / f"ev_{size}.parquet"
    if not raw.exists():
        subprocess.run([sys.executable, "-m", "benchmarks.peers.workload", str(SIZES[size]), str(raw)], check=True,
                       cwd=ROOT, env=_env())
    if not (DATA / f"paths_{size}.parquet").exists():
        subprocess.run([sys.executable, "-m", "benchmarks.peers.journeylens_tasks", "setup", str(DATA), size],
                       check=True, cwd=ROOT, env=_env())


def run_task(task: str, size: str, repeat: int, *, peer: bool, before: Path | None = None) -> dict[str, Any]:
    """One task in a fresh process; its RESULT row, or an error row with the tail of stderr."""
    cmd = ([str(PEER_PY), str(HERE / "peer_tasks.py")] if peer
           else [sys.executable, "-m", "benchmarks.peers.journeylens_tasks"])
    start = time.perf_counter()
    try:
        where = _shadow(before) if before is not None else ROOT
        proc = subprocess.run([*cmd, task, str(DATA), size, str(repeat)], check=False, capture_output=True, text=True,
                              cwd=where, env=_env() if before is None else {**_env(), "PYTHONPATH": str(where)},
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"task": task, "error": f"timed out after {TIMEOUT_S} s"}
    rows = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    expected = (before.resolve() if before is not None else ROOT) / "analysis"
    if not peer and rows and Path(rows[-1].get("code", "")).resolve() != expected.resolve():
        return {"task": task, "error": f"ran the analysis code of {rows[-1].get('code')}, not {expected}"}
    print(f"  {task:<16}{' (before)' if before else ''} {time.perf_counter() - start:7.1f} s wall (process)"
          + ("" if rows else f"  FAILED rc={proc.returncode}"), flush=True)
    return rows[-1] if rows else {"task": task, "error": f"rc={proc.returncode}: {proc.stderr[-800:]}"}


def _fmt_s(row: dict[str, Any]) -> str:
    return "failed" if "error" in row else f"{row['seconds']:.3f} s"


def _fmt_mb(row: dict[str, Any]) -> str:
    return "" if "error" in row else f"{row['peak_rss_mb']:,.0f} MB"


def table(size: str, results: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown rows: JourneyLens and the peer side by side, ratio = peer seconds / JourneyLens seconds."""
    lines = [f"| {size} | JourneyLens | peak RSS | peer | peer time | peak RSS | peer / JourneyLens "
             "| CPU s, ours / peer's (ratio) | agree |", "|---|---:|---:|---|---:|---:|---:|---:|---|"]
    for pair in PAIRS:
        ours = results.get(pair.ours, {"error": "not run"})
        peer = results.get(pair.peer, {"error": "not run"}) if pair.peer else None
        ratio, agree, cpu = "", "", ""
        if peer is not None and "error" not in ours and "error" not in peer:
            ratio = f"{peer['seconds'] / ours['seconds']:.2f}x"
            if ours.get("cpu_seconds") and peer.get("cpu_seconds"):
                cpu = (f"{ours['cpu_seconds']:.3f} / {peer['cpu_seconds']:.3f} "
                       f"({peer['cpu_seconds'] / ours['cpu_seconds']:.2f}x)")
            ok, how = pair.agree(ours["result"], peer["result"])
            agree = ("yes" if ok else "**no**") + f" ({how})"
        elif peer is not None:
            agree = "; ".join(" ".join(r["error"].split())[-160:] for r in (ours, peer) if "error" in r)
        note = f" ({pair.note})" if pair.note else ""
        lines.append(f"| {pair.work}{note} | {_fmt_s(ours)} | {_fmt_mb(ours)} | "
                     f"{(peer or {}).get('tool', pair.peer or '-')} | {_fmt_s(peer) if peer else '-'} | "
                     f"{_fmt_mb(peer) if peer else ''} | {ratio} | {cpu} | {agree} |")
    return lines


OURS = ("e2e", "prepare", "funnel", "paths", "heuristics", "markov", "variants", "dfg")


def before_after(size: str, results: dict[str, dict[str, Any]]) -> list[str]:
    """JourneyLens's tasks before and after, in the same run."""
    lines = [f"| {size} | before | after | before / after | CPU s before / after | same answer |",
             "|---|---:|---:|---:|---:|---|"]
    for task in [t for t in results if t.startswith(OURS) and not t.endswith("(before)")]:
        old, new = results.get(f"{task} (before)", {"error": "not run"}), results[task]
        if "error" in old or "error" in new:
            continue
        both = old.get("cpu_seconds") and new.get("cpu_seconds")
        cpu = f"{old['cpu_seconds']:.2f} / {new['cpu_seconds']:.2f}" if both else ""
        lines.append(f"| {task} | {old['seconds']:.3f} s, {old['peak_rss_mb']:,.0f} MB | "
                     f"{new['seconds']:.3f} s, {new['peak_rss_mb']:,.0f} MB | "
                     f"{old['seconds'] / new['seconds']:.2f}x | {cpu} | "
                     f"{'yes' if old['result'] == new['result'] else 'NO'} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["1m", "10m"], choices=sorted(SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per task inside its process (median)")
    parser.add_argument("--only", nargs="*", help="run only these tasks (JourneyLens's or the peers' names)")
    parser.add_argument("--skip", nargs="*", default=[], help="leave these tasks out (e.g. reten_prepare at 10m, "
                        "which peaks near 10 GB)")
    parser.add_argument("--before", type=Path, help="also run JourneyLens's tasks on the analysis package "
                        "of this older checkout, for a before/after in the same run")
    args = parser.parse_args()
    ensure_peers_venv()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    report = [f"Peer benchmark {stamp}: {platform.node()}, {os.cpu_count()} CPUs, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at start; median of {args.repeat} runs per task, "
              "each task in a fresh process.", ""]
    everything: dict[str, Any] = {"stamp": stamp, "load_at_start": os.getloadavg(), "sizes": {}}
    for size in args.sizes:
        print(f"-- {size}", flush=True)
        ensure_inputs(size)
        wanted = [t for pair in PAIRS for t in (pair.ours, pair.peer) if t]
        results: dict[str, dict[str, Any]] = {}
        for task in dict.fromkeys(wanted):
            if (args.only and task not in args.only) or task in args.skip:
                continue
            results[task] = run_task(task, size, args.repeat, peer=not task.startswith(OURS))
            if args.before and task.startswith(OURS):
                results[f"{task} (before)"] = run_task(task, size, args.repeat, peer=False, before=args.before)
        everything["sizes"][size] = results
        report += [*table(size, results), ""]
        if args.before:
            report += [*before_after(size, results), ""]
    report.append(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    (RESULTS / f"peers-{stamp}.json").write_text(json.dumps(everything, indent=1))
    (RESULTS / f"peers-{stamp}.md").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    print(f"results: {RESULTS / f'peers-{stamp}.md'}")


if __name__ == "__main__":
    main()
