"""The active dataset and its prepared events: the app's one caching layer for data.

Frames live in session-scoped caches keyed by the dataset's content digest and the parameters, never by hashing
a frame (Streamlit samples large frames when hashing). Cheap filters, such as the sidebar's date range and the
session's cohort, are applied outside the cache.

Two session-wide selections shape what every page sees:

- the **cohort** (:func:`set_cohort`, picked on the Funnels page): only these people's events, shown in the sidebar;
- the **persona labels** (:func:`set_person_labels`, exported on the Personas page): a ``persona`` column joined
  onto the events, usable as a breakdown.

One definition of success per dataset lives in ``ui.conversions`` (asked on the Data page right after a load).

Uploaded datasets are kept in the local library (``ui.library``) under an unguessable key that the address bar
carries (``ds``), so a refresh, a restart or the same person's link reopens them (``docs/decisions/0008``).

Every page's cache keys start with :func:`view_key`, which changes whenever any of these (or the dataset, session
gap, channel rules or date range) does.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import polars as pl
import streamlit as st
from streamlit.runtime.caching import cache_data_api, cache_resource_api
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from analysis import schema as s
from analysis.filters import add_person_labels, filter_dates, filter_people
from analysis.ingest import load_events
from analysis.prepare import prepare
from analysis.prepare.channels import validate_channel_rules
from analysis.sample import SAMPLE_PATH, load_sample
from analysis.summary import DatasetSummary, summarize
from ui import library, state
from ui.spark import address_problem, chosen_address, prepare_on_spark

SAMPLE_NAME = "Bundled sample (synthetic shop, 60 days)"


@dataclass(frozen=True)
class Dataset:
    """The data a session is working on: canonical events, where they came from, and their content digest."""

    name: str
    digest: str
    events: pl.DataFrame = field(repr=False)
    report: Any = None  # analysis.ingest LoadReport when the data was uploaded
    people: pl.DataFrame | None = field(default=None, repr=False)  # people records joined in (ui.people)
    key: str = ""  # what the address bar carries: a library key (ui.library), else the digest's first 12 digits

    @property
    def link_key(self) -> str:
        """The ``ds`` of this dataset's links."""
        return self.key or self.digest[:12]


STARTUP_ENV = "JOURNEYLENS_DATA"  # a canonical Parquet file or folder to open instead of the bundled sample


# the default dataset and its prepared events are computed once per server (each under its own lock, so reading
# the dataset never waits for the preparation)
_DATASET_LOCK, _PREPARED_LOCK, _WARM_LOCK = threading.Lock(), threading.Lock(), threading.Lock()
_DEFAULT: dict[str, Any] = {}


def _sample_dataset() -> Dataset:
    """The server's default dataset: ``$JOURNEYLENS_DATA`` when set (read once per server), else the sample.

    Public data, shared by every session; :func:`start_warm_up` reads it before anyone asks."""
    with _DATASET_LOCK:
        if "dataset" not in _DEFAULT:
            startup = os.environ.get(STARTUP_ENV, "").strip()
            if startup:
                _DEFAULT["dataset"] = _startup_dataset(Path(startup))
            else:
                digest = hashlib.sha256(SAMPLE_PATH.read_bytes()).hexdigest() if SAMPLE_PATH.exists() else "generated"
                _DEFAULT["dataset"] = Dataset(SAMPLE_NAME, digest, load_sample())
        return _DEFAULT["dataset"]  # type: ignore[no-any-return]


def _default_prepared() -> pl.DataFrame:
    """The default dataset prepared with the default settings (30-minute gap, shipped rules, Polars), once."""
    dataset = _sample_dataset()
    with _PREPARED_LOCK:
        if "prepared" not in _DEFAULT:
            _DEFAULT["prepared"] = prepare(dataset.events, session_gap=timedelta(minutes=30))
        return _DEFAULT["prepared"]  # type: ignore[no-any-return]


#: Imported ahead by :func:`start_warm_up`: what the pages' first visits would otherwise import (seconds each).
WARM_MODULES = ("scipy.stats", "sklearn.cluster", "sklearn.mixture", "sklearn.decomposition", "plotly.graph_objects",
                "analysis.attribution", "analysis.dropoff", "analysis.funnels", "analysis.journeys",
                "analysis.paths", "analysis.personas", "analysis.snapshot", "analysis.figures.attribution",
                "analysis.figures.funnels", "analysis.figures.journeys", "analysis.figures.personas")


def start_warm_up() -> None:
    """Once per server, in the background: import what the pages need and read and prepare the default dataset,
    so that the first visit of every page does not wait for them."""
    with _WARM_LOCK:
        if "thread" in _DEFAULT:
            return
        _DEFAULT["thread"] = thread = threading.Thread(target=_warm_up, name="journeylens-warm-up", daemon=True)
        thread.start()


