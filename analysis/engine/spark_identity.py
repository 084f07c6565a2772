"""The identity graph on Spark: the algorithm of :mod:`analysis.prepare.identity.graph` as DataFrame joins.

Nothing identifier-sized passes through the driver: links, the false-merge cuts, min-label propagation (with
pointer jumping) and the split of conflicting components are Spark joins and aggregations, iterated until no label
changes (one ``count`` per round reaches the driver). Node keys are ``<type rank><US><value>`` strings, so the
smallest key of a component is its best identifier, as the Polars version's smallest node id is; the two give the
same people (``tests/analysis/engine/test_spark_identity.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.prepare.identity.graph import DEVICE_TYPES, ID_TYPES, KEY_PREFIX, IdentityRules

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

_SEP = "\x1f"
#: Node key prefixes of user ids and device ids (their :data:`ID_TYPES` rank and the separator).
USER_NODE = f"{ID_TYPES.index(s.USER_ID)}{_SEP}"
DEVICE_NODE = f"{ID_TYPES.index(s.ANONYMOUS_ID)}{_SEP}"
_MAX_ROUNDS = 1_000


def _f() -> Any:
    from pyspark.sql import functions as F  # noqa: PLC0415 (PySpark is optional)

    return F


def _pairs(frames: Sequence[SparkFrame]) -> SparkFrame:
    """Distinct directed links ``(t1, v1, t2, v2)`` between the identifiers of each row, both directions.

    One scan per frame: each row's pairs are one array of structs, exploded, then made distinct in one shuffle.
    """
    F = _f()
    parts = []
    for frame in frames:
        cols = [c for c in ID_TYPES if c in frame.columns]
        links = [F.struct(F.lit(x).alias("t1"), F.col(x).cast("string").alias("v1"), F.lit(y).alias("t2"),
                          F.col(y).cast("string").alias("v2"))
                 for a, b in combinations(cols, 2) for x, y in ((a, b), (b, a))]
        if links:
            parts.append(frame.select(F.explode(F.array(*links)).alias("l")).select("l.*")
                         .filter(F.col("v1").isNotNull() & F.col("v2").isNotNull()))
    if not parts:
        raise AnalysisError("no frame has two identifier columns: nothing to link")
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out.distinct()


def _cuts(directed: SparkFrame, rules: IdentityRules) -> SparkFrame:
    """The cut table ``(t1, v1, t2, reason)``, computed once (it is small and read four times by the drop)."""
    F = _f()
    counts = directed.groupBy("t1", "v1", "t2").count().withColumnRenamed("count", "n")  # directed is distinct
    over = (counts.filter(~F.col("t2").isin(*DEVICE_TYPES) & (F.col("n") > rules.max_links))
            .select("t1", "v1").distinct())
    conflict = (counts.filter(F.col("t2").isin(*rules.one_per_person) & (F.col("n") >= 2))
                .join(over, ["t1", "v1"], "left_anti").select("t1", "v1", "t2", F.lit("conflict").alias("reason")))
    return over.select("t1", "v1", F.lit(None).cast("string").alias("t2"),
                       F.lit("overlinked").alias("reason")).unionByName(conflict).localCheckpoint()


def _drop_cut(directed: SparkFrame, cuts: SparkFrame) -> SparkFrame:
    F = _f()
    whole = cuts.filter(F.col("t2").isNull()).select("t1", "v1")
    typed = cuts.filter(F.col("t2").isNotNull()).select("t1", "v1", "t2")
    out = directed.join(whole, ["t1", "v1"], "left_anti").join(typed, ["t1", "v1", "t2"], "left_anti")
    out = out.join(whole.select(F.col("t1").alias("t2"), F.col("v1").alias("v2")), ["t2", "v2"], "left_anti")
    flipped = typed.select(F.col("t1").alias("t2"), F.col("v1").alias("v2"), F.col("t2").alias("t1"))
    return out.join(flipped, ["t2", "v2", "t1"], "left_anti")


def _key(type_col: str, value_col: str) -> Any:
    F = _f()
    rank = F.lit(None).cast("string")
    for i, t in enumerate(ID_TYPES):
        rank = F.when(F.col(type_col) == t, F.lit(str(i))).otherwise(rank)
    return F.concat(rank, F.lit(_SEP), F.col(value_col))


def spark_components(edges: SparkFrame, nodes: SparkFrame) -> SparkFrame:
    """``(node, label)``: the smallest node key of each node's component over ``edges`` ``(a, b)`` (both ways).

    Min-label propagation with pointer jumping, as DataFrame joins; stops when a round changes no label. (Numbering
    the keys first so that rounds compare integers was tried: arbitrary numbers need a round more, and the numbering
    costs as much as it saves, 71 s against 58 s at 1M events + 100k people on ``local[2]``.)
    """
    F = _f()
    labels = nodes.select("node").distinct().withColumn("label", F.col("node")).localCheckpoint()
    for _ in range(_MAX_ROUNDS):
        seen = (edges.join(labels.select(F.col("node").alias("b"), F.col("label").alias("lb")), "b")
                .groupBy("a").agg(F.min("lb").alias("m")).withColumnRenamed("a", "node"))
        new = labels.join(seen, "node", "left").select(
            "node", F.col("label").alias("old"), F.least(F.col("label"), F.coalesce(F.col("m"), F.col("label")))
            .alias("label"))
        jumped = new.join(new.select(F.col("node").alias("label"), F.col("label").alias("l2")), "label", "left")
        # a checkpoint, not a cache: the plan of a round then starts from the last round's rows instead of
        # holding every earlier round (twice per round, through the self-join), which grew without bound
        new = jumped.select("node", "old", F.least(F.col("label"), F.coalesce(F.col("l2"), F.col("label")))
                            .alias("label")).localCheckpoint()
        changed = new.filter(F.col("label") != F.col("old")).limit(1).count()
        labels = new.drop("old")
        if not changed:
            return labels
    raise AnalysisError(f"identity links did not settle in {_MAX_ROUNDS} rounds")  # pragma: no cover


def _split(nodes: SparkFrame, edges: SparkFrame, rules: IdentityRules) -> SparkFrame:
    """Components with two values of a one-per-person type: each node joins the nearest one (as in Polars)."""
    F = _f()
    for kind in rules.one_per_person:
        bad = (nodes.filter(F.col("id_type") == kind).groupBy("label").count().filter(F.col("count") > 1)
               .select("label").localCheckpoint())
        if not bad.limit(1).count():
            continue
        inside = nodes.join(bad, "label").select("node", "label", "id_type")
        local = (edges.join(inside.select(F.col("node").alias("a"), F.col("label").alias("la")), "a")
                 .join(inside.select(F.col("node").alias("b"), F.col("label").alias("lb")), "b")
                 .filter(F.col("la") == F.col("lb")).select("a", "b").localCheckpoint())
        reached = inside.filter(F.col("id_type") == kind).select("node", F.col("node").alias("anchor"))
        frontier = reached
        blocked = reached.select("node").limit(0)
        for _ in range(_MAX_ROUNDS):
            step = (local.join(frontier.withColumnRenamed("node", "a"), "a")
                    .select(F.col("b").alias("node"), "anchor")
                    .join(reached.select("node"), "node", "left_anti").join(blocked, "node", "left_anti")
                    .groupBy("node").agg(F.min("anchor").alias("anchor"),
                                         F.countDistinct("anchor").alias("n")).localCheckpoint())
            if not step.limit(1).count():
                break
            blocked = blocked.unionByName(step.filter(F.col("n") > 1).select("node")).localCheckpoint()
            frontier = step.filter(F.col("n") == 1).select("node", "anchor")
            reached = reached.unionByName(frontier).localCheckpoint()
        nodes = (nodes.join(bad.withColumn("_bad", F.lit(True)), "label", "left")
                 .join(reached.withColumnRenamed("anchor", "_new"), "node", "left")
                 .withColumn("label", F.when(F.col("_bad"), F.coalesce(F.col("_new"), F.col("node")))
                             .otherwise(F.col("label")))
                 .drop("_bad", "_new").localCheckpoint())
    return nodes


def spark_identity_graph(frames: Sequence[SparkFrame], *, rules: IdentityRules | None = None) -> SparkFrame:
    """The people behind the identifier columns of Spark ``frames``: ``(id_type, value, person)`` per linked
    identifier, equal to :attr:`analysis.prepare.identity.identity_graph`'s ``nodes``.

    Examples
    --------
    >>> spark_identity_graph([spark.createDataFrame([("u1", "e1")], "user_id string, email string")]
    ...                      ).collect()  # doctest: +SKIP
    """
    F = _f()
    rules = rules or IdentityRules()
    directed = _pairs(frames).localCheckpoint()
    kept = _drop_cut(directed, _cuts(directed, rules))
    nodes = (directed.select(F.col("t1").alias("id_type"), F.col("v1").alias("value")).distinct()
             .withColumn("node", _key("id_type", "value")))
    edges = kept.select(_key("t1", "v1").alias("a"), _key("t2", "v2").alias("b")).localCheckpoint()
    labels = spark_components(edges, nodes)
    nodes = _split(nodes.join(labels, "node"), edges, rules)
    best = nodes.groupBy("label").agg(F.min("node").alias("best"))
    rank = F.split(F.col("best"), _SEP).getItem(0).cast("int")
    prefix = F.lit("")
    for i, t in enumerate(ID_TYPES):
        prefix = F.when(rank == i, F.lit(KEY_PREFIX[t])).otherwise(prefix)
    value = F.expr(f"substring(best, instr(best, '{_SEP}') + 1)")
    return nodes.join(best, "label").select("id_type", "value", F.concat(prefix, value).alias("person"))


def collect_people(graph: SparkFrame) -> pl.DataFrame:
    """The (small, aggregate) node table as a Polars frame, in the Polars version's order (for tests and reports)."""
    frame = pl.from_arrow(graph.toArrow())
    assert isinstance(frame, pl.DataFrame)
    rank = {t: i for i, t in enumerate(ID_TYPES)}
    return (frame.with_columns(pl.col("id_type").replace_strict(rank, return_dtype=pl.Int8).alias("_r"))
            .sort("_r", "value").drop("_r").select("id_type", "value", "person"))


