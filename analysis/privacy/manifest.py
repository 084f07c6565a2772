"""The suppression manifest: what a privacy step withheld from an export and why (never the withheld values)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from analysis.vocabulary import check_choice

Reason = Literal["below_k", "complementary", "derivable", "folded", "personal_data", "identifier", "dropped",
                 "noise"]

#: Plain-language explanation of every reason, shown next to the manifest.
REASONS: dict[str, str] = {
    "below_k": "fewer than k people (primary suppression)",
    "complementary": "withheld so that a withheld cell cannot be recovered from a published total",
    "derivable": "withheld because published totals would have pinned its value (linear audit)",
    "folded": "small categories merged into 'Other (n groups)'; their names are withheld",
    "personal_data": "column looks like personal data (name or values) and never leaves the machine",
    "identifier": "person or device identifiers never leave the machine",
    "dropped": "whole group withheld because its total is withheld",
    "noise": "published with random noise (differential privacy) instead of its exact value",
}


@dataclass(frozen=True)
class SuppressionEntry:
    """One withheld item: the table, the cell (its labels, never its value), the reason and a note."""

    table: str
    cell: str
    reason: Reason
    note: str = ""


@dataclass(frozen=True)
class SuppressionManifest:
    """Everything an export withheld, with the threshold ``min_group_size`` (k) it applied.

    Examples
    --------
    >>> m = SuppressionManifest(10).add("personas", "persona=Other", "below_k")
    >>> m.to_frame().select("table", "reason").rows()
    [('personas', 'below_k')]
    """

    min_group_size: int
    entries: tuple[SuppressionEntry, ...] = field(default=())

    def add(self, table: str, cell: str, reason: Reason, note: str = "") -> SuppressionManifest:
        """A new manifest with one more entry."""
        return SuppressionManifest(self.min_group_size, (*self.entries, SuppressionEntry(table, cell, reason, note)))

    def extend(self, entries: Iterable[SuppressionEntry]) -> SuppressionManifest:
        """A new manifest with ``entries`` appended."""
        return SuppressionManifest(self.min_group_size, (*self.entries, *entries))

    def merge(self, other: SuppressionManifest) -> SuppressionManifest:
        """A new manifest holding both manifests' entries (the larger k wins)."""
        return SuppressionManifest(max(self.min_group_size, other.min_group_size), (*self.entries, *other.entries))

    def to_frame(self) -> pl.DataFrame:
        """One row per entry: ``table``, ``cell``, ``reason``, ``explanation``, ``note``."""
        return pl.DataFrame(
            {
                "table": [e.table for e in self.entries],
                "cell": [e.cell for e in self.entries],
                "reason": [e.reason for e in self.entries],
                "explanation": [REASONS[e.reason] for e in self.entries],
                "note": [e.note for e in self.entries],
            },
            schema={"table": pl.String, "cell": pl.String, "reason": pl.String, "explanation": pl.String,
                    "note": pl.String},
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (see :meth:`from_dict`)."""
        return {"min_group_size": self.min_group_size,
                "entries": [{"table": e.table, "cell": e.cell, "reason": e.reason, "note": e.note}
                            for e in self.entries]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SuppressionManifest:
        """Rebuild a manifest written by :meth:`to_dict`; unknown reasons are rejected."""
        entries = []
        for raw in data.get("entries", []):
            reason = str(raw["reason"])
            check_choice("manifest reason", reason, REASONS)
            entries.append(SuppressionEntry(str(raw["table"]), str(raw["cell"]), reason, str(raw.get("note", ""))))  # type: ignore[arg-type]
        return cls(int(data["min_group_size"]), tuple(entries))
