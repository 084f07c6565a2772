"""``python -m ui.serve`` (``make run``) makes the first visit of every page ready before the server listens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Runs ``ui.serve.main`` with Streamlit's command line replaced by a no-op, then says what is ready.
PROBE = ("import sys, streamlit.web.cli as cli; cli.main = lambda: None; "
         "import ui.serve, ui.data; ui.serve.main([]); "
         "print(sorted(k for k in ('dataset', 'prepared', 'warm') if k in ui.data._DEFAULT), "
         "'scipy' in sys.modules, 'sklearn' in sys.modules, sys.argv[1:3])")


def _probe(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if k != "JOURNEYLENS_DATA"} | env)
    return done.stdout.strip().splitlines()[-1]


def test_on_the_sample_the_prepared_events_and_every_page_import_are_ready_before_serving() -> None:
    assert _probe({}) == f"['dataset', 'prepared', 'warm'] True True ['run', '{ROOT / 'app.py'}']"


def test_a_dataset_given_at_start_is_read_after_the_server_is_up() -> None:
    # the imports are warmed, the user's data is not (this file need not exist): its progress shows on the Data page
    given = {"JOURNEYLENS_DATA": "benchmarks/data/read-after-the-server-is-up.parquet"}
    assert _probe(given) == f"[] True True ['run', '{ROOT / 'app.py'}']"
