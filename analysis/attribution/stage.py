"""Conversion paths as map and merge, for the engines (Spark, out of core): path counts add up across partitions.

:func:`analysis.attribution.conversion_paths` runs it when given ``engine=``; :func:`paths_stage` is the stage.
"""

from __future__ import annotations

import polars as pl

from analysis.attribution.paths import PathOptions, aggregate_paths, journey_table
from analysis.engine import Stage

PATH_SCHEMA = pl.Schema(
    {"path": pl.List(pl.String()), "conversions": pl.Int64(), "nulls": pl.Int64(), "value": pl.Float64()}
)


def paths_stage(options: PathOptions | None = None) -> Stage:
    """Conversion paths (``path``, ``conversions``, ``nulls``, ``value``) from prepared events; partials add up.

    Examples
    --------
    >>> from analysis.prepare import prepare
    >>> from analysis.sample import generate_sample
    >>> st = paths_stage()
    >>> st.merge([st.map(prepare(generate_sample(30, seed=1).events))]).columns
    ['path', 'conversions', 'nulls', 'value']
    """
    opts = options or PathOptions()

    def run(part: pl.DataFrame) -> pl.DataFrame:
        if not part.height:
            return pl.DataFrame(schema=PATH_SCHEMA)
        return aggregate_paths(journey_table(part, opts))

    def finish(merged: pl.DataFrame) -> pl.DataFrame:
        return merged.select(PATH_SCHEMA.names())

    return Stage("paths", run, lambda _: PATH_SCHEMA, keys=("path",),
                 aggs={"conversions": "sum", "nulls": "sum", "value": "sum"}, order=("path",), finish=finish)