def _warm_up() -> None:
    for module in WARM_MODULES:
        importlib.import_module(module)
    _default_prepared()


def _startup_dataset(path: Path) -> Dataset:
    """A Parquet file or folder given at start (``JOURNEYLENS_DATA``), loaded with the usual checks and report."""
    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    sha = hashlib.sha256()
    for file in files:
        sha.update(file.relative_to(path).as_posix().encode("utf-8") if file != path else b"")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    result = load_events(path, sort=False)  # prepare sorts once, by person and time
    return Dataset(f"{path.name} ({STARTUP_ENV})", sha.hexdigest(), result.events, result.report)


NO_DATA_NAME = "No data: the link's dataset is not on this server"


def active_dataset() -> Dataset:
    """The session's dataset; the bundled sample until the user loads their own, and no events at all while an
    opened link's data is missing (:func:`missing_link`): the app never swaps in the sample unasked."""
    dataset = st.session_state.get(state.DATASET)
    if isinstance(dataset, Dataset):
        return dataset
    if missing_link() is not None:
        return Dataset(NO_DATA_NAME, "none", pl.DataFrame(schema=s.CANONICAL_SCHEMA))
    return _sample_dataset()


def set_active_dataset(name: str, digest: str, events: pl.DataFrame, report: Any = None,
                       people: pl.DataFrame | None = None) -> None:
    """Make ``events`` (and ``people`` records, if any) the session's dataset, keep the events in the local library
    under a new key (the address bar carries it, so a refresh reopens it) and reset what depended on the previous
    dataset."""
    key = library.save(events, name=name, digest=digest, report=report, people=people)
    st.session_state.setdefault(state.OWN_KEYS, set()).add(key)
    st.session_state[state.DATASET] = Dataset(name, digest, events, report, people=people, key=key)
    st.session_state.pop(state.LINK_MISSING, None)
    _forget_selections()


def open_linked_dataset() -> None:
    """Once per session, before anything reads the dataset: open the dataset the address bar's ``ds`` names.

    A library key opens that dataset (with its conversion events); the default dataset's own ``ds`` or none
    changes nothing; anything else is a link whose data is not here: :func:`missing_link` says so until the user
    loads data or goes back to the sample. Unused library entries past their keeping time are deleted here.
    """
    if st.session_state.get(_LINK_OPENED):
        return
    st.session_state[_LINK_OPENED] = True
    library.purge_expired()
    ds = st.query_params.get("ds")
    if ds is None or isinstance(st.session_state.get(state.DATASET), Dataset) or ds == _sample_dataset().link_key:
        return
    stored = library.open_dataset(ds)
    if stored is None:
        st.session_state[state.LINK_MISSING] = ds
        return
    st.session_state[state.DATASET] = Dataset(stored.name, stored.digest, stored.events, stored.report,
                                                people=stored.people, key=stored.key)
    if stored.conversion_events is not None:
        st.session_state[state.CONVERSION_EVENTS] = stored.conversion_events


_LINK_OPENED = "data.link_opened"


def missing_link() -> str | None:
    """The dataset key of an opened link whose data is not on this server (None when there is none)."""
    ds = st.session_state.get(state.LINK_MISSING)
    return ds if isinstance(ds, str) else None


def forget_session() -> None:
    """Drop everything this browser session holds: uploads, dataset (and its copy in the local library),
    settings, cohorts and cached results.

    Streamlit runs the same per-session cache clean-up when a session disconnects; this does it on request.
    """
    ctx = get_script_run_ctx()
    if ctx is not None:
        cache_data_api.clear_session_cache(ctx.session_id)
        cache_resource_api.clear_session_cache(ctx.session_id)
    dataset = st.session_state.get(state.DATASET)
    for key in {*st.session_state.get(state.OWN_KEYS, ()), *([dataset.key] if isinstance(dataset, Dataset) else [])}:
        library.forget(key)  # the kept copies too: a refresh or the link no longer reopens them
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.query_params.clear()


def use_sample() -> None:
    """Switch the session back to the bundled sample (also away from a link whose data is missing)."""
    st.session_state.pop(state.DATASET, None)
    if st.session_state.pop(state.LINK_MISSING, None) is not None:
        st.session_state[state.LINK_FOR_OTHER_DATA] = True  # the link's settings were for that data: not applied
    if "ds" in st.query_params:
        del st.query_params["ds"]
    _forget_selections()


def _forget_selections() -> None:
    """What belonged to the previous dataset: date range, cohort, persona labels, conversion events and the page
    settings that follow them."""
    for key in (state.DATE_RANGE, state.COHORT_IDS, state.COHORT_LABEL, state.COHORT_DIGEST, state.PERSONA_LABELS,
                state.PERSONA_DIGEST, state.PERSONA_FIT, state.CONVERSION_EVENTS, *state.CONVERSION_FOLLOWERS,
                *state.FUNNEL_FOLLOWERS):
        st.session_state.pop(key, None)


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
    return "default" if table is None else _digest_of(table.write_csv())


