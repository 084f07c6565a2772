"""The Spark side of the engine setting: where Spark runs, one session per server, and progress while it works.

The address comes from the sidebar's text field, else from ``$JOURNEYLENS_SPARK`` (a team server points every
visitor at its cluster), else ``local[2]``. The session is a server-wide resource: started on first use, shared by
every view and visitor, replaced only when the address changes.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import polars as pl
import streamlit as st

from analysis.engine.spark_session import DEFAULT_MASTER, SPARK_ENV, spark_address
from analysis.errors import AnalysisError
from ui import state

#: What each Spark step does, as the progress bar says it.
STEP_LABELS = {"identity": "linking identities", "prepare": "stitching, channels and sessions",
               "write": "writing prepared events"}


def default_address() -> str:
    """The address used when the sidebar field is empty: ``$JOURNEYLENS_SPARK``, else ``local[2]``."""
    return os.environ.get(SPARK_ENV, "").strip() or DEFAULT_MASTER


def chosen_address() -> str:
    """The Spark address in force for this visitor (the sidebar field, else :func:`default_address`)."""
    typed = str(st.session_state.get(state.SPARK_ADDRESS) or "").strip()
    return typed or default_address()


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a Spark address (None when it is one)."""
    try:
        spark_address(address)
    except AnalysisError as exc:
        return str(exc)
    return None


def _alive(session: Any) -> bool:
    try:
        return session.sparkContext._jsc is not None  # type: ignore[no-any-return]
    except Exception:  # a Spark Connect session has no context: ask it instead
        return not getattr(session, "is_stopped", False)


@st.cache_resource(max_entries=1, show_spinner=False, validate=_alive)
def shared_session(address: str) -> Any:
    """The server's Spark session for ``address``: started once, shared by every view (a JVM holds one)."""
    from analysis.engine.spark_session import spark_session  # noqa: PLC0415 (PySpark is optional)

    return spark_session(address)


def prepare_on_spark(raw: pl.DataFrame, *, session_gap: timedelta, channel_rules: pl.DataFrame | None,
                     address: str) -> pl.DataFrame:
    """Prepare ``raw`` on Spark at ``address`` with a progress bar (step and share of tasks done) meanwhile."""
    from analysis.engine import EngineOptions  # noqa: PLC0415 (imports PySpark's glue only when chosen)
    from analysis.prepare.stage import prepare_events  # noqa: PLC0415

    bar = st.progress(0.0, text=f"Starting Apache Spark at {address}…")
    shown: list[tuple[str, int]] = []

    def report(step: str, done: int, total: int) -> None:
        share = done / total if total else 0.0
        if shown and shown[-1] == (step, int(share * 100)):
            return  # the bar only changes when the percentage does
        shown.append((step, int(share * 100)))
        bar.progress(min(share, 1.0), text=f"Apache Spark: {STEP_LABELS.get(step, step)} ({share:.0%} of tasks done)")

    try:
        session = shared_session(address)
        return prepare_events(raw, session_gap=session_gap, channel_rules=channel_rules,
                              engine=EngineOptions(engine="spark", spark=session, progress=report))
    finally:
        bar.empty()
