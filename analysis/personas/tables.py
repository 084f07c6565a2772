"""Personas as a breakdown for other views: the user -> persona column, persona x channel, persona x funnel step."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError, EmptyResultError
from analysis.formatting import number_text
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


# --- tables for display: plain column names, percentages as text, personas in their order -----------------------

def profile_table(model: Personas, *, symbol: str = "") -> pl.DataFrame:
    """Profiles in plain words: name, what sets the persona apart (each claim of its name with the numbers behind
    it), people, share, conversion against the rest, revenue per person (``symbol`` before it), typical first visit,
    how often it is re-found in resamples and whether it holds up.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> model = Personas(k=2, stability_runs=0).fit(prepare(generate_sample(300, seed=1).events))
    >>> profile_table(model, symbol="€").columns[:3]
    ['Persona', 'What sets them apart', 'People']
    """
    table = model.profiles_
    if model.stability_ is not None:
        table = table.join(model.stability_.personas.select("persona_id", "jaccard", "flip_share", "tentative"),
                           on="persona_id", how="left")
    else:
        table = table.with_columns(jaccard=pl.lit(None, pl.Float64), flip_share=pl.lit(None, pl.Float64),
                                   tentative=pl.lit(None, pl.Boolean))
    table = table.join(claim_evidence(model), on="persona_id", how="left")
    dash = "–"
    return table.select(
        pl.col("name").alias("Persona"),
        pl.col("evidence").fill_null("no difference both large and clear enough to name").alias(
            "What sets them apart"),
        pl.col("users").alias("People"),
        _pct("share").alias("Share of people"),
        _pct("conversion_rate").fill_null(dash).alias("Conversion rate"),
        pl.when(pl.col("conversion_rate_rest").is_null()).then(pl.lit(dash))
        .otherwise(_pct("conversion_rate_rest")).alias("Rest of the people"),
        pl.when(pl.col("revenue_per_user").is_null()).then(pl.lit(dash))
        .otherwise(pl.concat_str(pl.lit(symbol), number_text(pl.col("revenue_per_user")))).alias("Revenue per person"),
        pl.col("typical_path").fill_null(dash).alias("Typical first visit"),
        pl.when(pl.col("jaccard").is_null()).then(pl.lit("not checked"))
        .otherwise(_pct("jaccard")).alias("Re-found in resamples"),
        pl.when(pl.col("tentative")).then(pl.lit("tentative")).when(pl.col("tentative").not_())
        .then(pl.lit("holds up")).otherwise(pl.lit("not checked")).alias("Status"),
    )


def _pct(column: str) -> pl.Expr:
    """A fraction column as "12.3%" text."""
    return pl.format("{}%", (pl.col(column) * 100).round(1))


def claim_evidence(model: Personas) -> pl.DataFrame:
    """Per persona (``persona_id``, ``evidence``), its name's claims with the numbers behind them:
    "search 3x as often (12% of events vs 4%)"; values below 1% keep two decimals (0.04% must not read 0.0%)."""
    unit = {"event": "of events", "channel": "of visits", "conversion": "converted"}

    def small(column: str) -> pl.Expr:
        value = pl.col(column) * 100
        return pl.when(value.abs() < 1).then(value.round(2)).otherwise(value.round(1))

    said = model.claims_.with_columns(
        pl.format("{} ({}% {} vs {}%)", pl.col("text"), small("persona_value"),
                  pl.col("kind").replace_strict(unit, default=""), small("rest_value")).alias("_e"))
    return said.group_by("persona_id", maintain_order=True).agg(evidence=pl.col("_e").str.join("; "))


def channel_mix_table(events: pl.DataFrame, personas: Personas) -> pl.DataFrame:
    """Persona x channel, wide: % of the persona's people who arrived through each channel at least once (one
    decimal, 0 where none did), personas in their order (largest first)."""
    long = persona_channels(events, personas)
    wide = (long.with_columns((pl.col("share_of_persona") * 100).round(1))
            .pivot(on=s.CHANNEL, index=PERSONA, values="share_of_persona").fill_null(0.0))
    return _in_persona_order(wide, personas)


def step_reach_table(events: pl.DataFrame, personas: Personas, steps: Sequence[str]) -> pl.DataFrame:
    """Persona x funnel step, wide: % of the persona's people who did each step at least once (one decimal),
    personas in their order; raises :class:`~analysis.errors.EmptyResultError` as :func:`persona_steps` does."""
    long = persona_steps(events, personas, steps)
    wide = (long.with_columns((pl.col("share_of_persona") * 100).round(1))
            .pivot(on="step", index=PERSONA, values="share_of_persona"))
    return _in_persona_order(wide, personas)


def _in_persona_order(table: pl.DataFrame, personas: Personas) -> pl.DataFrame:
    """Rows in persona-id order (largest persona first), as in the profiles."""
    order = {name: pid for pid, name in personas.names_.items()}
    return table.sort(pl.col(PERSONA).replace_strict(order, default=len(order), return_dtype=pl.Int64))
