"""Personas view helpers: session-state keys, the settings of the last run, the cached fitted model and its tables.

The fitted model is cached per session (``st.cache_resource``, never mutated: renaming returns a copy), keyed by the
view it was fitted on (``ui.view.View`` without the persona labels) and the settings. Frames go in as ``_events``.

Other pages use the exported personas through :data:`COHORT`: a ``user_id -> persona`` frame in session state
(see :func:`persona_cohort`) that ``ui.data`` joins onto the events every page sees, as a ``persona`` column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from analysis import schema as s
from analysis.personas import Personas, persona_column
from analysis.personas.features import DEFAULT_GROUPS, SCALARS
from analysis.personas.recipe import persona_parameters
from analysis.personas.tables import channel_mix_table, step_reach_table
from analysis.prepare import MATCHING_ONLY
from analysis.prepare.identity.attributes import attribute_columns
from analysis.vocabulary import (
    ALGORITHMS,
    EVENT_WEIGHTINGS,
    FEATURE_GROUPS,
    PROJECTIONS,
    REDUCTIONS,
    Algorithm,
    EventWeighting,
    FeatureGroup,
    Projection,
    Reduction,
)
from ui import state as keys
from ui.conversions import conversion_events
from ui.data import active_dataset
from ui.share import int_between
from ui.view import View, current_view, date_range, filtered_events, is_current, person_labels, set_person_labels

K_MODE = "personas.k_mode"  # "auto" | "fixed"
K = "personas.persona_k"  # after the prefix: the CLI's name
K_MAX = "personas.k_max"
ALGORITHM = "personas.algorithm"
GROUPS = "personas.groups"
COLUMNS = "personas.columns"
WEIGHTING = "personas.event_weighting"
REDUCTION = "personas.reduction"
CONVERSION = "personas.conversion_events"
STABILITY_RUNS = "personas.stability_runs"
MIN_SHARE = "personas.min_share_pct"  # smallest persona, % of people
MIN_SIZE = "personas.min_size"  # smallest persona, people
RUN = "personas.run"  # the Run of the last "Find personas" press
NAMES = "personas.names"  # {run token: {persona_id: edited name}}
STEPS = "personas.steps"
MAP_PROJECTION = "personas.map_projection"
SHOW_MAP = "personas.show_map"
FORM = "personas.form"
#: The settings a share link carries for this page (the run itself waits for the button).
SHARE_KEYS = [K_MODE, K, K_MAX, ALGORITHM, GROUPS, COLUMNS, WEIGHTING, REDUCTION, CONVERSION, STABILITY_RUNS, STEPS,
              MAP_PROJECTION, MIN_SHARE, MIN_SIZE]
#: The exported personas for other pages: a pl.DataFrame ``user_id, persona`` (absent until exported).
COHORT = keys.PERSONA_LABELS

ALGORITHM_LABELS: dict[Algorithm, str] = {"auto": "Automatic (k-means)", "kmeans": "k-means",
                                          "minibatch": "Mini-batch k-means (fast)", "gmm": "Gaussian mixture"}
GROUP_LABELS: dict[FeatureGroup, str] = {"events": "Event mix", "pairs": "Event pairs (2-grams)",
                                         "channels": "Channel mix", "rfm": "Recency, frequency, revenue",
                                         "sessions": "Sessions and time between them", "devices": "Device"}
WEIGHTING_LABELS: dict[EventWeighting, str] = {"share": "Share of the user's events", "tfidf": "tf-idf",
                                               "count": "Counts"}
REDUCTION_LABELS: dict[Reduction, str] = {"none": "No", "pca": "Yes (PCA, 10 components)"}
PROJECTION_LABELS: dict[Projection, str] = {"pca": "PCA", "tsne": "t-SNE (slower)"}
FUNNEL_DEFAULT = ("view_item", "add_to_cart", "begin_checkout", "purchase")


@dataclass(frozen=True)
class Settings:
    """What the form chose."""

    k: int | None
    k_max: int
    algorithm: str
    groups: tuple[str, ...]
    columns: tuple[str, ...]
    event_weighting: str
    reduction: str
    conversion_events: tuple[str, ...]
    stability_runs: int
    min_share_pct: int = 5
    min_size: int = 20


@dataclass(frozen=True)
class Run:
    """Settings plus the data they were run on; the cache key of the fitted model."""

    settings: Settings
    view: View  # without the persona labels it exports

    @property
    def token(self) -> str:
        """A short stable id of this run (for widget keys that belong to one fitted model)."""
        return f"{abs(hash((self.settings, self.view))):x}"[:10]


def events() -> pl.DataFrame:
    """The events personas are found on: the session's view, without an exported persona column."""
    return filtered_events(with_labels=False)