def route_labels(sdf: SparkFrame, columns: Sequence[str]) -> SparkFrame:
    """``(node, label)`` over every user-device link of ``sdf`` with no cut (routing must keep whole components):
    the Spark counterpart of :func:`analysis.engine.partition.identity_routes`, as joins.

    Only a device seen with two or more users can join users into one component, so the propagation runs on the
    links of those shared devices alone (a small part of all links); every user is labelled by that, or by itself,
    and every device takes the label of its (smallest) user. Users outside the shared part have no row: their own
    key is their label. At 10M events this took 52 s with the propagation over every link.
    """
    F = _f()
    if s.USER_ID not in columns or s.ANONYMOUS_ID not in columns:
        raise AnalysisError("routing by identity needs both user_id and anonymous_id")
    links = (sdf.select(F.col(s.USER_ID).alias("u"), F.col(s.ANONYMOUS_ID).alias("d")).dropna().distinct()
             .localCheckpoint())
    devices = links.groupBy("d").agg(F.min("u").alias("first"), F.count("*").alias("users")).localCheckpoint()
    shared = (links.join(devices.filter(F.col("users") > 1).select("d"), "d")
              .select(F.concat(F.lit(USER_NODE), F.col("u")).alias("a"),
                      F.concat(F.lit(DEVICE_NODE), F.col("d")).alias("b")))
    edges = shared.unionByName(shared.select(F.col("b").alias("a"), F.col("a").alias("b"))).localCheckpoint()
    users = spark_components(edges, edges.select(F.col("a").alias("node"))).filter(
        F.col("node").startswith(USER_NODE))
    by_user = users.select(F.col("node").alias("_user"), F.col("label").alias("_user_label"))
    device_labels = (devices.select(F.concat(F.lit(DEVICE_NODE), F.col("d")).alias("node"),
                                    F.concat(F.lit(USER_NODE), F.col("first")).alias("_user"))
                     .join(by_user, "_user", "left")
                     .select("node", F.coalesce(F.col("_user_label"), F.col("_user")).alias("label")))
    return users.unionByName(device_labels)