# --- the engine that prepares the events ------------------------------------------------------------------------

EngineName = Literal["polars", "spark"]
ENGINE_LABELS: dict[EngineName, str] = {"polars": "This machine (Polars)", "spark": "Apache Spark"}


@functools.cache
def spark_unavailable() -> str | None:
    """Why the Spark engine cannot run here (None when PySpark imports and ``java`` is on PATH)."""
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'journeylens[spark]')."
    try:
        import pyspark  # noqa: F401, PLC0415 (optional extra)
    except ImportError as exc:
        return f"PySpark does not import: {exc}."
    if shutil.which("java") is None:
        return "Java is not on PATH (`make java` installs Java 17)."
    return None


def engine() -> EngineName:
    """The engine chosen in the sidebar: ``"polars"`` (default) or ``"spark"`` when Spark can run here (PySpark and
    Java present, a valid Spark address; the sidebar says what is wrong otherwise)."""
    wanted = st.session_state.get(state.ENGINE) == "spark" and spark_unavailable() is None
    return "spark" if wanted and address_problem(chosen_address()) is None else "polars"


@st.cache_resource(max_entries=4, scope="session", show_spinner=False)
def _prepared(digest: str, gap_minutes: int, rules_key: str, rederive: bool, engine_name: EngineName,
              _rules: pl.DataFrame | None, _events: pl.DataFrame, _people: pl.DataFrame | None = None,
              *, spark_at: str = "") -> pl.DataFrame:
    raw = _events.drop(s.CHANNEL) if rederive and s.CHANNEL in _events.columns else _events
    gap = timedelta(minutes=gap_minutes)
    if engine_name == "spark" and _people is None:  # people tables are joined by the Polars engine only
        return prepare_on_spark(raw, session_gap=gap, channel_rules=_rules, address=spark_at)
    return prepare(raw, people=_people, session_gap=gap, channel_rules=_rules)


#: Seconds per million events and fixed start-up of ``prepare`` on this 2-core machine (docs/performance.md).
PREPARE_COST: dict[EngineName, tuple[float, float]] = {"polars": (0.8, 0.2), "spark": (17.0, 15.0)}


def estimate_prepare(events: int, engine_name: EngineName) -> str:
    """How long preparing ``events`` takes, roughly, as the spinner says it ("about 40 s").

    Examples
    --------
    >>> estimate_prepare(1_000_000, "spark")
    'about 30 s'
    """
    per_million, start = PREPARE_COST[engine_name]
    seconds = start + per_million * events / 1e6
    if seconds < 2:
        return "a second or two"
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s"
    return f"about {round(seconds / 60):.0f} min"


