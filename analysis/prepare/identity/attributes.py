"""People attributes per person: one value per attribute, conflicts between a person's records counted."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from analysis import schema as s
from analysis.prepare.identity.graph import ID_TYPES

PERSON = "person"
_NOT_ATTRIBUTES = frozenset({*ID_TYPES, PERSON, "source_file", "records"})


@dataclass(frozen=True)
class AttributeReport:
    """Per attribute: people whose records disagree (``conflicts``), and how each was settled."""

    conflicts: dict[str, int] = field(default_factory=dict)

    def explain(self) -> list[str]:
        """One sentence per attribute with conflicts."""
        return [f"{a}: {n:,} people have records with different values; the value most of their records hold is "
                "used (ties: the first in sort order)" for a, n in self.conflicts.items() if n]


def attribute_columns(people: pl.DataFrame) -> list[str]:
    """The attribute columns of a people table: everything that is not an identifier or bookkeeping."""
    return [c for c in people.columns if c not in _NOT_ATTRIBUTES and c not in s.CANONICAL_SCHEMA]


def people_attributes(people: pl.DataFrame) -> tuple[pl.DataFrame, AttributeReport]:
    """One row per person (``person`` column required): each attribute's value held by most of their records.

    Returns the frame (``person``, ``records``, the attributes) and the count of people with conflicting values per
    attribute. Nulls never win over a value.

    Examples
    --------
    >>> p = pl.DataFrame({"person": ["a", "a", "a", "b"], "segment": ["VIP", "VIP", "Neu", None]})
    >>> table, report = people_attributes(p)
    >>> table.sort("person").rows(), report.conflicts
    ([('a', 3, 'VIP'), ('b', 1, None)], {'segment': 1})
    """
    out = people.group_by(PERSON).agg(pl.len().cast(pl.Int64).alias("records"))
    conflicts: dict[str, int] = {}
    for col in attribute_columns(people):  # a loop over columns, not rows
        ranked = (people.filter(pl.col(col).is_not_null()).group_by(PERSON, col).len()
                  .sort(PERSON, "len", col, descending=[False, True, False])
                  .group_by(PERSON, maintain_order=True)
                  .agg(pl.col(col).first(), pl.len().alias("_values")))
        conflicts[col] = int((ranked["_values"] > 1).sum())
        out = out.join(ranked.drop("_values"), on=PERSON, how="left")
    return out.sort(PERSON), AttributeReport(conflicts=conflicts)
