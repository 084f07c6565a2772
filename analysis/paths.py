"""Paths and flows over journeys: anchored paths, path variants, step-to-step transitions and the step matrix.

The pipeline is ``journeys(...) -> paths(...) -> path_variants / transitions / step_matrix``. A *paths* frame has
one row per journey with a ``path`` (List[String]) of events or channels, ``converted``, ``user_id`` and whatever
attribute columns the journeys carried (for breakdowns).

Anchors follow Amplitude/PostHog: a path starts at the **first** occurrence of ``start`` and ends at the first
occurrence of ``end`` after it; journeys without the anchor(s) are left out. Step numbers count from 1 at the start
of the path, or, with ``from_end=True`` (backward paths), from 0 at its last node down (-1, -2, …).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.vocabulary import OTHER

Level = Literal["event", "channel"]
ENDED = "(ended)"
GAP = "…"
#: Where a journey went after its last node, as Sankey nodes (``transitions(..., outcomes=True)``).
CONVERTED = "✓ converted"
NOT_CONVERTED = "✗ no conversion"
OUTCOMES = (CONVERTED, NOT_CONVERTED)
_SOURCES = {"event": "touchpoints", "channel": "channels"}


def _first_index(lst: pl.Expr, value: str) -> pl.Expr:
    return lst.list.eval(pl.element() == value).list.arg_max()


def paths(
    journeys: pl.DataFrame,
    *,
    level: Level = "event",
    start: str | None = None,
    end: str | None = None,
    steps: int | None = None,
    collapse_repeats: bool = False,
) -> pl.DataFrame:
    """Cut each journey's events (``level="event"``) or channels (``"channel"``) into an anchored path.

    * no anchor: the journey from its start (the first ``steps`` nodes);
    * ``start`` only (forward paths): from the first ``start``, ``steps`` nodes;
    * ``end`` only (backward paths): up to the first ``end``, the last ``steps`` nodes;
    * both (between anchors): from the first ``start`` to the first ``end`` after it; longer than ``steps`` keeps
      the first ``steps - 2`` nodes, then ``"…"`` and the end.

    ``collapse_repeats`` merges consecutive repeats (``a a b`` -> ``a b``) before anchoring.

    Examples
    --------
    >>> j = pl.DataFrame({"user_id": ["u1"], "touchpoints": [["a", "a", "b", "c"]], "converted": [True]})
    >>> paths(j, start="b")["path"].to_list()
    [['b', 'c']]
    >>> paths(j, collapse_repeats=True)["path"].to_list()
    [['a', 'b', 'c']]
    """
    if level not in _SOURCES:
        raise AnalysisError(f"level must be one of {', '.join(_SOURCES)}, got {level!r}")
    source = _SOURCES[level]
    if source not in journeys.columns:
        raise AnalysisError(f"journeys lack the column {source!r} (level {level!r}); make them with journeys()")
    if steps is not None and steps < (3 if start and end else 1):
        raise AnalysisError(f"steps must be at least {3 if start and end else 1}, got {steps}")
    path = pl.col(source)
    if collapse_repeats:
        path = path.list.eval(pl.element().filter(pl.element().ne_missing(pl.element().shift())))
    out = journeys.with_columns(path.alias("path")).drop(*[c for c in _SOURCES.values() if c in journeys.columns])
    p = pl.col("path")
    if start is not None:
        out = out.filter(p.list.contains(start)).with_columns(p.list.slice(_first_index(p, start)).alias("path"))
    if end is not None:
        skip = 1 if start is not None else 0  # the end anchor comes after the start node
        rest = p.list.slice(skip)
        out = out.filter(rest.list.contains(end)).with_columns(
            p.list.head(_first_index(rest, end) + skip + 1).alias("path")
        )
    if steps is not None:
        if start is not None and end is not None:
            squeezed = pl.concat_list(p.list.head(steps - 2), pl.lit([GAP]), p.list.tail(1))
            out = out.with_columns(pl.when(p.list.len() > steps).then(squeezed).otherwise(p).alias("path"))
        elif end is not None:
            out = out.with_columns(p.list.tail(steps))
        else:
            out = out.with_columns(p.list.head(steps))
    return out.filter(p.list.len() > 0)


def _label(path: pl.Expr) -> pl.Expr:
    return path.list.join(" → ")


def path_variants(
    paths: pl.DataFrame, *, top_n: int | None = 20, by: str | None = None
) -> pl.DataFrame:
    """Whole-path frequencies, converted vs not, most frequent first.

    Columns: [``by``,] ``path``, ``label`` (nodes joined by " → "), ``journeys``, ``users``, ``converted``,
    ``conversion_rate``, ``share`` (of all journeys, within the ``by`` group). ``top_n`` keeps the most frequent
    per group (ties broken by label).

    Examples
    --------
    >>> p = pl.DataFrame({"user_id": ["u1", "u2", "u3"], "path": [["a", "b"], ["a", "b"], ["a"]],
    ...                   "converted": [True, False, False]})
    >>> path_variants(p).select("label", "journeys", "conversion_rate").rows()
    [('a → b', 2, 0.5), ('a', 1, 0.0)]
    """
    groups = [by] if by is not None else []
    if by is not None and by not in paths.columns:
        raise AnalysisError(f"cannot break down by {by!r}: no such column; present: {', '.join(paths.columns)}")
    total = pl.col("journeys").sum().over(by) if by is not None else pl.col("journeys").sum()
    out = (
        paths.group_by(*groups, "path")
        .agg(
            pl.len().cast(pl.Int64).alias("journeys"),
            pl.col(s.USER_ID).n_unique().cast(pl.Int64).alias("users"),
            pl.col("converted").sum().cast(pl.Int64).alias("converted"),
        )
        .with_columns(
            _label(pl.col("path")).alias("label"),
            (pl.col("converted") / pl.col("journeys")).alias("conversion_rate"),
            (pl.col("journeys") / total).alias("share"),
        )
        .sort([*groups, "journeys", "label"], descending=[*([False] * len(groups)), True, False])
        .select(*groups, "path", "label", "journeys", "users", "converted", "conversion_rate", "share")
    )
    if top_n is not None:
        out = out.filter(pl.int_range(pl.len()).over(by) < top_n) if by is not None else out.head(top_n)
    return out


def _long(paths: pl.DataFrame, *, from_end: bool) -> pl.DataFrame:
    """One row per node: ``_row`` (the path), ``user_id``, ``step`` and ``node``."""
    exploded = (
        paths.select(pl.int_range(pl.len()).alias("_row"), s.USER_ID, "path")
        .with_columns(pl.col("path").list.len().alias("_len"))
        .explode("path")
        .rename({"path": "node"})
    )
    position = pl.int_range(pl.len()).over("_row")
    step = position - pl.col("_len") + 1 if from_end else position + 1
    return exploded.with_columns(step.cast(pl.Int64).alias("step")).drop("_len")


def _top_per_step(long: pl.DataFrame, top_n: int | None) -> pl.DataFrame:
    if top_n is None:
        return long
    ranked = (
        long.group_by("step", "node").agg(pl.len().alias("_n"))
        .sort("step", "_n", "node", descending=[False, True, False])
        .filter(pl.int_range(pl.len()).over("step") < top_n)  # ties at the cut: alphabetical order wins
        .select("step", "node", pl.lit(True).alias("_keep"))
    )
    return long.join(ranked, on=["step", "node"], how="left").with_columns(
        pl.when(pl.col("_keep")).then(pl.col("node")).otherwise(pl.lit(OTHER)).alias("node")
    ).drop("_keep")


def transitions(
    paths: pl.DataFrame,
    *,
    top_n: int | None = None,
    by_step: bool = True,
    from_end: bool = False,
    outcomes: bool = False,
) -> pl.DataFrame:
    """Step-to-step flows (Sankey data) or, with ``by_step=False``, the transition graph over all steps.

    Columns: [``step`` (of the source node),] ``source``, ``target``, ``count`` (journeys making the move),
    ``users`` (distinct people), ``probability`` (count over all moves out of the source node at that step, so the
    moves out of a node sum to 1). ``top_n`` keeps the ``top_n`` most frequent nodes of each step and buckets the
    rest as ``"Other"`` (by node over all steps when ``by_step=False``). ``outcomes=True`` (by step only) adds a
    move from each path's last node to :data:`CONVERTED` or :data:`NOT_CONVERTED` (the journey's ``converted``),
    so the flows show where people converted or stopped.

    Examples
    --------
    >>> p = pl.DataFrame({"user_id": ["u1", "u2"], "path": [["a", "b"], ["a", "c"]], "converted": [True, False]})
    >>> transitions(p).select("source", "target", "probability").rows()
    [('a', 'b', 0.5), ('a', 'c', 0.5)]
    >>> transitions(p, outcomes=True).filter(pl.col("step") == 2).select("source", "target").rows()
    [('b', '✓ converted'), ('c', '✗ no conversion')]
    """
    long = _long(paths, from_end=from_end)
    if by_step:
        long = _top_per_step(long, top_n)
    elif top_n is not None:
        keep = long.group_by("node").agg(pl.len().alias("_n")).sort("_n", "node", descending=[True, False]).head(top_n)
        long = long.with_columns(
            pl.when(pl.col("node").is_in(keep["node"].implode())).then(pl.col("node")).otherwise(pl.lit(OTHER))
        )
    if outcomes:
        if not by_step or "converted" not in paths.columns:
            raise AnalysisError("outcomes=True needs by_step=True and paths with a 'converted' column (from paths())")
        ends = paths.select(
            pl.int_range(pl.len()).alias("_row"), s.USER_ID,
            (pl.lit(1, pl.Int64) if from_end else pl.col("path").list.len().cast(pl.Int64) + 1).alias("step"),
            pl.when(pl.col("converted")).then(pl.lit(CONVERTED)).otherwise(pl.lit(NOT_CONVERTED)).alias("node"),
        ).filter(pl.col("step") > (0 if from_end else 1))
        long = pl.concat([long, ends.select(long.columns)], how="vertical_relaxed").sort("_row", "step")
    moves = long.with_columns(
        pl.col("node").shift(-1).over("_row").alias("target")
    ).filter(pl.col("target").is_not_null()).rename({"node": "source"})
    key = ["step", "source"] if by_step else ["source"]
    return (
        moves.group_by(*key, "target")
        .agg(pl.len().cast(pl.Int64).alias("count"), pl.col(s.USER_ID).n_unique().cast(pl.Int64).alias("users"))
        .with_columns((pl.col("count") / pl.col("count").sum().over(key)).alias("probability"))
        .sort([*key, "count", "target"], descending=[*([False] * len(key)), True, False])
    )


def step_matrix(
    paths: pl.DataFrame, *, steps: int = 10, top_n: int | None = None, from_end: bool = False
) -> pl.DataFrame:
    """Share of paths with node ``e`` at step ``k`` (long form: ``step``, ``node``, ``journeys``, ``share``).

    Paths shorter than a step count as ``"(ended)"`` there, so the shares of each step sum to 1. ``top_n`` keeps
    the ``top_n`` most frequent nodes over the shown steps and buckets the rest as ``"Other"``.

    Examples
    --------
    >>> p = pl.DataFrame({"user_id": ["u1", "u2"], "path": [["a", "b"], ["a"]], "converted": [True, False]})
    >>> step_matrix(p, steps=2).rows()
    [(1, 'a', 2, 1.0), (2, '(ended)', 1, 0.5), (2, 'b', 1, 0.5)]
    """
    if steps < 1:
        raise AnalysisError(f"steps must be at least 1, got {steps}")
    n = paths.height
    numbers = list(range(-steps + 1, 1)) if from_end else list(range(1, steps + 1))
    grid = paths.select(pl.int_range(pl.len()).alias("_row")).join(
        pl.DataFrame({"step": numbers}, schema={"step": pl.Int64}), how="cross"
    )
    long = _long(paths, from_end=from_end).filter(pl.col("step").is_in(numbers))
    cells = grid.join(long.select("_row", "step", "node"), on=["_row", "step"], how="left").with_columns(
        pl.col("node").fill_null(ENDED)
    )
    if top_n is not None:
        ranked = cells.filter(pl.col("node") != ENDED).group_by("node").agg(pl.len().alias("_n"))
        keep = ranked.sort("_n", "node", descending=[True, False]).head(top_n)["node"]
        cells = cells.with_columns(
            pl.when(pl.col("node").is_in(keep.implode()) | (pl.col("node") == ENDED))
            .then(pl.col("node")).otherwise(pl.lit(OTHER))
        )
    return (
        cells.group_by("step", "node")
        .agg(pl.len().cast(pl.Int64).alias("journeys"))
        .with_columns((pl.col("journeys") / n).alias("share"))
        .sort("step", "node")
    )
