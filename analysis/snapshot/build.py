"""Assemble a snapshot's published tables from prepared events (and optionally personas)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import polars as pl

from analysis import schema as s
from analysis.attribution import DEFINITIONS as MODEL_DEFINITIONS
from analysis.attribution.segments import SEGMENT, person_segments
from analysis.conversions import suggest_funnel
from analysis.errors import AnalysisError
from analysis.funnels import funnel
from analysis.prepare.person import person_key
from analysis.privacy import SUPPRESSED, SuppressionManifest, coarsen_timestamps, detect_pii_columns, redact_values
from analysis.privacy.noise import NoiseSettings
from analysis.snapshot.attribution import attribution_summary
from analysis.snapshot.audit import Truth, audit_note, secure_contents
from analysis.snapshot.contents import (
    Contents,
    categories_table,
    drop_hidden_personas,
    fold_personas,
    funnel_table,
    guard_nested_counts,
    persona_table,
    published_sizes,
    typical_paths,
)
from analysis.snapshot.noise import BOUNDED_MODELS, Exact, add_noise
from analysis.snapshot.people import PERSON, PERSONA, person_frame_for, person_table
from analysis.vocabulary import ATTRIBUTION_LOOKBACK, CONVERSION_EVENTS, FUNNEL_WINDOW, MIN_GROUP_SIZE

DEFAULT_MODELS = ("first_touch", "last_touch", "linear", "markov")


def snapshot_funnel(events: pl.DataFrame, *, funnel_steps: Sequence[str] | None,
                    conversion_events: Sequence[str]) -> tuple[str, ...]:
    """The snapshot's funnel: ``funnel_steps`` when given, else the data's own suggested main funnel ending in one of
    ``conversion_events`` (:func:`analysis.conversions.suggest_funnel`, what the Data page proposes); empty when
    nobody converted.

    Examples
    --------
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"user_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
    ...                    "timestamp": [datetime(2026, 1, 1, h) for h in (1, 2, 1)]})
    >>> snapshot_funnel(ev, funnel_steps=None, conversion_events=["buy"])
    ('view', 'buy')
    """
    if funnel_steps is not None:
        return tuple(funnel_steps)
    return suggest_funnel(events, conversion_events=list(conversion_events)).steps


def _persona_funnel(events: pl.DataFrame, people: pl.DataFrame, steps: Sequence[str], window: timedelta,
                    ) -> pl.DataFrame:
    key = person_key(events)
    ev = events.with_columns(key.alias(PERSON)).join(people.select(PERSON, PERSONA), on=PERSON, how="inner")
    ev = ev.drop(PERSON)
    present = set(ev[s.EVENT].unique().to_list())
    if not ev.height or not set(steps) <= present:
        return pl.DataFrame(schema={PERSONA: pl.String, "step": pl.Int64, "name": pl.String, "users": pl.Int64,
                                    "median_hours_from_start": pl.Float64})
    table = funnel(ev, list(steps), window=window, mode="ordered", breakdown=PERSONA, top_n=1_000)
    return table.select(
        pl.col("breakdown").alias(PERSONA), pl.col("step").cast(pl.Int64), pl.col("name"),
        pl.col("entered").cast(pl.Int64).alias("users"),
        (pl.col("median_seconds_from_start") / 3600).alias("median_hours_from_start"),
    ).with_columns(redact_values("name"))


def neutral_event_labels(events: pl.DataFrame, names: Sequence[str], *, min_group_size: int) -> dict[str, str]:
    """Event names (chosen funnel steps, conversion events) done by fewer than k people -> a neutral label.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"user_id": ["a", "b", "b"], "timestamp": [datetime(2026, 1, 1, tzinfo=timezone.utc)] * 3,
    ...                    "event": ["view", "view", "refund_for_hans"]})
    >>> neutral_event_labels(ev, ["view", "refund_for_hans"], min_group_size=2)
    {'refund_for_hans': 'event 2 (fewer than k people)'}
    """
    key = person_key(events)
    wanted = list(dict.fromkeys(names))
    counts = dict(events.filter(pl.col(s.EVENT).is_in(wanted)).group_by(s.EVENT)
                  .agg(key.n_unique().alias("n")).iter_rows())
    return {name: f"event {i} (fewer than k people)" for i, name in enumerate(wanted, start=1)
            if counts.get(name, 0) < min_group_size}


def build_contents(
    events: pl.DataFrame,
    *,
    personas: Any = None,
    min_group_size: int = MIN_GROUP_SIZE,
    funnel_steps: Sequence[str] | None = None,
    window: timedelta = FUNNEL_WINDOW,
    conversion_events: Sequence[str] = CONVERSION_EVENTS,
    models: Sequence[str] = DEFAULT_MODELS,
    lookback: timedelta = ATTRIBUTION_LOOKBACK,
    sections: Sequence[str] = ("personas", "funnel", "channels", "paths", "attribution"),
    noise: NoiseSettings | None = None,
    group_by: str | None = None,
) -> Contents:
    """Every published table of a snapshot, privacy-gated, plus the manifest and the facts (totals, k).

    ``events`` are prepared events; ``personas`` a fitted ``Personas`` model, a ``user_id``/``persona`` frame or
    None (one group, "All users"). ``sections`` picks what goes in ("personas" is always built: it defines the
    groups every other table is restricted to). ``noise`` turns on the differential-privacy mode
    (:mod:`analysis.snapshot.noise`); data-driven attribution models are then left out. ``group_by`` names a
    people attribute (e.g. ``Segment``) whose values are the groups instead of personas, gated like any group:
    a value held by fewer than k people is folded and withheld, and so is whatever would let it be recovered by
    differencing.
    """
    if group_by is not None:
        if personas is not None:
            raise AnalysisError("choose personas or group_by for the snapshot's groups, not both")
        personas = person_segments(events, group_by, top_n=None).rename({SEGMENT: PERSONA})
    if noise is not None:
        models = [m for m in models if m in BOUNDED_MODELS]
    k = min_group_size
    manifest = SuppressionManifest(k)
    for column, reason in detect_pii_columns(events).items():
        manifest = manifest.add("events", column, "identifier" if "identifier" in reason else "personal_data",
                                reason)
    funnel_steps = snapshot_funnel(events, funnel_steps=funnel_steps, conversion_events=conversion_events)
    neutral = neutral_event_labels(events, [*funnel_steps, *conversion_events], min_group_size=k)
    for name in sorted(set(neutral.values())):
        manifest = manifest.add("parameters", name, "below_k", "an event chosen for the snapshot that fewer than k "
                                "people did is shown under a neutral label")
    people = person_table(events, person_frame_for(personas), conversion_events=conversion_events)
    people, folded = fold_personas(people, min_group_size=k)
    personas_out, m = persona_table(people, min_group_size=k, descriptions=_descriptions(personas))
    manifest = manifest.merge(folded).merge(m)
    published = published_sizes(personas_out)
    visible, manifest = drop_hidden_personas(people, published, manifest)
    tables: dict[str, pl.DataFrame] = {}
    if "channels" in sections:
        tables["channels"], m = categories_table(visible, "first_channel", name="channels", min_group_size=k,
                                                 published=published)
        manifest = manifest.merge(m)
    paths, m = categories_table(visible, "path", name="paths", min_group_size=k, published=published)
    if "paths" in sections:
        tables["paths"] = paths
        manifest = manifest.merge(m)
    personas_out = personas_out.join(typical_paths(paths), on=PERSONA, how="left", maintain_order="left")
    personas_out = personas_out.select(pl.exclude(SUPPRESSED), SUPPRESSED)
    tables = {"personas": personas_out, **tables}
    true_funnel = None
    if "funnel" in sections and len(funnel_steps) >= 2:
        raw = _persona_funnel(events, visible, funnel_steps, window)
        true_funnel = pl.concat([published.select(PERSONA, pl.lit(0, pl.Int64).alias("step"),
                                                  pl.col("_size").alias("users")),
                                 raw.select(PERSONA, "step", "users")], how="vertical_relaxed")
        raw = raw.with_columns(pl.col("name").replace(neutral))
        tables["funnel"], m = funnel_table(raw, published, min_group_size=k)
        manifest = manifest.merge(m)
        if funnel_steps and funnel_steps[-1] in conversion_events:
            tables["personas"], m = guard_nested_counts(tables["personas"], tables["funnel"], visible,
                                                        min_group_size=k)
            manifest = manifest.merge(m)
    total_conversions, total_value = 0, 0.0
    if "attribution" in sections:
        tables["attribution"], m, total_conversions, total_value = attribution_summary(
            events, models=models, conversion_events=conversion_events, lookback=lookback, min_group_size=k,
            value_cap=noise.value_cap if noise is not None else None)
        manifest = manifest.merge(m)
    truth = Truth(people.group_by(PERSONA).agg(pl.len().cast(pl.Float64).alias("users"),
                                               pl.col("converted").sum().cast(pl.Float64).alias("converters"),
                                               pl.col("revenue").sum().alias("revenue")),
                  true_funnel, total_conversions, total_value,
                  bool(funnel_steps) and funnel_steps[-1] in conversion_events)
    facts_so_far: dict[str, object] = {"total_conversions": total_conversions if total_conversions >= k else None}
    secured, result = secure_contents(Contents(tables, manifest, facts_so_far), truth)
    tables, manifest = secured.tables, secured.manifest
    day = coarsen_timestamps(s.TIMESTAMP, every="day").cast(pl.String)  # no timestamp finer than a day leaves
    period = list(events.select(day.min().alias("first"), day.max().alias("last")).row(0))
    # totals are published only when they describe at least k people (a total below k is a small group too)
    facts: dict[str, object] = {
        "people": people.height if people.height >= k else None,
        "total_conversions": secured.facts["total_conversions"],
        "period": period,
        "audit": audit_note(result, manifest),
        "event_labels": neutral,
        "model_definitions": {m: _model_definition(m) for m in models},
        "persona_model": {} if group_by is not None else _persona_parameters(personas),
        "group_by": group_by,
    }
    if noise is not None:
        capped = people.group_by(PERSONA).agg(
            pl.len().cast(pl.Int64).alias("users"), pl.col("converted").sum().cast(pl.Int64).alias("converters"),
            pl.col("revenue").clip(upper_bound=noise.value_cap).sum().alias("revenue"))
        return add_noise(Contents(tables, manifest, facts), Exact(capped), noise)
    return Contents(tables, manifest, facts)


def _persona_parameters(personas: Any) -> dict[str, Any]:
    """The persona model's settings (a fitted ``Personas``); empty for a frame or None."""
    if not hasattr(personas, "get_params"):
        return {}
    params = {k: v for k, v in personas.get_params().items()
              if isinstance(v, str | int | float | bool) or v is None}
    chosen = getattr(personas, "k_", None)
    return {**params, **({"k_chosen": int(chosen)} if chosen is not None else {})}


def _model_definition(model: str) -> str:
    known: dict[str, str] = {str(k): v for k, v in MODEL_DEFINITIONS.items()}
    return known.get(model, "")


def _descriptions(personas: Any) -> pl.DataFrame | None:
    """Persona stability from a fitted model (Jaccard over re-fits, tentative flag), keyed by persona name."""
    stability = getattr(personas, "stability_", None)
    names = getattr(personas, "names_", None)
    if stability is None or names is None:
        return None
    frame: pl.DataFrame = stability.personas.select("persona_id", pl.col("jaccard").alias("stability"), "tentative")
    return (frame.with_columns(pl.col("persona_id").replace_strict(names, return_dtype=pl.String).alias(PERSONA))
            .with_columns(redact_values(PERSONA)).select(PERSONA, "stability", "tentative"))
