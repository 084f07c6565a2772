"""Snapshots view helpers: session-state keys, the settings of the last build, the cached snapshot, uploads.

Building a snapshot (privacy gate, figures, inlined plotly.js) is cached per session, keyed by the view it was built on
(``ui.view.View``), the settings and the persona run; frames go in as ``_events`` so Streamlit never hashes them.
A received snapshot is parsed from its JSON and re-rendered by our own (escaping) renderer: its HTML is never shown.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from analysis import schema as s
from analysis.personas import Personas
from analysis.personas.recipe import persona_parameters
from analysis.privacy.noise import NoiseSettings
from analysis.snapshot import DEFAULT_MODELS, SECTIONS, Snapshot, read_snapshot, write_snapshot
from analysis.snapshot.attribution import model_label as plain_model_name
from analysis.snapshot.render import short_digest
from analysis.snapshot.store import HTML_NAME, snapshot_zip
from analysis.vocabulary import MIN_GROUP_SIZE, Model
from ui import personas as persona_ui
from ui.conversions import conversion_events, default_funnel
from ui.data import active_dataset
from ui.view import View, current_view, is_current

TITLE = "snapshots.title"
SECTIONS_KEY = "snapshots.sections"
MIN_GROUP = "snapshots.min_group_size"
USE_PERSONAS = "snapshots.use_personas"
STEPS = "snapshots.funnel_steps"
MODELS = "snapshots.attribution_models"  # recipe name = the CLI's "attribution_models"
CONVERSION = "snapshots.conversion_events"
BUILD = "snapshots.build"  # the Build of the last "Build snapshot" press
UPLOAD = "snapshots.upload"
FORM = "snapshots.form"
NOISE = "snapshots.noise"  # differential-privacy mode on/off
EPSILON = "snapshots.epsilon"
VALUE_CAP = "snapshots.value_cap"
#: The settings a share link carries for this page.
SHARE_KEYS = [TITLE, SECTIONS_KEY, MIN_GROUP, USE_PERSONAS, STEPS, MODELS, CONVERSION, NOISE, EPSILON, VALUE_CAP]

SECTION_LABELS = {"personas": "Personas (size, share, profile, typical path, stability)",
                  "funnel": "Funnel per persona", "channels": "Channel mix per persona",
                  "paths": "Path variants per persona", "attribution": "Attribution summary"}
MODEL_CHOICES: tuple[Model, ...] = ("first_touch", "last_touch", "last_non_direct", "linear", "position_based",
                                   "time_decay", "markov", "shapley")
PREVIEW_HEIGHT = 900

#: The threat model in one paragraph (the full version: docs/decisions/0007-snapshot-threat-model.md).
THREAT_MODEL = (
    "**Protects against** a recipient (or anyone the file is forwarded to) learning about a single person or a "
    "small group from the file: there are no ids or raw events; every number, label and total describes at "
    "least k people; names of small channels, paths and events are merged into “Other (n groups)” or shown "
    "under a neutral label; and an audit bounds every withheld number by linear programming over everything "
    "published, withholding more until none can be narrowed below k people. The file cannot run code or "
    "contact any server. **Does not protect against** someone who already knows almost everyone in the data, "
    "against comparing two snapshots of overlapping data (small differences between them can be about a few "
    "people; the noise mode below blurs that), or against what the recipient does with the k-sized groups "
    "themselves. It is not anonymisation in the legal sense: treat a snapshot as confidential."
)
DIFFERENCING = (
    "Two snapshots of overlapping data (for example one day apart, or with and without a segment) can be "
    "compared: their small differences can describe only a few people. Share one snapshot per question, or turn "
    "on the noise mode (differential privacy) above."
)


def model_name(model: str) -> str:
    """A model's plain name for the form ("markov" -> "Data-driven (Markov)")."""
    return plain_model_name(model)


@dataclass(frozen=True)
class Settings:
    """What goes into the snapshot."""

    title: str
    sections: tuple[str, ...]
    min_group_size: int
    use_personas: bool
    funnel_steps: tuple[str, ...]
    models: tuple[str, ...]
    conversion_events: tuple[str, ...]
    noise: bool = False
    epsilon: float = 1.0
    value_cap: float = 500.0


@dataclass(frozen=True)
class Build:
    """Settings plus the data and persona run they apply to: the cache key of a built snapshot."""

    settings: Settings
    view: View  # without the persona labels (the snapshot adds its own personas)
    persona_run: str  # token of the Personas page run used, "" for none


@dataclass(frozen=True)
class Built:
    """A built snapshot: its data, its HTML, and the zip offered for download."""

    snapshot: Snapshot
    html: str
    zip_bytes: bytes


