"""Personas as a breakdown for other views: the user -> persona column, persona x channel, persona x funnel step."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError, EmptyResultError
from analysis.personas.model import Personas
from analysis.prepare.person import person_key

PERSONA = "persona"


def persona_column(personas: Personas) -> pl.DataFrame:
    """One row per fitted user: ``user_id`` and ``persona`` (the current, possibly edited, name).

    Join it onto events (``on="user_id"``) to break any analysis down by persona.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> model = Personas(k=2, stability_runs=0).fit(prepare(generate_sample(300, seed=1).events))
    >>> persona_column(model).columns
    ['user_id', 'persona']
    """
    return personas.assignments().select(s.USER_ID, PERSONA)


def with_personas(events: pl.DataFrame, personas: Personas) -> pl.DataFrame:
    """``events`` with a ``persona`` column (null for users the model has not seen); a new frame."""
    user = person_key(events)
    column = persona_column(personas).rename({s.USER_ID: "_person"})
    return (events.with_columns(user.alias("_person"))
            .join(column, on="_person", how="left", maintain_order="left").drop("_person"))


def persona_channels(events: pl.DataFrame, personas: Personas) -> pl.DataFrame:
    """Persona x channel: users and sessions touching each channel, share of the persona's users, index vs all.

    ``index`` = the persona's share of users touching the channel / that share among all users.
    """
    if s.CHANNEL not in events.columns:
        raise AnalysisError(f"events have no {s.CHANNEL!r} column; run prepare() first")
    ev = with_personas(events, personas).filter(pl.col(PERSONA).is_not_null())
    session = [pl.col(s.SESSION_ID).n_unique().cast(pl.Int64).alias("sessions")] if s.SESSION_ID in ev.columns else []
    ev = ev.with_columns(person_key(ev).alias("_person"))
    size = ev.group_by(PERSONA).agg(pl.col("_person").n_unique().alias("_size"))
    overall = ev.group_by(s.CHANNEL).agg(pl.col("_person").n_unique().alias("_all"))
    everyone = ev["_person"].n_unique()
    return (
        ev.group_by(PERSONA, s.CHANNEL).agg(pl.col("_person").n_unique().cast(pl.Int64).alias("users"), *session)
        .join(size, on=PERSONA).join(overall, on=s.CHANNEL)
        .with_columns((pl.col("users") / pl.col("_size")).alias("share_of_persona"))
        .with_columns((pl.col("share_of_persona") / (pl.col("_all") / everyone)).alias("index"))
        .drop("_size", "_all")
        .sort(PERSONA, "users", s.CHANNEL, descending=[False, True, False])
    )


def persona_steps(events: pl.DataFrame, personas: Personas, steps: Sequence[str]) -> pl.DataFrame:
    """Persona x funnel step: users who did each step at least once and their share of the persona.

    A quick reach table; for ordered funnels with windows use the funnel analysis with ``persona`` as breakdown.
    A step that none of the labelled people did raises :class:`~analysis.errors.EmptyResultError` naming it (a
    column of zeros would look like a finding).
    """
    if not steps:
        raise AnalysisError("persona_steps needs at least one step event")
    ev = with_personas(events, personas).filter(pl.col(PERSONA).is_not_null())
    ev = ev.with_columns(person_key(ev).alias("_person"))
    size = ev.group_by(PERSONA).agg(pl.col("_person").n_unique().alias("_size"))
    grid = size.join(pl.DataFrame({"step": list(steps), "step_index": range(1, len(steps) + 1)}), how="cross")
    reached = (ev.filter(pl.col(s.EVENT).is_in(list(steps))).group_by(PERSONA, pl.col(s.EVENT).alias("step"))
               .agg(pl.col("_person").n_unique().alias("users")))
    absent = [step for step in steps if step not in set(reached["step"].to_list())]
    if absent:
        found = ev[s.EVENT].value_counts(sort=True).head(8)[s.EVENT].to_list()
        raise EmptyResultError(f"no one with a persona did the step(s) {', '.join(repr(a) for a in absent)}; "
                               f"events they did include {', '.join(map(str, found))}; pick steps among those")
    return (
        grid.join(reached, on=[PERSONA, "step"], how="left")
        .with_columns(pl.col("users").fill_null(0).cast(pl.Int64))
        .with_columns((pl.col("users") / pl.col("_size")).alias("share_of_persona"))
        .sort(PERSONA, "step_index").drop("_size")
    )
