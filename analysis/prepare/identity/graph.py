"""The identity graph: identifiers are nodes, a row carrying two identifiers links them, people are components.

Every identifier column in every file is a node type (:data:`ID_TYPES`). A row with several identifiers links each
pair of them. Before the components are taken, the false-merge rule (:class:`IdentityRules`, decision record
``docs/decisions/0009-identity-graph-and-false-merges.md``) cuts links:

* **conflict**: an identifier linked to two or more values of a one-per-person type (two user ids, two customer
  numbers) says two different people are one. Its links to that type are cut; its other links stay. This is also
  today's shared-device rule: a device seen with two user ids joins neither (its anonymous events still go to the
  user active at the time, see :mod:`analysis.prepare.identity.stitch`).
* **overlinked**: an identifier linked to more than ``max_links`` values of one person-level type (a junk e-mail
  such as ``unknown@example.com``, a phone ``0``, a test account) is cut out entirely.

Components are found by min-label propagation with pointer jumping over integer node ids (numpy segment minima,
no Python loop over rows). A component still holding two values of a one-per-person type through a longer chain is
split: each of its nodes joins the nearest such value, and a node equally near two of them stays alone. Every cut
is counted in :attr:`IdentityGraph.cuts`. Node ids come from the sorted identifiers, and person keys from the
best identifier of each component (:data:`ID_TYPES` order, then the smallest value), so the same files give the
same person keys in any row or file order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError

CUSTOMER_ID = "customer_id"
EMAIL = "email"
PHONE = "phone"
#: Identifier types, best first: a person's key comes from the best identifier in their component.
ID_TYPES: tuple[str, ...] = (s.USER_ID, CUSTOMER_ID, EMAIL, PHONE, s.ANONYMOUS_ID)
#: Device identifiers: a person has many, so they never count towards ``max_links``.
DEVICE_TYPES: tuple[str, ...] = (s.ANONYMOUS_ID,)
#: Prefix of a person key per identifier type (user and anonymous ids are kept as they are, as before the graph).
KEY_PREFIX: dict[str, str] = {s.USER_ID: "", CUSTOMER_ID: "customer:", EMAIL: "email:", PHONE: "phone:",
                              s.ANONYMOUS_ID: ""}
_MAX_ROUNDS = 1_000
_NODE_SCHEMA = {"id_type": pl.String, "value": pl.String}


@dataclass(frozen=True)
class IdentityRules:
    """The false-merge rule (see the module docstring); every part is settable.

    Parameters
    ----------
    one_per_person
        Identifier types a person has at most one of; an identifier linked to two of them is a conflict.
    max_links
        An identifier linked to more than this many values of one person-level type is cut out entirely.

    Examples
    --------
    >>> IdentityRules(max_links=3).max_links
    3
    """

    one_per_person: tuple[str, ...] = (s.USER_ID, CUSTOMER_ID)
    max_links: int = 10

    def __post_init__(self) -> None:
        unknown = [t for t in self.one_per_person if t not in ID_TYPES]
        if unknown:
            raise AnalysisError(f"one_per_person names {unknown}; identifier types are {', '.join(ID_TYPES)}")
        if self.max_links < 1:
            raise AnalysisError(f"max_links={self.max_links} is invalid; use 1 or more")


@dataclass(frozen=True)
class IdentityGraph:
    """The resolved graph.

    ``nodes``: one row per linked identifier (``id_type``, ``value``, ``person``); ``links``: links per pair of
    identifier types (``kept``, ``cut``); ``cuts``: identifiers cut per type and reason with the links they lost;
    ``split_people``: components split because a chain joined two values of a one-per-person type.
    """

    nodes: pl.DataFrame
    links: pl.DataFrame
    cuts: pl.DataFrame
    split_people: int = 0
    rules: IdentityRules = field(default_factory=IdentityRules)

    def person_of(self, id_type: str, values: pl.Expr) -> pl.Expr:
        """An expression giving the person of ``values`` (identifiers of ``id_type``); unlinked ones key themselves."""
        table = self.nodes.filter(pl.col("id_type") == id_type)
        key = own_key(id_type, values)
        return values.replace_strict(table["value"], table["person"], default=key, return_dtype=pl.String)


def own_key(id_type: str, values: pl.Expr) -> pl.Expr:
    """The person key of an identifier standing alone."""
    prefix = KEY_PREFIX[id_type]
    return pl.concat_str(pl.lit(prefix), values) if prefix else values


def id_columns(frame: pl.DataFrame) -> list[str]:
    """The identifier columns ``frame`` has, in :data:`ID_TYPES` order."""
    return [c for c in ID_TYPES if c in frame.columns]


def _pairs(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Distinct undirected links (type and value of both ends, smaller type first) over all rows of all frames."""
    parts = []
    for frame in frames:
        cols = id_columns(frame)
        for a, b in combinations(cols, 2):
            parts.append(
                frame.lazy().select(pl.lit(a).alias("t1"), pl.col(a).alias("v1"), pl.lit(b).alias("t2"),
                                    pl.col(b).alias("v2")).drop_nulls().unique()
            )
    if not parts:
        return pl.DataFrame(schema={"t1": pl.String, "v1": pl.String, "t2": pl.String, "v2": pl.String})
    return pl.concat(parts).unique().collect()


