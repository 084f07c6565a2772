"""The active dataset and its prepared events: the app's one caching layer for data.

Frames live in session-scoped caches keyed by the dataset's content digest and the parameters, never by hashing
a frame (Streamlit samples large frames when hashing). The server's default dataset (the bundled sample, or
``$JOURNEYLENS_DATA``) is public and read and prepared once per server by a background warm-up.

Which dataset a session holds (uploads, links, the local library) is ``ui.links``; the view every page works on
(dates, cohort, persona labels) and its cache key are ``ui.view``; one definition of success per dataset lives in
``ui.conversions``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

import analysis
from analysis import schema as s
from analysis.ingest import load_events
from analysis.prepare import prepare
from analysis.prepare.channels import validate_channel_rules
from analysis.sample import SAMPLE_PATH, load_sample
from analysis.summary import DatasetSummary, summarize
from analysis.vocabulary import SESSION_GAP, Engine
from ui import state
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


def default_dataset() -> Dataset:
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
    """The default dataset prepared with the default settings (30-minute gap, shipped rules, Polars), once per
    server; the bundled sample's is kept on disk (:func:`prepared_sample_file`), so a new server reads it."""
    dataset = default_dataset()
    with _PREPARED_LOCK:
        if "prepared" not in _DEFAULT:
            stored = prepared_sample_file() if dataset.name == SAMPLE_NAME else None
            if stored is not None and stored.exists():
                _DEFAULT["prepared"] = pl.read_parquet(stored)
            else:
                _DEFAULT["prepared"] = prepare(dataset.events, session_gap=SESSION_GAP)
                if stored is not None:
                    _keep(_DEFAULT["prepared"], stored)
        return _DEFAULT["prepared"]  # type: ignore[no-any-return]


#: Where the bundled sample's prepared events are kept (the sample is fixed; ignored by git).
PREPARED_FOLDER = SAMPLE_PATH.parent / ".prepared"


def prepared_sample_file() -> Path | None:
    """The file holding the bundled sample prepared by this code: named by a digest of the sample and of every
    source file of ``analysis/`` (any change to the library makes a new one), None without the sample file."""
    if not SAMPLE_PATH.exists():
        return None
    sha = hashlib.sha256(SAMPLE_PATH.read_bytes())
    sha.update(str(SESSION_GAP).encode())
    package = Path(analysis.__file__).resolve().parent
    for source in sorted([*package.rglob("*.py"), *package.rglob("*.csv")]):
        sha.update(source.relative_to(package).as_posix().encode())
        sha.update(source.read_bytes())
    return PREPARED_FOLDER / f"sample-{sha.hexdigest()[:24]}.parquet"


def _keep(events: pl.DataFrame, path: Path) -> None:
    """Write ``events`` to ``path`` atomically, replacing older versions; a read-only install just skips it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        events.write_parquet(partial)
        for old in path.parent.glob("sample-*.parquet"):
            old.unlink(missing_ok=True)
        partial.replace(path)
    except OSError:
        pass


#: Imported ahead by :func:`start_warm_up`, in the order the pages need them (seconds each on a first visit).
WARM_MODULES = ("plotly.graph_objects", "analysis.journeys", "analysis.figures.journeys",
                "analysis.funnels", "analysis.funnels.dropoff", "analysis.figures.funnels", "scipy.stats",
                "analysis.attribution", "analysis.figures.attribution", "sklearn.cluster", "sklearn.mixture",
                "sklearn.decomposition", "analysis.personas", "analysis.figures.personas", "analysis.snapshot")


def start_warm_up() -> None:
    """Once per server, in the background: :func:`warm_up`, unless the server did it before taking its first
    visitor (``ui.serve``). ``app.py`` calls it after the first page is drawn: the imports hold the interpreter
    lock and would slow that page down."""
    with _WARM_LOCK:
        if "thread" in _DEFAULT or "warm" in _DEFAULT:
            return
        _DEFAULT["thread"] = thread = threading.Thread(target=warm_up, name="journeylens-warm-up", daemon=True)
        thread.start()


def warm_up(*, with_data: bool = True) -> None:
    """Read and prepare the default dataset (``with_data``), then import what the pages need, so that the first
    visit of every page waits for neither."""
    if with_data:
        _default_prepared()
    for module in WARM_MODULES:
        importlib.import_module(module)
    if with_data:
        _DEFAULT["warm"] = True


def files_digest(path: Path) -> str:
    """The content digest of a Parquet file or folder (names and bytes), which keys a dataset given at start."""
    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    sha = hashlib.sha256()
    for file in files:
        sha.update(file.relative_to(path).as_posix().encode("utf-8") if file != path else b"")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    return sha.hexdigest()


def _startup_dataset(path: Path) -> Dataset:
    """A Parquet file or folder given at start (``JOURNEYLENS_DATA``), loaded with the usual checks and report."""
    result = load_events(path, sort=False)  # prepare sorts once, by person and time
    return Dataset(f"{path.name} ({STARTUP_ENV})", files_digest(path), result.events, result.report)


NO_DATA_NAME = "No data: the link's dataset is not on this server"


def active_dataset() -> Dataset:
    """The session's dataset; the bundled sample until the user loads their own, and no events at all while an
    opened link's data is missing (:func:`missing_link`): the app never swaps in the sample unasked."""
    dataset = st.session_state.get(state.DATASET)
    if isinstance(dataset, Dataset):
        return dataset
    if missing_link() is not None:
        return Dataset(NO_DATA_NAME, "none", pl.DataFrame(schema=s.CANONICAL_SCHEMA))
    return default_dataset()


