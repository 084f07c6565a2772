"""The funnel as map and merge, for the engines (Spark, out of core): units per partition, one exact summary.

:func:`analysis.funnels.funnel` runs it when given ``engine=``; :func:`funnel_stage` is the stage itself.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from analysis import schema as s
from analysis.engine import Stage
from analysis.funnels.funnel import BREAKDOWN, funnel_table, funnel_units
from analysis.funnels.spec import FunnelSpec
from analysis.vocabulary import fold_top_n


def funnel_stage(spec: FunnelSpec, *, check_entrants: bool = True) -> Stage:
    """A funnel (:func:`analysis.funnels.funnel`) as map and merge, from prepared events.

    The map is :func:`analysis.funnels.funnel_units` (one row per counted unit with the time of each step, rare
    breakdown values not yet folded); the merge concatenates the units, folds breakdown values outside the
    whole data's ``top_n`` into "Other" and summarises with :func:`analysis.funnels.funnel_table`, so medians are
    exact. Nobody entering raises :class:`~analysis.errors.EmptyResultError` unless ``check_entrants`` is False.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import FUNNEL_STEPS, generate_sample
    >>> from analysis.funnels import funnel_spec
    >>> st = funnel_stage(funnel_spec(list(FUNNEL_STEPS)))
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))])["step"].to_list()
    [1, 2, 3, 4]
    """
    unfolded = replace(spec, top_n=None)  # fold rare breakdown values only once all units are merged

    def run(part: pl.DataFrame) -> pl.DataFrame:
        return funnel_units(part, unfolded, check_events=False)

    def schema(columns: pl.Schema) -> pl.Schema:
        return run(pl.DataFrame(schema=columns)).schema

    def finish(units: pl.DataFrame) -> pl.DataFrame:
        if BREAKDOWN in units.columns:
            units = fold_top_n(units, BREAKDOWN, n=spec.top_n)
        return funnel_table(units, spec, check_entrants=check_entrants)

    reads = (s.USER_ID, s.ANONYMOUS_ID, s.EVENT, s.TIMESTAMP, s.SESSION_ID,
             *([spec.breakdown] if spec.breakdown else []))
    return Stage("funnel", run, schema, keys=None, order=("entered_at", s.USER_ID), finish=finish, columns=reads)