def init_state(event_names: list[str]) -> None:
    """Defaults for the page's widgets (set once per session)."""
    st.session_state.setdefault(K_MODE, "auto")
    st.session_state.setdefault(K, 4)
    st.session_state.setdefault(K_MAX, 8)
    st.session_state.setdefault(ALGORITHM, "auto")
    st.session_state.setdefault(GROUPS, list(DEFAULT_GROUPS))
    st.session_state.setdefault(COLUMNS, [])
    st.session_state.setdefault(WEIGHTING, "share")
    st.session_state.setdefault(REDUCTION, "none")
    st.session_state.setdefault(CONVERSION, list(conversion_events()))  # the Data page's definition
    st.session_state.setdefault(STABILITY_RUNS, 10)
    st.session_state.setdefault(MIN_SHARE, 5)
    st.session_state.setdefault(MIN_SIZE, 20)
    st.session_state.setdefault(STEPS, [e for e in FUNNEL_DEFAULT if e in event_names] or event_names[:3])
    st.session_state.setdefault(MAP_PROJECTION, "pca")
    st.session_state.setdefault(NAMES, {})


def share_choices(event_names: list[str]) -> dict[str, list[Any]]:
    """What a share link may set each choice setting to (anything else in the link is ignored)."""
    return {K_MODE: ["auto", "fixed"], ALGORITHM: list(ALGORITHMS), GROUPS: list(FEATURE_GROUPS),
            COLUMNS: extra_columns(), WEIGHTING: list(EVENT_WEIGHTINGS), REDUCTION: list(REDUCTIONS),
            CONVERSION: event_names, STEPS: event_names, MAP_PROJECTION: list(PROJECTIONS)}


#: Checks for the number settings of a share link.
SHARE_VALID: dict[str, Callable[[Any], bool]] = {
    K: int_between(2, 12), K_MAX: int_between(3, 12), STABILITY_RUNS: int_between(0, 30),
    MIN_SHARE: int_between(1, 40), MIN_SIZE: int_between(2, 100_000)}


def recipe_extras() -> dict[str, Any]:
    """Recipe parameters as the CLI reads them: ``persona_k`` is null when the number is chosen automatically."""
    fixed = st.session_state.get(K_MODE) == "fixed"
    run = current_run()
    edited = st.session_state.get(NAMES, {}).get(run.token, {}) if run is not None else {}
    return {"persona_k": int(st.session_state[K]) if fixed else None, "seed": 0,
            "persona_names": {str(pid): name.strip() for pid, name in edited.items() if name.strip()} or None}


def extra_columns() -> list[str]:
    """Columns beyond the canonical schema that users can add as features (e.g. ``country``)."""
    skip = {*s.CANONICAL_SCHEMA, "device", "event_id", *SCALARS}
    dataset = active_dataset()
    people = attribute_columns(dataset.people) if dataset.people is not None else []  # CRM segment, region, ...
    return [c for c in [*dataset.events.columns, *people]
            if c not in skip and c not in MATCHING_ONLY and not c.startswith("_")]


def settings_from_state() -> Settings:
    """The form's current values as :class:`Settings`."""
    state = st.session_state
    return Settings(
        k=None if state[K_MODE] == "auto" else int(state[K]),
        k_max=int(state[K_MAX]),
        algorithm=str(state[ALGORITHM]),
        groups=tuple(state[GROUPS]),
        columns=tuple(state[COLUMNS]),
        event_weighting=str(state[WEIGHTING]),
        reduction=str(state[REDUCTION]),
        conversion_events=tuple(state[CONVERSION]),
        stability_runs=int(state[STABILITY_RUNS]),
        min_share_pct=int(state[MIN_SHARE]),
        min_size=int(state[MIN_SIZE]),
    )


