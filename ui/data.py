"""The active dataset and its prepared events: the app's one caching layer for data.

Frames live in session-scoped caches keyed by the dataset's content digest and the parameters, never by hashing
a frame (Streamlit samples large frames when hashing). Cheap filters, such as the sidebar's date range, are applied
outside the cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import streamlit as st

from analysis import schema as s
from analysis.channels import validate_channel_rules
from analysis.filters import filter_dates
from analysis.prepare import prepare
from analysis.sample import SAMPLE_PATH, load_sample
from analysis.summary import DatasetSummary, summarize
from ui import state

SAMPLE_NAME = "Bundled sample (synthetic shop, 60 days)"


@dataclass(frozen=True)
class Dataset:
    """The data a session is working on: canonical events, where they came from, and their content digest."""

    name: str
    digest: str
    events: pl.DataFrame = field(repr=False)
    report: Any = None  # analysis.ingest LoadReport when the data was uploaded


@st.cache_resource(max_entries=1, show_spinner="Loading the bundled sample…")
def _sample_dataset() -> Dataset:
    digest = hashlib.sha256(SAMPLE_PATH.read_bytes()).hexdigest() if SAMPLE_PATH.exists() else "generated"
    return Dataset(SAMPLE_NAME, digest, load_sample())


def active_dataset() -> Dataset:
    """The session's dataset; the bundled sample until the user loads their own."""
    dataset = st.session_state.get(state.DATASET)
    return dataset if isinstance(dataset, Dataset) else _sample_dataset()


def set_active_dataset(name: str, digest: str, events: pl.DataFrame, report: Any = None) -> None:
    """Make ``events`` the session's dataset and reset what depended on the previous one."""
    st.session_state[state.DATASET] = Dataset(name, digest, events, report)
    st.session_state.pop(state.DATE_RANGE, None)


def use_sample() -> None:
    """Switch the session back to the bundled sample."""
    st.session_state.pop(state.DATASET, None)
    st.session_state.pop(state.DATE_RANGE, None)


def session_gap() -> timedelta:
    """The inactivity gap that splits sessions (sidebar setting, default 30 minutes)."""
    return timedelta(minutes=int(st.session_state.get(state.SESSION_GAP_MINUTES, 30)))


def channel_rules() -> pl.DataFrame | None:
    """The session's edited channel rules, or None for the shipped GA4 defaults."""
    table = st.session_state.get(state.CHANNEL_RULES)
    return table if isinstance(table, pl.DataFrame) else None


def rederive_channels() -> bool:
    """Whether the rules replace a ``channel`` column the data brought with it."""
    return bool(st.session_state.get(state.REDERIVE_CHANNELS, False))


def set_channel_rules(table: pl.DataFrame | None, *, rederive: bool) -> None:
    """Group channels with ``table`` (None = the shipped defaults) on every page from now on.

    Raises AnalysisError naming the row and cell when ``table`` is not a valid rule table.
    """
    if table is None:
        st.session_state.pop(state.CHANNEL_RULES, None)
    else:
        st.session_state[state.CHANNEL_RULES] = validate_channel_rules(table)
    st.session_state[state.REDERIVE_CHANNELS] = rederive


def rules_digest() -> str:
    """A short content digest of the session's channel rules ("default" for the shipped ones)."""
    table = channel_rules()
    return "default" if table is None else hashlib.sha256(table.write_csv().encode("utf-8")).hexdigest()[:16]


@st.cache_resource(max_entries=4, scope="session", show_spinner="Stitching identities and building sessions…")
def _prepared(digest: str, gap_minutes: int, rules_key: str, rederive: bool, _rules: pl.DataFrame | None,
              _events: pl.DataFrame) -> pl.DataFrame:
    raw = _events.drop(s.CHANNEL) if rederive and s.CHANNEL in _events.columns else _events
    return prepare(raw, session_gap=timedelta(minutes=gap_minutes), channel_rules=_rules)


def prepared_events() -> pl.DataFrame:
    """The active dataset, prepared (stitched, channels, sessions); cached per dataset, gap and channel rules."""
    dataset = active_dataset()
    gap_minutes = int(session_gap().total_seconds() // 60)
    return _prepared(dataset.digest, gap_minutes, rules_digest(), rederive_channels(), channel_rules(), dataset.events)


@st.cache_resource(max_entries=4, scope="session", show_spinner=False)
def _summary(digest: str, _events: pl.DataFrame) -> DatasetSummary:
    return summarize(_events)


def active_summary() -> DatasetSummary:
    """Counts and time span of the active dataset (cached per dataset)."""
    dataset = active_dataset()
    return _summary(dataset.digest, dataset.events)


def data_date_bounds() -> tuple[date, date]:
    """First and last day of the active dataset (UTC); today when it is empty."""
    summary = active_summary()
    if summary.first is None or summary.last is None:
        today = datetime.now(UTC).date()
        return today, today
    return summary.first.date(), summary.last.date()


def date_range() -> tuple[date, date]:
    """The date range chosen in the sidebar (whole days, inclusive), the whole dataset by default."""
    picked = st.session_state.get(state.DATE_RANGE)
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return picked[0], picked[1]
    return data_date_bounds()


def filtered_events() -> pl.DataFrame:
    """Prepared events within the sidebar's date range (a cheap filter outside the cache)."""
    return filter_dates(prepared_events(), *date_range())
