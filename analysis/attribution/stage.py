"""Conversion paths as map and merge, for the engines (Spark, out of core): path counts add up across partitions.

:func:`analysis.attribution.conversion_paths` runs it when given ``engine=``; :func:`paths_stage` is the stage.
"""

from __future__ import annotations

import polars as pl

from analysis import schema as s
from analysis.attribution.paths import PathOptions, aggregate_paths, journey_table
from analysis.engine import Stage

#: The event columns a conversion path reads (who, when, what, the touch columns, revenue, the export's session).
PATH_INPUTS = (s.USER_ID, s.ANONYMOUS_ID, s.TIMESTAMP, s.EVENT, s.SESSION_ID, s.REVENUE, s.CHANNEL, s.SOURCE,
               s.MEDIUM, s.CAMPAIGN)
PATH_SCHEMA = pl.Schema(
    {"path": pl.List(pl.String()), "conversions": pl.Int64(), "nulls": pl.Int64(), "value": pl.Float64()}
)


def paths_stage(options: PathOptions | None = None, *, with_times: bool = False) -> Stage:
    """Conversion paths (``path``, ``conversions``, ``nulls``, ``value``; with ``with_times`` also the touch times
    ``days_before_end``, part of the key as in :func:`analysis.attribution.aggregate_paths`) from prepared events;
    partials add up.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import generate_sample
    >>> st = paths_stage()
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))]).columns
    ['path', 'conversions', 'nulls', 'value']
    """
    opts = options or PathOptions()
    schema = pl.Schema({**PATH_SCHEMA, **({"days_before_end": pl.List(pl.Float64())} if with_times else {})})
    keys = ("path", "days_before_end") if with_times else ("path",)

    def run(part: pl.DataFrame) -> pl.DataFrame:
        if not part.height:
            return pl.DataFrame(schema=schema)
        return aggregate_paths(journey_table(part, opts), with_times=with_times)

    def finish(merged: pl.DataFrame) -> pl.DataFrame:
        return merged.select(schema.names())

    return Stage("paths", run, lambda _: schema, keys=keys,
                 aggs={"conversions": "sum", "nulls": "sum", "value": "sum"}, order=keys, finish=finish,
                 columns=PATH_INPUTS)
