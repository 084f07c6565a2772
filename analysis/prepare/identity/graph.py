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
from analysis.vocabulary import check_choice

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
        for id_type in self.one_per_person:
            check_choice("one_per_person", id_type, ID_TYPES)
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


@dataclass(frozen=True)
class _Encoded:
    """Identifiers as integer node ids, assigned once: ``values`` holds every linked identifier in sorted
    (type rank, value) order, so a node id is its row there; ``kinds`` is each node's type rank; ``pairs`` holds
    the distinct links (``a`` < ``b``, ``a`` of the better type) over all rows of all frames."""

    values: pl.Series
    kinds: np.ndarray
    pairs: pl.DataFrame


def _encode(frames: Sequence[pl.DataFrame]) -> _Encoded:
    """Map every (type, value) to a node id once; only rows with two or more identifiers link anything."""
    rows = []
    for frame in frames:
        cols = id_columns(frame)
        if len(cols) > 1:
            linked = pl.sum_horizontal(pl.col(cols).is_not_null()) >= 2
            rows.append(frame.lazy().select(pl.col(cols).cast(pl.String)).filter(linked).unique().collect())
    # per type the sorted distinct values; a node id is the value's position after all better types' values
    dicts = [pl.concat([r[kind] for r in rows if kind in r.columns] or [pl.Series(kind, [], pl.String)])
             .drop_nulls().unique().sort() for kind in ID_TYPES]
    offsets = np.cumsum([0, *(len(d) for d in dicts)])
    tables = {kind: d.to_frame(kind).with_row_index("_id", offset=int(start)).with_columns(pl.col("_id").cast(pl.Int64))
              for kind, d, start in zip(ID_TYPES, dicts, offsets[:-1], strict=True)}
    links = []
    for r in rows:
        coded = pl.DataFrame([r.select(k).join(tables[k], on=k, how="left", maintain_order="left")["_id"].alias(k)
                              for k in r.columns])
        links += [coded.select(pl.col(a).alias("a"), pl.col(b).alias("b")).drop_nulls()
                  for a, b in combinations(coded.columns, 2)]
    pairs = pl.concat(links).unique() if links else pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64})
    kinds = np.repeat(np.arange(len(ID_TYPES), dtype=np.int8), np.diff(offsets))
    return _Encoded(values=pl.concat(dicts).rename("value"), kinds=kinds, pairs=pairs)


def _directed(pairs: pl.DataFrame, kinds: np.ndarray) -> pl.DataFrame:
    """Both directions of every link: ``a`` -> ``b`` with the type ranks ``ta`` and ``tb`` of both ends."""
    both = pl.concat([pairs, pairs.select(pl.col("b").alias("a"), pl.col("a").alias("b"))])
    kind = pl.Series(kinds)
    return both.with_columns(ta=kind.gather(both["a"]), tb=kind.gather(both["b"]))


def _ranks(types: Sequence[str]) -> list[int]:
    return [ID_TYPES.index(t) for t in types]


def _cut_table(directed: pl.DataFrame, rules: IdentityRules) -> pl.DataFrame:
    """Per identifier and neighbour type: whether (and why) its links are cut (``tb`` null: all of them).

    Links are distinct, so the number of rows per identifier and neighbour type is the number of values it links.
    """
    person_level = pl.col("tb").is_in(_ranks(DEVICE_TYPES)).not_()
    counts = directed.group_by("a", "ta", "tb").len("n")
    over = counts.filter(person_level & (pl.col("n") > rules.max_links)).select("a", "ta").unique()
    conflict = counts.filter(pl.col("tb").is_in(_ranks(rules.one_per_person)) & (pl.col("n") >= 2))
    return pl.concat([
        over.with_columns(pl.lit(None, pl.Int8).alias("tb"), pl.lit("overlinked").alias("reason")),
        conflict.join(over, on="a", how="anti").select("a", "ta", "tb", pl.lit("conflict").alias("reason")),
    ])


def _drop_cut(directed: pl.DataFrame, cuts: pl.DataFrame) -> pl.DataFrame:
    whole = cuts.filter(pl.col("tb").is_null()).select("a")
    typed = cuts.filter(pl.col("tb").is_not_null()).select("a", "tb")
    out = directed.join(whole, on="a", how="anti").join(typed, on=["a", "tb"], how="anti")
    # a link survives only if neither end cut it
    flipped_whole = whole.rename({"a": "b"})
    flipped_typed = typed.rename({"a": "b", "tb": "ta"})
    return out.join(flipped_whole, on="b", how="anti").join(flipped_typed, on=["b", "ta"], how="anti")


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