def missing_link() -> str | None:
    """The dataset key of an opened link whose data is not on this server (None when there is none)."""
    ds = st.session_state.get(state.LINK_MISSING)
    return ds if isinstance(ds, str) else None


def session_gap() -> timedelta:
    """The inactivity gap that splits sessions in this app: the one session rule's default
    (:data:`analysis.vocabulary.SESSION_GAP`; the app has no setting for it)."""
    return SESSION_GAP


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


def short_digest(text: str) -> str:
    """A short content digest of ``text`` (16 hex digits), for cache keys."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def rules_digest() -> str:
    """A short content digest of the session's channel rules ("default" for the shipped ones)."""
    table = channel_rules()
    return "default" if table is None else short_digest(table.write_csv())


# --- the engine that prepares the events ------------------------------------------------------------------------

ENGINE_LABELS: dict[Engine, str] = {"polars": "This machine (Polars)", "spark": "Apache Spark"}


@functools.cache
def spark_unavailable() -> str | None:
    """Why the Spark engine cannot run here (None when PySpark is installed and ``java`` is on PATH). Asked on every
    first page, so it looks PySpark up without importing it (a third of a second)."""
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'journeylens[spark]')."
    if shutil.which("java") is None:
        return "Java is not on PATH (`make java` installs Java 17)."
    return None


def engine() -> Engine:
    """The engine chosen in the sidebar: ``"polars"`` (default) or ``"spark"`` when Spark can run here (PySpark and
    Java present, a valid Spark address; the sidebar says what is wrong otherwise)."""
    wanted = st.session_state.get(state.ENGINE) == "spark" and spark_unavailable() is None
    return "spark" if wanted and address_problem(chosen_address()) is None else "polars"


@st.cache_resource(max_entries=4, scope="session", show_spinner=False)
def _prepared(digest: str, gap: timedelta, rules_key: str, rederive: bool, engine_name: Engine,
              _rules: pl.DataFrame | None, _events: pl.DataFrame, _people: pl.DataFrame | None = None,
              *, spark_at: str = "") -> pl.DataFrame:
    raw = _events.drop(s.CHANNEL) if rederive and s.CHANNEL in _events.columns else _events
    if engine_name == "spark" and _people is None:  # people tables are joined by the Polars engine only
        return prepare_on_spark(raw, session_gap=gap, channel_rules=_rules, address=spark_at)
    return prepare(raw, people=_people, session_gap=gap, channel_rules=_rules)


#: Seconds per million events and fixed start-up of ``prepare`` on this 2-core machine (docs/performance.md).
PREPARE_COST: dict[Engine, tuple[float, float]] = {"polars": (0.8, 0.2), "spark": (17.0, 15.0)}


def estimate_prepare(events: int, engine_name: Engine) -> str:
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
    chosen = engine()
    at = chosen_address() if chosen == "spark" else ""
    where = (f" ({estimate_prepare(dataset.events.height, chosen)})" if chosen == "polars" else
             f" on Apache Spark at {at}" + (f" ({estimate_prepare(dataset.events.height, chosen)}, starting Spark "
                                            "included)" if at.startswith("local") else ""))
    if (dataset.key == "" and dataset.digest == default_dataset().digest and chosen == "polars"
            and channel_rules() is None and not rederive_channels()):
        with st.spinner(f"Stitching identities and building sessions{where}…", show_time=True):
            return _default_prepared()  # public, shared, usually ready before the first page asks
    with st.spinner(f"Stitching identities and building sessions{where}…", show_time=True):
        return _prepared(dataset.digest, session_gap(), rules_digest(), rederive_channels(), chosen, channel_rules(),
                         dataset.events, dataset.people, spark_at=at)


@st.cache_resource(max_entries=4, scope="session", show_spinner=False)
def _summary(digest: str, _events: pl.DataFrame) -> DatasetSummary:
    return summarize(_events)


@st.cache_resource(max_entries=4, scope="session", show_spinner=False)
def _resolved_people(key: tuple[str, timedelta, str, bool, str], _prepared: pl.DataFrame) -> int:
    return int(_prepared.get_column(s.USER_ID).drop_nulls().n_unique())


def active_summary() -> DatasetSummary:
    """Counts and time span of the active dataset (cached per dataset).

    With people files joined, ``people`` counts resolved persons (the identity graph's person keys in the prepared
    events), not raw ids: a web id, a customer number and an e-mail of one person are one person.
    """
    dataset = active_dataset()
    summary = _summary(dataset.digest, dataset.events)
    if dataset.people is None:
        return summary
    key = (dataset.digest, session_gap(), rules_digest(), rederive_channels(), engine())
    return replace(summary, people=_resolved_people(key, prepared_events()))


def data_date_bounds() -> tuple[date, date]:
    """First and last day of the active dataset (UTC); today when it is empty."""
    dataset = active_dataset()
    summary = _summary(dataset.digest, dataset.events)  # the raw span: no need to prepare for it
    if summary.first is None or summary.last is None:
        today = datetime.now(UTC).date()
        return today, today
    return summary.first.date(), summary.last.date()


@st.cache_data(max_entries=4, ttl=3600, scope="session", show_spinner=False)
def _event_names(digest: str, _events: pl.DataFrame) -> list[str]:
    return _events[s.EVENT].drop_nulls().unique().sort().to_list() if s.EVENT in _events.columns else []


def event_names() -> list[str]:
    """Distinct event names of the active dataset, sorted (cached per dataset and session)."""
    dataset = active_dataset()
    return _event_names(dataset.digest, dataset.events)