def _directed(pairs: pl.DataFrame) -> pl.DataFrame:
    back = pairs.select(pl.col("t2").alias("t1"), pl.col("v2").alias("v1"), pl.col("t1").alias("t2"),
                        pl.col("v1").alias("v2"))
    return pl.concat([pairs, back])


def _cut_table(directed: pl.DataFrame, rules: IdentityRules) -> pl.DataFrame:
    """Per identifier and neighbour type: how many values it links and whether (and why) those links are cut."""
    person_level = pl.col("t2").is_in(DEVICE_TYPES).not_()
    counts = directed.group_by("t1", "v1", "t2").agg(pl.col("v2").n_unique().alias("n"))
    over = counts.filter(person_level & (pl.col("n") > rules.max_links)).select("t1", "v1").unique()
    conflict = counts.filter(pl.col("t2").is_in(rules.one_per_person) & (pl.col("n") >= 2))
    return pl.concat([
        over.with_columns(pl.lit(None, pl.String).alias("t2"), pl.lit("overlinked").alias("reason")),
        conflict.join(over, on=["t1", "v1"], how="anti").select("t1", "v1", "t2", pl.lit("conflict").alias("reason")),
    ])


def _drop_cut(directed: pl.DataFrame, cuts: pl.DataFrame) -> pl.DataFrame:
    whole = cuts.filter(pl.col("t2").is_null()).select("t1", "v1")
    typed = cuts.filter(pl.col("t2").is_not_null()).select("t1", "v1", "t2")
    out = directed.join(whole, on=["t1", "v1"], how="anti").join(typed, on=["t1", "v1", "t2"], how="anti")
    # a link survives only if neither end cut it
    flipped_whole = whole.rename({"t1": "t2", "v1": "v2"})
    flipped_typed = typed.rename({"t1": "t2", "v1": "v2", "t2": "t1"})
    return out.join(flipped_whole, on=["t2", "v2"], how="anti").join(flipped_typed, on=["t2", "v2", "t1"], how="anti")


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Component label (smallest node id) of each of ``n`` nodes: min-label propagation with pointer jumping."""
    labels = np.arange(n, dtype=np.int64)
    if not len(src):
        return labels
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    heads = src[starts]
    for _ in range(_MAX_ROUNDS):
        best = labels.copy()
        best[heads] = np.minimum(labels[heads], np.minimum.reduceat(labels[dst], starts))
        while True:  # pointer jumping: follow labels to their own label until they settle
            jumped = best[best]
            if np.array_equal(jumped, best):
                break
            best = jumped
        if np.array_equal(best, labels):
            return labels
        labels = best
    raise AnalysisError(f"identity links did not settle in {_MAX_ROUNDS} rounds")  # pragma: no cover


def _node_frame(directed: pl.DataFrame) -> pl.DataFrame:
    """Linked identifiers with a dense id in sorted (type rank, value) order: ids do not depend on row order."""
    rank = {t: i for i, t in enumerate(ID_TYPES)}
    return (
        directed.select(pl.col("t1").alias("id_type"), pl.col("v1").alias("value")).unique()
        .with_columns(pl.col("id_type").replace_strict(rank, return_dtype=pl.Int8).alias("rank"))
        .sort("rank", "value")
        .with_row_index("node")
        .with_columns(pl.col("node").cast(pl.Int64))
    )


def _split_conflicts(nodes: pl.DataFrame, edges: pl.DataFrame, rules: IdentityRules) -> tuple[pl.DataFrame, int]:
    """Split components holding two values of a one-per-person type: every node joins the nearest such value."""
    split = 0
    for kind in rules.one_per_person:
        bad = (nodes.filter(pl.col("id_type") == kind).group_by("label").len()
               .filter(pl.col("len") > 1).select("label"))
        if not bad.height:
            continue
        split += bad.height
        inside = nodes.join(bad, on="label", how="semi")
        anchor = inside.filter(pl.col("id_type") == kind).select("node", pl.col("node").alias("anchor"))
        local = edges.join(inside.select(pl.col("node").alias("a"), pl.col("label").alias("la")), on="a") \
            .join(inside.select(pl.col("node").alias("b"), pl.col("label").alias("lb")), on="b") \
            .filter(pl.col("la") == pl.col("lb")).select("a", "b")
        reached, frontier, blocked = anchor, anchor, pl.DataFrame(schema={"node": pl.Int64})
        while frontier.height:
            step = (local.join(frontier.rename({"node": "a"}), on="a")
                    .select(pl.col("b").alias("node"), "anchor")
                    .join(reached, on="node", how="anti").join(blocked, on="node", how="anti")
                    .group_by("node").agg(pl.col("anchor").min(), pl.col("anchor").n_unique().alias("n")))
            blocked = pl.concat([blocked, step.filter(pl.col("n") > 1).select("node")])
            frontier = step.filter(pl.col("n") == 1).select("node", "anchor")
            reached = pl.concat([reached, frontier])
        nodes = (nodes.join(reached.rename({"anchor": "_new"}), on="node", how="left")
                 .with_columns(pl.when(pl.col("label").is_in(bad["label"].implode()))
                               .then(pl.coalesce("_new", "node")).otherwise("label").alias("label"))
                 .drop("_new"))
    return nodes, split


def identity_graph(frames: Sequence[pl.DataFrame], *, rules: IdentityRules | None = None) -> IdentityGraph:
    """Resolve the people behind every identifier column of ``frames`` (events and people tables alike).

    Parameters
    ----------
    frames
        Frames with any of the identifier columns :data:`ID_TYPES`; other columns are ignored.
    rules
        The false-merge rule; :class:`IdentityRules` defaults when None.

    Examples
    --------
    >>> web = pl.DataFrame({"user_id": ["u1"], "email": ["e1"]})
    >>> crm = pl.DataFrame({"customer_id": ["K7"], "email": ["e1"]})
    >>> identity_graph([web, crm]).nodes.sort("id_type")["person"].to_list()
    ['u1', 'u1', 'u1']
    """
    rules = rules or IdentityRules()
    directed = _directed(_pairs(frames))
    cuts = _cut_table(directed, rules)
    kept = _drop_cut(directed, cuts)
    nodes = _node_frame(directed)
    ids = nodes.select("id_type", "value", "node")
    edges = (kept.join(ids.rename({"id_type": "t1", "value": "v1", "node": "a"}), on=["t1", "v1"])
             .join(ids.rename({"id_type": "t2", "value": "v2", "node": "b"}), on=["t2", "v2"])
             .select("a", "b"))
    labels = _components(nodes.height, edges["a"].to_numpy(), edges["b"].to_numpy())
    nodes = nodes.with_columns(pl.Series("label", labels, dtype=pl.Int64))
    nodes, split = _split_conflicts(nodes, edges, rules)
    best = (nodes.sort("rank", "value").group_by("label", maintain_order=True).first()
            .select("label", pl.struct("id_type", "value").alias("_best")))
    prefix = pl.col("_best").struct.field("id_type").replace_strict(KEY_PREFIX, return_dtype=pl.String)
    person = pl.concat_str(prefix, pl.col("_best").struct.field("value"))
    nodes = (nodes.join(best, on="label").with_columns(person.alias("person"))
             .sort("rank", "value").select("id_type", "value", "person"))
    return IdentityGraph(nodes=nodes, links=_link_counts(directed, kept), cuts=_cut_counts(cuts, directed),
                         split_people=split, rules=rules)


def _link_counts(directed: pl.DataFrame, kept: pl.DataFrame) -> pl.DataFrame:
    """Links per pair of identifier types: how many were kept and how many the rule cut."""
    rank = {t: i for i, t in enumerate(ID_TYPES)}

    def count(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        forward = pl.col("t1").replace_strict(rank) < pl.col("t2").replace_strict(rank)
        return frame.filter(forward).group_by("t1", "t2").len(name=name)

    out = count(directed, "links").join(count(kept, "kept"), on=["t1", "t2"], how="left")
    return (out.with_columns(pl.col("kept").fill_null(0).cast(pl.Int64), pl.col("links").cast(pl.Int64))
            .with_columns((pl.col("links") - pl.col("kept")).alias("cut"))
            .rename({"t1": "from_type", "t2": "to_type"}).select("from_type", "to_type", "kept", "cut")
            .sort("from_type", "to_type"))


def _cut_counts(cuts: pl.DataFrame, directed: pl.DataFrame) -> pl.DataFrame:
    """Identifiers cut per type and reason, with the number of links they lost."""
    lost_whole = directed.join(cuts.filter(pl.col("t2").is_null()).select("t1", "v1"), on=["t1", "v1"])
    lost_typed = directed.join(cuts.filter(pl.col("t2").is_not_null()).select("t1", "v1", "t2"),
                               on=["t1", "v1", "t2"])
    per = pl.concat([
        lost_whole.group_by("t1", "v1").len().with_columns(pl.lit("overlinked").alias("reason")),
        lost_typed.group_by("t1", "v1").len().with_columns(pl.lit("conflict").alias("reason")),
    ])
    return (per.group_by("t1", "reason").agg(pl.len().cast(pl.Int64).alias("identifiers"),
                                             pl.col("len").sum().cast(pl.Int64).alias("links_cut"))
            .rename({"t1": "id_type"}).sort("reason", "id_type"))