def _split_conflicts(nodes: pl.DataFrame, edges: pl.DataFrame, rules: IdentityRules) -> tuple[pl.DataFrame, int]:
    """Split components holding two values of a one-per-person type: every node joins the nearest such value."""
    split = 0
    for kind in _ranks(rules.one_per_person):
        bad = (nodes.filter(pl.col("kind") == kind).group_by("label").len()
               .filter(pl.col("len") > 1).select("label"))
        if not bad.height:
            continue
        split += bad.height
        inside = nodes.join(bad, on="label", how="semi")
        anchor = inside.filter(pl.col("kind") == kind).select("node", pl.col("node").alias("anchor"))
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
    encoded = _encode(frames)
    directed = _directed(encoded.pairs, encoded.kinds)
    cuts = _cut_table(directed, rules)
    kept = _drop_cut(directed, cuts)
    n = len(encoded.values)
    labels = _components(n, kept["a"].to_numpy(), kept["b"].to_numpy())
    nodes = pl.DataFrame({"node": np.arange(n, dtype=np.int64), "kind": encoded.kinds, "label": labels})
    nodes, split = _split_conflicts(nodes, kept.select("a", "b"), rules)
    # node ids follow (type rank, value), so a component's best identifier is its smallest node id
    best = nodes.select(pl.col("node").min().over("label"))["node"].to_numpy()
    kinds = pl.Series(encoded.kinds)
    nodes = pl.DataFrame({"id_type": pl.Series(ID_TYPES).gather(kinds), "value": encoded.values,
                          "_prefix": pl.Series([KEY_PREFIX[t] for t in ID_TYPES]).gather(kinds)})
    nodes = nodes.select("id_type", "value", pl.concat_str("_prefix", "value").gather(best).alias("person"))
    return IdentityGraph(nodes=nodes, links=_link_counts(directed, kept), cuts=_cut_counts(cuts, directed),
                         split_people=split, rules=rules)


def _type_names(frame: pl.DataFrame, renames: dict[str, str]) -> pl.DataFrame:
    """Type ranks turned back into type names."""
    names = pl.Series(ID_TYPES)
    return frame.with_columns(names.gather(frame[c]).alias(c) for c in renames).rename(renames)


def _link_counts(directed: pl.DataFrame, kept: pl.DataFrame) -> pl.DataFrame:
    """Links per pair of identifier types: how many were kept and how many the rule cut."""

    def count(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.filter(pl.col("ta") < pl.col("tb")).group_by("ta", "tb").len(name=name)

    out = count(directed, "links").join(count(kept, "kept"), on=["ta", "tb"], how="left")
    out = (out.with_columns(pl.col("kept").fill_null(0).cast(pl.Int64), pl.col("links").cast(pl.Int64))
           .with_columns((pl.col("links") - pl.col("kept")).alias("cut")))
    return (_type_names(out, {"ta": "from_type", "tb": "to_type"}).select("from_type", "to_type", "kept", "cut")
            .sort("from_type", "to_type"))


def _cut_counts(cuts: pl.DataFrame, directed: pl.DataFrame) -> pl.DataFrame:
    """Identifiers cut per type and reason, with the number of links they lost."""
    lost_whole = directed.join(cuts.filter(pl.col("tb").is_null()).select("a"), on="a")
    lost_typed = directed.join(cuts.filter(pl.col("tb").is_not_null()).select("a", "tb"), on=["a", "tb"])
    per = pl.concat([
        lost_whole.group_by("a", "ta").len().with_columns(pl.lit("overlinked").alias("reason")),
        lost_typed.group_by("a", "ta").len().with_columns(pl.lit("conflict").alias("reason")),
    ])
    out = per.group_by("ta", "reason").agg(pl.len().cast(pl.Int64).alias("identifiers"),
                                           pl.col("len").sum().cast(pl.Int64).alias("links_cut"))
    return _type_names(out, {"ta": "id_type"}).select("id_type", "reason", "identifiers", "links_cut") \
        .sort("reason", "id_type")
