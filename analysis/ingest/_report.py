"""The load report: every row accounted for (kept + repaired + rejected), reasons, examples, export."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from analysis.errors import IngestError
from analysis.export import protect_formulas, to_safe_csv  # noqa: F401 (protect_formulas: re-exported for callers)

#: Why a row was not loaded, as shown to the user.
REJECT_REASONS: dict[str, str] = {
    "ragged": "wrong number of fields",
    "bad_json": "line is not a valid JSON object",
    "too_long": "cell longer than the limit",
    "excel_id": "id mangled by Excel (digits already lost, e.g. 1,23457E+17)",
    "missing_id": "no user_id or anonymous_id",
    "missing_timestamp": "no timestamp",
    "bad_timestamp": "timestamp not in the detected format",
    "missing_event": "no event name",
    "bad_revenue": "revenue is not a number",
    "duplicate": "duplicate of an earlier event (same event id or identical row)",
    "missing_person_id": "no identifier (user id, customer number, e-mail, phone or device id)",
}
#: What was fixed in a row that was loaded.
REPAIR_REASONS: dict[str, str] = {
    "dst_gap": "local time in a DST gap, moved forward 1 hour",
    "dst_overlap": "local time in a DST overlap, read as the earlier instant",
    "leap_second": "leap second (:60) read as the first instant of the next minute",
    "nan_revenue": "revenue NaN (not a number) read as no revenue",
    "control_chars": "control characters removed",
    "bad_email": "e-mail is not an address (x@y.z): kept without it, not used for matching",
    "bad_phone": "phone has fewer than 6 digits: kept without it, not used for matching",
    "bad_customer_since": "customer-since date not readable: kept without it (no became_customer event)",
}
EXAMPLES_PER_REASON = 5


@dataclass(frozen=True)
class Example:
    """One offending cell: where it is and what it held."""

    file: str
    line: int | None
    column: str | None
    value: str | None


@dataclass
class FileReport:
    """What happened to one file: detection, mapping, and the fate of every row."""

    file: str
    format: str = "generic"
    container: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    timestamp: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    kept: int = 0
    repaired: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    repaired_by_reason: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        """Rows dropped as duplicates (part of ``rejected``)."""
        return self.rejected_by_reason.get("duplicate", 0)

    def check(self) -> None:
        """Assert the accounting invariant: rows read = kept + repaired + rejected."""
        assert self.rows_read == self.kept + self.repaired + self.rejected, self
        assert sum(self.rejected_by_reason.values()) == self.rejected, self


@dataclass
class LoadReport:
    """The report of one load, over one or many files.

    Examples
    --------
    >>> r = LoadReport(files=[FileReport(file="a.csv", rows_read=3, kept=2, rejected=1,
    ...                                  rejected_by_reason={"missing_id": 1})])
    >>> (r.rows_read, r.kept + r.repaired + r.rejected)
    (3, 3)
    """

    files: list[FileReport]
    rejected_rows: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"file": pl.String, "line": pl.Int64, "reason": pl.String}))
    #: extra columns that look like personal data, with why (header or values); rows are never dropped for them
    personal_columns: dict[str, str] = field(default_factory=dict)
    #: the personal-data columns left out of the events because the user did not choose to keep them
    dropped_columns: tuple[str, ...] = ()
    #: what came out empty, constant or unread, in words, with what to do (no silent degradation)
    checks: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Every warning of the load: per file (nested data not read …) and over the events (all Direct …)."""
        per_file = [f"{f.file}: {n.removeprefix('WARNING: ')}" for f in self.files for n in f.notes
                    if n.startswith("WARNING: ")]
        return [*per_file, *self.checks]

    @property
    def rows_read(self) -> int:
        """Data rows read over all files."""
        return sum(f.rows_read for f in self.files)

    @property
    def kept(self) -> int:
        """Rows loaded unchanged."""
        return sum(f.kept for f in self.files)

    @property
    def repaired(self) -> int:
        """Rows loaded after a repair."""
        return sum(f.repaired for f in self.files)

    @property
    def rejected(self) -> int:
        """Rows not loaded (including duplicates)."""
        return sum(f.rejected for f in self.files)

    @property
    def detected_format(self) -> str:
        """The export style, or ``mixed`` when files differ."""
        found = {f.format for f in self.files}
        return found.pop() if len(found) == 1 else "mixed"

    @property
    def mapping(self) -> dict[str, str]:
        """The mapping of the first file (see each :class:`FileReport` for the others)."""
        return dict(self.files[0].mapping) if self.files else {}

    def summary(self) -> pl.DataFrame:
        """One row per file: format, encoding, and the row accounting."""
        return pl.DataFrame(
            [{"file": f.file, "format": f.format, "container": f.container, "encoding": f.encoding,
              "delimiter": f.delimiter, "rows_read": f.rows_read, "kept": f.kept, "repaired": f.repaired,
              "rejected": f.rejected, "duplicates": f.duplicates} for f in self.files],
            schema={"file": pl.String, "format": pl.String, "container": pl.String, "encoding": pl.String,
                    "delimiter": pl.String, "rows_read": pl.Int64, "kept": pl.Int64, "repaired": pl.Int64,
                    "rejected": pl.Int64, "duplicates": pl.Int64},
        )

    def personal(self) -> pl.DataFrame:
        """One row per column that looks like personal data: why, and whether it was left out of the events."""
        return pl.DataFrame(
            {"column": list(self.personal_columns), "why": list(self.personal_columns.values()),
             "left_out": [c in self.dropped_columns for c in self.personal_columns]},
            schema={"column": pl.String, "why": pl.String, "left_out": pl.Boolean},
        )

    def mappings(self) -> pl.DataFrame:
        """One row per file and target: which source column feeds which canonical column."""
        rows = [{"file": f.file, "target": t, "column": c} for f in self.files for t, c in f.mapping.items()]
        return pl.DataFrame(rows, schema={"file": pl.String, "target": pl.String, "column": pl.String})

    def reasons(self) -> pl.DataFrame:
        """One row per file and reason: kind (rejected/repaired), count, and the first example."""
        rows = []
        for f in self.files:
            for kind, counts, labels in (("rejected", f.rejected_by_reason, REJECT_REASONS),
                                         ("repaired", f.repaired_by_reason, REPAIR_REASONS)):
                for code, n in counts.items():
                    ex = f.examples.get(code, [])
                    first = ex[0] if ex else None
                    rows.append({"file": f.file, "kind": kind, "reason": labels.get(code, code), "rows": n,
                                 "line": first.line if first else None,
                                 "column": first.column if first else None,
                                 "value": first.value if first else None})
        return pl.DataFrame(rows, schema={"file": pl.String, "kind": pl.String, "reason": pl.String,
                                          "rows": pl.Int64, "line": pl.Int64, "column": pl.String,
                                          "value": pl.String})

    def rejected_rows_csv(self) -> bytes:
        """The rejected rows as UTF-8 CSV, string cells protected against formula injection."""
        return to_safe_csv(self.rejected_rows)


class RejectedShareError(IngestError):
    """Too many rows of a file were rejected; ``report`` holds the full accounting."""

    def __init__(self, message: str, report: LoadReport) -> None:
        super().__init__(message)
        self.report = report


def share_message(f: FileReport, limit: float) -> str:
    """The message for a file whose rejected share passed ``limit``."""
    bad = f.rejected - f.duplicates
    parts = []
    for code, n in sorted(f.rejected_by_reason.items(), key=lambda kv: -kv[1]):
        if code == "duplicate":
            continue
        ex = f.examples.get(code, [])
        where = (f" (first: line {ex[0].line}, column {ex[0].column!r}, value {ex[0].value!r})"
                 if ex else "")
        parts.append(f"{n:,} × {REJECT_REASONS.get(code, code)}{where}")
    return (f"{f.file}: {bad:,} of {f.rows_read:,} rows ({bad / max(f.rows_read, 1):.1%}) cannot be read, "
            f"more than the {limit:.0%} limit: {'; '.join(parts)}. Fix the export or the column mapping, "
            "or raise max_rejected_share to load the rest.")
