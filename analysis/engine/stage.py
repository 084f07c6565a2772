"""The contract between an analysis and the engines: a :class:`Stage` is an analysis written as map and merge.

``map`` turns the events of one person-complete partition into a partial frame (Polars inside, no knowledge of the
engine), and the merge either concatenates row-level partials (``keys=None``: prepared events, per-user features)
or groups the partials by ``keys`` and combines the value columns with ``aggs`` (``"sum"`` for counts and values,
``"max"``/``"min"`` for extremes), then ``finish`` turns the merged frame into the result. Every engine uses the
same ``map``; only where it runs and how it merges differ.

Each analysis builds its own stage next to its code: ``analysis.funnels.stage``, ``analysis.attribution.stage``,
``analysis.personas.stage``, ``analysis.journeys.stage`` and the prepare stage; the engines never import them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

Agg = Literal["sum", "max", "min"]
Frame = Callable[[pl.DataFrame], pl.DataFrame]
SchemaFn = Callable[[pl.Schema], pl.Schema]


def _identity(frame: pl.DataFrame) -> pl.DataFrame:
    return frame


@dataclass(frozen=True)
class Stage:
    """One analysis as map and merge (see the module docstring).

    ``schema`` gives the map's output schema from its input schema (engines that must declare it up front, like
    Spark, need it). ``order`` sorts the merged result so that every engine returns the same row order.
    ``columns`` names the input columns the map reads (those present are passed, the rest dropped before the
    events move: on Spark that shrinks the shuffle and the Arrow transfer); None passes every column.

    Examples
    --------
    >>> count = Stage("count", lambda part: part.group_by("event").len(),
    ...               lambda _: pl.Schema({"event": pl.String(), "len": pl.UInt32()}),
    ...               keys=("event",), aggs={"len": "sum"}, order=("event",))
    >>> parts = [pl.DataFrame({"event": ["a", "b"]}), pl.DataFrame({"event": ["a"]})]
    >>> count.merge([count.map(p) for p in parts]).rows()
    [('a', 2), ('b', 1)]
    """

    name: str
    map: Frame
    schema: SchemaFn
    keys: tuple[str, ...] | None = None
    aggs: Mapping[str, Agg] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    finish: Frame = _identity
    columns: tuple[str, ...] | None = None

    def inputs(self, schema: pl.Schema) -> list[str]:
        """The columns of ``schema`` the map reads, in ``schema``'s order (all of them when ``columns`` is None).

        Examples
        --------
        >>> Stage("n", len, lambda _: pl.Schema(), columns=("b", "x")).inputs(pl.Schema({"a": pl.Int8, "b": pl.Int8}))
        ['b']
        """
        if self.columns is None:
            return list(schema.names())
        wanted = set(self.columns)
        return [c for c in schema.names() if c in wanted]

    def merge(self, partials: Sequence[pl.DataFrame]) -> pl.DataFrame:
        """Merge partial frames in Polars (the embedded engine's merge; Spark runs the same as an aggregation)."""
        frames = [p for p in partials if p.height] or list(partials[:1])
        merged = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=self.schema(pl.Schema()))
        return self.finish(self.combine(merged))

    def combine(self, merged: pl.DataFrame) -> pl.DataFrame:
        """Group concatenated partials by ``keys`` and combine their values, then sort by ``order``."""
        if self.keys is not None:
            exprs = [getattr(pl.col(c), how)().alias(c) for c, how in self.aggs.items()]
            merged = merged.group_by(list(self.keys)).agg(exprs) if self.keys else merged.select(exprs)
        return merged.sort(list(self.order), maintain_order=True) if self.order and merged.height else merged
