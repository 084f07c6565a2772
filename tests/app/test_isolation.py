"""Two users of one server never see each other's data: every cache of user data is session-scoped."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from analysis import schema as s
from tests.app.apptest import APP
from ui import state
from ui.data import SAMPLE_NAME, Dataset

ROOT = Path(__file__).resolve().parents[2]
# caches that hold no user data: the list of time zones (the default dataset is a plain once-per-server value) and
# the server's Spark session (a connection, started once per server as issue 21 asks; it keeps no frame)
PUBLIC_CACHES = {("ingest.py", "all_timezones"), ("spark.py", "shared_session")}


def _cache_decorators() -> list[tuple[str, str, bool]]:
    found = []
    for path in sorted((ROOT / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and ast.unparse(deco.func) in {"st.cache_data", "st.cache_resource"}:
                    scoped = any(k.arg == "scope" and ast.literal_eval(k.value) == "session" for k in deco.keywords)
                    found.append((path.name, node.name, scoped))
    return found


def test_every_cache_of_user_data_is_session_scoped() -> None:
    caches = _cache_decorators()
    assert len(caches) > 10  # the scan finds the caches (it would pass vacuously otherwise)
    shared = [(f, n) for f, n, scoped in caches if not scoped and (f, n) not in PUBLIC_CACHES]
    assert shared == []


def _rendered(at: AppTest) -> str:
    """Every value the session shows, main area and sidebar."""
    return " ".join(str(getattr(e, "value", "")) for part in (at.main, at.sidebar) for e in part.children.values())


def test_a_second_session_does_not_see_the_first_sessions_data() -> None:
    secret = pl.DataFrame(
        {s.USER_ID: ["secret-user-1"] * 3,
         s.TIMESTAMP: [datetime(2026, 1, 1, h, tzinfo=UTC) for h in (1, 2, 3)],
         s.EVENT: ["page_view", "add_to_cart", "purchase"]},
        schema_overrides={s.TIMESTAMP: s.TIMESTAMP_DTYPE},
    )
    first = AppTest.from_file(str(APP), default_timeout=120)
    first.session_state[state.DATASET] = Dataset("Secret upload", "digest-of-the-secret-upload", secret)
    first.run()
    assert "Secret upload" in _rendered(first)
    first.switch_page("app_pages/journeys.py")
    first.run()  # caches of the first session now hold results from the secret data
    assert not first.exception

    second = AppTest.from_file(str(APP), default_timeout=120)
    second.run()
    assert not second.exception
    assert SAMPLE_NAME in _rendered(second)
    assert "Secret upload" not in _rendered(second)
    second.switch_page("app_pages/journeys.py")
    second.run()
    assert not second.exception
    assert "secret-user-1" not in _rendered(second)


def test_forget_this_data_drops_the_sessions_dataset_and_settings() -> None:
    secret = pl.DataFrame(
        {s.USER_ID: ["secret-user-1"], s.TIMESTAMP: [datetime(2026, 1, 1, tzinfo=UTC)], s.EVENT: ["page_view"]},
        schema_overrides={s.TIMESTAMP: s.TIMESTAMP_DTYPE},
    )
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[state.DATASET] = Dataset("Secret upload", "digest-of-the-secret-upload", secret)
    at.session_state[state.COHORT_IDS] = frozenset({"secret-user-1"})
    at.run()
    assert "Secret upload" in _rendered(at)
    at.button(key="sidebar.forget").click().run()
    assert not at.exception
    assert state.DATASET not in at.session_state and state.COHORT_IDS not in at.session_state
    assert SAMPLE_NAME in _rendered(at) and "Secret upload" not in _rendered(at)


def test_no_process_wide_memo_takes_arguments_in_the_ui() -> None:
    # functools.cache / lru_cache live as long as the server and are shared by every session: a memo keyed by
    # arguments would keep one user's data (ids, labels) for all to share
    memos = []
    for path in sorted((ROOT / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                ast.unparse(d).split("(")[0] in {"functools.cache", "functools.lru_cache", "cache", "lru_cache"}
                for d in node.decorator_list
            ):
                memos.append((path.name, node.name, len(node.args.args) + len(node.args.kwonlyargs)))
    assert memos, "the scan finds the argument-free memo in ui/data.py"
    assert [(f, n) for f, n, args in memos if args] == []
