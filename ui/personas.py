"""Personas view helpers: session-state keys, the settings of the last run, the cached fitted model and its tables.

The fitted model is cached per session (``st.cache_resource``, never mutated: renaming returns a copy), keyed by the
view (dataset digest, session gap, channel rules, date range, cohort: ``ui.data.view_key`` without the persona
labels) and the settings. Frames go in as ``_events``.

Other pages use the exported personas through :data:`COHORT`: a ``user_id -> persona`` frame in session state
(see :func:`persona_cohort`) that ``ui.data`` joins onto the events every page sees, as a ``persona`` column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
import streamlit as st

from analysis import schema as s
from analysis.personas import Personas, persona_channels, persona_column, persona_steps
from analysis.personas.features import DEFAULT_GROUPS, SCALARS
from analysis.personas.recipe import persona_parameters
from analysis.prepare import MATCHING_ONLY
from analysis.prepare.identity.attributes import attribute_columns
from ui import state as keys
from ui.conversions import conversion_events
from ui.data import active_dataset, date_range, filtered_events, person_labels, session_gap, set_person_labels, view_key
from ui.share import int_between

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

ALGORITHMS = {"auto": "Automatic (k-means)", "kmeans": "k-means", "minibatch": "Mini-batch k-means (fast)",
              "gmm": "Gaussian mixture"}
GROUP_LABELS = {"events": "Event mix", "pairs": "Event pairs (2-grams)", "channels": "Channel mix",
                "rfm": "Recency, frequency, revenue", "sessions": "Sessions and time between them",
                "devices": "Device"}
WEIGHTINGS = {"share": "Share of the user's events", "tfidf": "tf-idf", "count": "Counts"}
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
    digest: str
    gap: timedelta
    dates: tuple[date, date]
    view: tuple[object, ...] = ()  # ui.data.view_key() without the persona labels (rules, cohort …)

    @property
    def token(self) -> str:
        """A short stable id of this run (for widget keys that belong to one fitted model)."""
        return f"{abs(hash((self.settings, self.digest, self.gap, self.dates, self.view))):x}"[:10]


def run_view() -> tuple[object, ...]:
    """What a persona fit depends on besides its settings: the view without the persona labels it exports."""
    return view_key()[:6]


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
    return {K_MODE: ["auto", "fixed"], ALGORITHM: list(ALGORITHMS), GROUPS: list(GROUP_LABELS),
            COLUMNS: extra_columns(), WEIGHTING: list(WEIGHTINGS), REDUCTION: ["none", "pca"],
            CONVERSION: event_names, STEPS: event_names, MAP_PROJECTION: ["pca", "tsne"]}


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
    st.session_state[RUN] = Run(settings, active_dataset().digest, session_gap(), tuple(date_range()),  # type: ignore[arg-type]
                                run_view())


def current_run() -> Run | None:
    """The last run, if it was made on the data and date range now active."""
    run = st.session_state.get(RUN)
    if not isinstance(run, Run):
        return None
    now = (active_dataset().digest, session_gap(), tuple(date_range()), run_view())
    return run if (run.digest, run.gap, run.dates, run.view) == now else None


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


def profile_table(model: Personas, *, symbol: str = "") -> pl.DataFrame:
    """Profiles for display in plain words: name, people, share, conversion against the rest, what sets the persona
    apart (each claim of its name with the numbers behind it), typical first session, how often it is re-found."""
    table = model.profiles_
    if model.stability_ is not None:
        table = table.join(model.stability_.personas.select("persona_id", "jaccard", "flip_share", "tentative"),
                           on="persona_id", how="left")
    else:
        table = table.with_columns(jaccard=pl.lit(None, pl.Float64), flip_share=pl.lit(None, pl.Float64),
                                   tentative=pl.lit(None, pl.Boolean))
    claims = evidence(model)
    table = table.join(claims, on="persona_id", how="left")
    dash = "–"
    return table.select(
        pl.col("name").alias("Persona"),
        pl.col("evidence").fill_null("no difference both large and clear enough to name").alias(
            "What sets them apart"),
        pl.col("users").alias("People"),
        pct("share").alias("Share of people"),
        pct("conversion_rate").fill_null(dash).alias("Conversion rate"),
        pl.when(pl.col("conversion_rate_rest").is_null()).then(pl.lit(dash))
        .otherwise(pct("conversion_rate_rest")).alias("Rest of the people"),
        pl.format("{}{}", pl.lit(symbol), pl.col("revenue_per_user").round(2)).fill_null(dash)
        .alias("Revenue per person"),
        pl.col("typical_path").fill_null(dash).alias("Typical first visit"),
        pl.when(pl.col("jaccard").is_null()).then(pl.lit("not checked"))
        .otherwise(pct("jaccard")).alias("Re-found in resamples"),
        pl.when(pl.col("tentative")).then(pl.lit("tentative")).when(pl.col("tentative").not_())
        .then(pl.lit("holds up")).otherwise(pl.lit("not checked")).alias("Status"),
    )


def pct(column: str) -> pl.Expr:
    """A fraction column as "12.3%" text."""
    return pl.format("{}%", (pl.col(column) * 100).round(1))


def evidence(model: Personas) -> pl.DataFrame:
    """Per persona, its name's claims with the numbers behind them: "search 3x as often (12% of events vs 4%)"."""
    unit = {"event": "of events", "channel": "of visits", "conversion": "converted"}
    def small(column: str) -> pl.Expr:  # below 1%, two decimals: 0.04% must not read as 0.0%
        value = pl.col(column) * 100
        return pl.when(value.abs() < 1).then(value.round(2)).otherwise(value.round(1))

    said = model.claims_.with_columns(
        pl.format("{} ({}% {} vs {}%)", pl.col("text"), small("persona_value"),
                  pl.col("kind").replace_strict(unit, default=""), small("rest_value")).alias("_e"))
    return said.group_by("persona_id", maintain_order=True).agg(evidence=pl.col("_e").str.join("; "))


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner=False)
def _channel_table(token: str, names: tuple[str, ...], _model: Personas, _events: pl.DataFrame) -> pl.DataFrame:
    long = persona_channels(_events, _model)
    wide = (long.with_columns((pl.col("share_of_persona") * 100).round(1))
            .pivot(on=s.CHANNEL, index="persona", values="share_of_persona").fill_null(0.0))
    return _in_persona_order(wide, _model)