def start_run(settings: Settings) -> None:
    """Remember ``settings`` on the current data as the run to show (the form's submit)."""
    st.session_state[RUN] = Run(settings, current_view(with_labels=False))


def current_run() -> Run | None:
    """The last run, if it was made on the data and date range now active."""
    run = st.session_state.get(RUN)
    if not isinstance(run, Run):
        return None
    return run if is_current(run.view) else None


@st.cache_resource(max_entries=4, scope="session", show_spinner="Finding personas and testing their stability…")
def _fitted(run: Run, _events: pl.DataFrame) -> Personas:
    cfg = run.settings
    return Personas(
        cfg.k, k_range=(2, max(2, cfg.k_max)), algorithm=cfg.algorithm, groups=cfg.groups,  # type: ignore[arg-type]
        columns=cfg.columns, event_weighting=cfg.event_weighting, reduction=cfg.reduction,  # type: ignore[arg-type]
        conversion_events=cfg.conversion_events, stability_runs=cfg.stability_runs, seed=0,
        min_share=cfg.min_share_pct / 100, min_size=cfg.min_size,
    ).fit(_events)


def fitted(run: Run) -> Personas:
    """The fitted model of ``run`` with the user's edited names applied (a renamed copy of the cached model)."""
    model = _fitted(run, events())
    edited = st.session_state.get(NAMES, {}).get(run.token, {})
    return model.rename(edited) if edited else model


def set_names(run: Run, names: dict[int, str]) -> None:
    """Store edited persona names for ``run`` (blank names fall back to the generated ones)."""
    st.session_state[NAMES] = {**st.session_state.get(NAMES, {}), run.token: dict(names)}


def name_key(run: Run, persona: int) -> str:
    """The rename field of one persona of ``run``."""
    return f"personas.name.{run.token}.{persona}"


def save_names(run: Run, personas: list[int]) -> None:
    """Callback of "Save names": store what the rename fields hold (no ``st.rerun()`` needed)."""
    set_names(run, {pid: str(st.session_state.get(name_key(run, pid), "")) for pid in personas})


def generated_names(run: Run) -> dict[int, str]:
    """The model's own names, before any edit."""
    return dict(_fitted(run, events()).names_)


def currency_symbol() -> str:
    """The currency symbol chosen on the Attribution page (or read from the data), for revenue per person."""
    from ui import attribution as ua  # noqa: PLC0415 (one currency setting for both pages)

    return ua.CURRENCIES.get(str(st.session_state.get(ua.CURRENCY, ua.detected_currency() or "€")), "")


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner=False)
def _channel_table(token: str, names: tuple[str, ...], _model: Personas, _events: pl.DataFrame) -> pl.DataFrame:
    return channel_mix_table(_events, _model)


def channel_table(run: Run, model: Personas) -> pl.DataFrame:
    """Persona x channel: % of the persona's users who arrived through each channel at least once (cached)."""
    return _channel_table(run.token, tuple(model.names_.values()), model, events())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner=False)
def _step_table(token: str, names: tuple[str, ...], steps: tuple[str, ...], _model: Personas,
                _events: pl.DataFrame) -> pl.DataFrame:
    return step_reach_table(_events, _model, steps)


def step_table(run: Run, model: Personas, steps: list[str]) -> pl.DataFrame:
    """Persona x funnel step: % of the persona's users who did each step at least once (cached)."""
    return _step_table(run.token, tuple(model.names_.values()), tuple(steps), model, events())


def export_cohort(model: Personas) -> int:
    """Store the ``user_id -> persona`` column under :data:`COHORT` for other pages; returns the user count."""
    column = persona_column(model)
    set_person_labels(column, fit=fit_parameters(model))
    return column.height


def fit_parameters(model: Personas) -> dict[str, Any]:
    """What refits ``model`` on the command line: its settings, names and the date range it was fitted on."""
    return persona_parameters(model, date_range=date_range())


def use_as_breakdown(model: Personas) -> None:
    """Button callback: export ``model``'s personas as the session's persona column."""
    export_cohort(model)


def persona_cohort() -> pl.DataFrame | None:
    """The exported ``user_id, persona`` frame, if the Personas page exported one in this session."""
    return person_labels()