def init_state(event_names: list[str]) -> None:
    """Defaults for the page's widgets (set once per session)."""
    st.session_state.setdefault(TITLE, "Persona snapshot")
    st.session_state.setdefault(SECTIONS_KEY, list(SECTIONS))
    st.session_state.setdefault(MIN_GROUP, MIN_GROUP_SIZE)
    st.session_state.setdefault(USE_PERSONAS, True)
    st.session_state.setdefault(STEPS, default_funnel())  # the suggested main funnel (Data page)
    st.session_state.setdefault(MODELS, list(DEFAULT_MODELS))
    st.session_state.setdefault(CONVERSION, list(conversion_events()))  # the Data page's definition
    st.session_state.setdefault(NOISE, False)
    st.session_state.setdefault(EPSILON, 1.0)
    st.session_state.setdefault(VALUE_CAP, 500.0)


def persona_run() -> persona_ui.Run | None:
    """The Personas page's last run on the current data, if any."""
    return persona_ui.current_run()


def settings_from_state() -> Settings:
    """The form's current values as :class:`Settings`."""
    state = st.session_state
    return Settings(
        title=str(state[TITLE]).strip() or "Persona snapshot",
        sections=tuple(x for x in SECTIONS if x in state[SECTIONS_KEY]),
        min_group_size=int(state[MIN_GROUP]),
        use_personas=bool(state[USE_PERSONAS]),
        funnel_steps=tuple(state[STEPS]),
        models=tuple(state[MODELS]),
        conversion_events=tuple(state[CONVERSION]),
        noise=bool(state[NOISE]),
        epsilon=float(state[EPSILON]),
        value_cap=float(state[VALUE_CAP]),
    )


def request_build(settings: Settings) -> None:
    """Remember ``settings`` on the current data (and persona run) as the snapshot to build and show."""
    run = persona_run() if settings.use_personas else None
    st.session_state[BUILD] = Build(settings, current_view(with_labels=False), run.token if run is not None else "")


def current_build() -> Build | None:
    """The last requested build, if it still matches the active data, date range and persona run."""
    build = st.session_state.get(BUILD)
    if not isinstance(build, Build):
        return None
    run = persona_run() if build.settings.use_personas else None
    return build if is_current(build.view) and build.persona_run == (run.token if run is not None else "") else None


@st.cache_resource(max_entries=2, scope="session", show_spinner="Building the snapshot (privacy gate, figures)…")
def _built(build: Build, _events: pl.DataFrame, _personas: Any) -> Built:
    cfg = build.settings
    start, end = build.view.dates
    parameters: dict[str, Any] = {"date_range": [start.isoformat(), end.isoformat()],
                                  "session_gap_minutes": build.view.session_gap_minutes}
    if isinstance(_personas, Personas):  # snapshot.json doubles as a recipe: it refits these personas
        parameters["persona_fit"] = persona_parameters(_personas, date_range=build.view.dates)
    with tempfile.TemporaryDirectory(prefix="journeylens-snapshot-") as folder:
        snap = write_snapshot(
            _events, folder, personas=_personas, min_group_size=cfg.min_group_size, title=cfg.title,
            parameters=parameters, sections=cfg.sections, funnel_steps=cfg.funnel_steps, models=cfg.models,
            conversion_events=cfg.conversion_events, digest=build.view.digest,
            noise=NoiseSettings(epsilon=cfg.epsilon, value_cap=cfg.value_cap) if cfg.noise else None,
        )
        html = (Path(folder) / HTML_NAME).read_text(encoding="utf-8")
        data = snapshot_zip(folder)
    return Built(Snapshot(snap.metadata, snap.tables, snap.manifest), html, data)


def built(build: Build) -> Built:
    """The snapshot of ``build`` (cached per session)."""
    run = persona_run() if build.settings.use_personas else None
    model = persona_ui.fitted(run) if run is not None else None
    return _built(build, persona_ui.events(), model)


def received(data: bytes) -> Snapshot:
    """A received snapshot (zip or snapshot.json bytes), validated; raises ``AnalysisError`` when it is not one."""
    return read_snapshot(data)


def recipe_extras(build: Build | None) -> dict[str, Any]:
    """Recipe parameters beyond the page's widgets: the persona model's k and seed when personas were used."""
    run = persona_run() if build is not None and build.settings.use_personas else None
    if run is None:
        return {}
    model = persona_ui.fitted(run)
    return {"persona_k": int(model.k_), "seed": int(model.seed), "persona_fit": persona_ui.fit_parameters(model)}


def received_header(meta: dict[str, Any], min_group_size: int) -> str:
    """The one-line description of a received snapshot; every field from the file appears as literal text."""
    return (f"k = {min_group_size} · created {meta.get('created', '?')} · JourneyLens {meta.get('version', '?')}"
            f" · dataset {short_digest(str(meta.get('dataset_hash', '')))}")


def has_channels() -> bool:
    """Whether the active data carries a channel column (attribution and channel mix need it)."""
    return s.CHANNEL in active_dataset().events.columns
