"""Journeys as map and merge, for the engines (Spark, out of core): row level, one row per journey per person.

:func:`analysis.journeys.journeys` runs it when given ``engine=``; :func:`journeys_stage` is the stage itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from analysis import schema as s
from analysis.engine import Stage
from analysis.journeys.journey import JOURNEY, journeys
from analysis.vocabulary import CONVERSION_EVENTS, JOURNEY_LOOKBACK


def journeys_stage(*, conversion_events: Sequence[str] = CONVERSION_EVENTS,
                   lookback: timedelta | None = JOURNEY_LOOKBACK, attributes: Sequence[str] = ()) -> Stage:
    """Journeys (:func:`analysis.journeys.journeys`) from prepared events, row level: partials concatenate.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import generate_sample
    >>> st = journeys_stage()
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))]).columns[:2]
    ['user_id', 'journey']
    """
    def run(part: pl.DataFrame) -> pl.DataFrame:
        return journeys(part, conversion_events=conversion_events, lookback=lookback, attributes=attributes,
                        check_events=False)

    def schema(columns: pl.Schema) -> pl.Schema:
        return run(pl.DataFrame(schema=columns)).schema

    return Stage("journeys", run, schema, keys=None, order=(s.USER_ID, JOURNEY))