def prepared_events() -> pl.DataFrame:
    """The active dataset, prepared (stitched, channels, sessions); cached per dataset, gap, channel rules and
    engine. Only a cache miss shows the spinner (it appears after half a second)."""
    dataset = active_dataset()
    gap_minutes = int(session_gap().total_seconds() // 60)
    chosen = engine()
    at = chosen_address() if chosen == "spark" else ""
    where = (f" ({estimate_prepare(dataset.events.height, chosen)})" if chosen == "polars" else
             f" on Apache Spark at {at}" + (f" ({estimate_prepare(dataset.events.height, chosen)}, starting Spark "
                                            "included)" if at.startswith("local") else ""))
    if (dataset.key == "" and dataset.digest == _sample_dataset().digest and gap_minutes == 30 and chosen == "polars"
            and channel_rules() is None and not rederive_channels()):
        with st.spinner(f"Stitching identities and building sessions{where}…", show_time=True):
            return _default_prepared()  # public, shared, usually ready before the first page asks
    with st.spinner(f"Stitching identities and building sessions{where}…", show_time=True):
        return _prepared(dataset.digest, gap_minutes, rules_digest(), rederive_channels(), chosen, channel_rules(),
                         dataset.events, dataset.people, spark_at=at)


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


# --- the session's cohort and persona labels ---------------------------------------------------------------------

def _digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def set_cohort(ids: pl.Series | Iterable[str], label: str) -> None:
    """Limit every page to these people (``user_id``, else ``anonymous_id``) from now on in this session."""
    cohort = frozenset((ids if isinstance(ids, pl.Series) else pl.Series(list(ids), dtype=pl.String))
                       .drop_nulls().to_list())
    st.session_state[state.COHORT_IDS] = cohort
    st.session_state[state.COHORT_LABEL] = label
    st.session_state[state.COHORT_DIGEST] = _digest_of("\n".join(sorted(cohort)))


def clear_cohort() -> None:
    """Back to everyone."""
    for key in (state.COHORT_IDS, state.COHORT_LABEL, state.COHORT_DIGEST):
        st.session_state.pop(key, None)


def cohort_ids() -> frozenset[str] | None:
    """The session's cohort, or None when every person is in view."""
    ids = st.session_state.get(state.COHORT_IDS)
    return ids if isinstance(ids, frozenset) else None


def cohort_label() -> str:
    """Which people the cohort holds ("" without one)."""
    return str(st.session_state.get(state.COHORT_LABEL, "")) if cohort_ids() is not None else ""


def cohort_digest() -> str:
    """A short content digest of the cohort ("all" without one)."""
    ids = cohort_ids()
    if ids is None:
        return "all"
    digest = st.session_state.get(state.COHORT_DIGEST)
    if not isinstance(digest, str):  # ids put into the session state directly
        digest = st.session_state[state.COHORT_DIGEST] = _digest_of("\n".join(sorted(ids)))
    return digest


def set_person_labels(labels: pl.DataFrame, fit: dict[str, Any] | None = None) -> None:
    """Join these person-level columns (``user_id`` plus e.g. ``persona``) onto the events every page sees.

    ``fit`` holds the recipe parameters that refit the personas behind the labels (so recipes of pages that use
    the persona column can be re-run on the command line).
    """
    st.session_state[state.PERSONA_LABELS] = labels
    st.session_state[state.PERSONA_DIGEST] = _digest_of(labels.write_csv())
    if fit is None:
        st.session_state.pop(state.PERSONA_FIT, None)
    else:
        st.session_state[state.PERSONA_FIT] = fit


def persona_fit() -> dict[str, Any] | None:
    """The recipe parameters behind the exported persona labels, if any."""
    fit = st.session_state.get(state.PERSONA_FIT)
    return fit if isinstance(fit, dict) and person_labels() is not None else None


def clear_person_labels() -> None:
    """Stop joining the exported persona labels."""
    st.session_state.pop(state.PERSONA_LABELS, None)
    st.session_state.pop(state.PERSONA_DIGEST, None)
    st.session_state.pop(state.PERSONA_FIT, None)


def person_labels() -> pl.DataFrame | None:
    """The exported ``user_id, persona`` frame, if any."""
    labels = st.session_state.get(state.PERSONA_LABELS)
    return labels if isinstance(labels, pl.DataFrame) else None


def labels_digest() -> str:
    """A short content digest of the persona labels ("none" without them)."""
    labels = person_labels()
    if labels is None:
        return "none"
    digest = st.session_state.get(state.PERSONA_DIGEST)
    if not isinstance(digest, str):
        digest = st.session_state[state.PERSONA_DIGEST] = _digest_of(labels.write_csv())
    return digest


ViewKey = tuple[str, int, str, bool, tuple[date, date], str, str]


def view_key() -> ViewKey:
    """Everything the events a page sees depend on: dataset digest, session gap (minutes), channel-rules digest,
    re-derive flag, date range, cohort digest and persona-labels digest. Put it first in every cache key."""
    return (active_dataset().digest, int(session_gap().total_seconds() // 60), rules_digest(), rederive_channels(),
            date_range(), cohort_digest(), labels_digest())


@st.cache_resource(max_entries=2, scope="session", show_spinner=False)
def _labelled(prepared_key: tuple[str, int, str, bool], digest: str, _events: pl.DataFrame,
              _labels: pl.DataFrame) -> pl.DataFrame:
    return add_person_labels(_events, _labels)


def view_events(*, with_labels: bool = True) -> pl.DataFrame:
    """Prepared events of the session's cohort (every date), with the persona labels joined on when exported.

    For views that apply the date range themselves (the Funnels page uses it for entry only).
    ``with_labels=False`` leaves the labels off (for the Personas and Snapshots pages, which add their own).
    """
    events = prepared_events()
    labels = person_labels()
    if with_labels and labels is not None:
        gap = int(session_gap().total_seconds() // 60)
        events = _labelled((active_dataset().digest, gap, rules_digest(), rederive_channels()), labels_digest(),
                           events, labels)
    ids = cohort_ids()
    return events if ids is None else filter_people(events, ids)


def filtered_events(*, with_labels: bool = True) -> pl.DataFrame:
    """:func:`view_events` within the sidebar's date range (cheap filters outside the cache)."""
    return filter_dates(view_events(with_labels=with_labels), *date_range())


@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner=False)
def _event_names(digest: str, _events: pl.DataFrame) -> list[str]:
    return _events[s.EVENT].drop_nulls().unique().sort().to_list() if s.EVENT in _events.columns else []


def event_names() -> list[str]:
    """Distinct event names of the active dataset, sorted (cached per dataset and session)."""
    dataset = active_dataset()
    return _event_names(dataset.digest, dataset.events)