def channel_table(run: Run, model: Personas) -> pl.DataFrame:
    """Persona x channel: % of the persona's users who arrived through each channel at least once."""
    return _channel_table(run.token, tuple(model.names_.values()), model, events())


@st.cache_data(max_entries=8, ttl=3600, scope="session", show_spinner=False)
def _step_table(token: str, names: tuple[str, ...], steps: tuple[str, ...], _model: Personas,
                _events: pl.DataFrame) -> pl.DataFrame:
    long = persona_steps(_events, _model, steps)
    wide = (long.with_columns((pl.col("share_of_persona") * 100).round(1))
            .pivot(on="step", index="persona", values="share_of_persona"))
    return _in_persona_order(wide, _model)


def _in_persona_order(table: pl.DataFrame, model: Personas) -> pl.DataFrame:
    """Rows in persona-id order (largest persona first), as in the profiles."""
    order = {name: pid for pid, name in model.names_.items()}
    return table.sort(pl.col("persona").replace_strict(order, default=len(order), return_dtype=pl.Int64))


def step_table(run: Run, model: Personas, steps: list[str]) -> pl.DataFrame:
    """Persona x funnel step: % of the persona's users who did each step at least once."""
    return _step_table(run.token, tuple(model.names_.values()), tuple(steps), model, events())


def export_cohort(model: Personas) -> int:
    """Store the ``user_id -> persona`` column under :data:`COHORT` for other pages; returns the user count."""
    column = persona_column(model)
    set_person_labels(column, fit=fit_parameters(model))
    return column.height


def fit_parameters(model: Personas) -> dict[str, Any]:
    """What refits ``model`` on the command line: its settings, names and the date range it was fitted on."""
    start, end = date_range()
    return {**persona_parameters(model), "date_range": [start.isoformat(), end.isoformat()]}


def use_as_breakdown(model: Personas) -> None:
    """Button callback: export ``model``'s personas as the session's persona column."""
    export_cohort(model)


def persona_cohort() -> pl.DataFrame | None:
    """The exported ``user_id, persona`` frame, if the Personas page exported one in this session."""
    return person_labels()
