"""How the Data page shows a load report and an events preview: plain headings and values, a dash with its reason.

Only display: the report itself (:class:`analysis.ingest.LoadReport`) keeps its machine-readable columns for the
CLI and downloads.
"""

from __future__ import annotations

import polars as pl

from analysis.formatting import detect_currency
from analysis.ingest import LoadReport
from ui.tables import Col

#: Export styles as a marketer knows them.
FORMAT_NAMES = {"canonical": "JourneyLens events", "ga4": "GA4 (BigQuery export)", "segment": "Segment",
                "mixpanel": "Mixpanel", "snowplow": "Snowplow", "generic": "Other (read by its column names)",
                "mixed": "Several styles"}
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar", " ": "space"}
_CONTAINERS = {"csv": "CSV", "parquet": "Parquet", "json": "JSON", "jsonl": "JSON lines", "gzip": "gzip",
               "zip": "zip"}
_KINDS = {"rejected": "not loaded", "repaired": "loaded after a fix"}

FILE_COLUMNS: dict[str, Col | str] = {
    "file": "File",
    "format": Col("Recognised as", help="The export style the columns were matched to."),
    "container": "File type",
    "encoding": Col("Text encoding", help="– for Parquet and JSON, which carry no text encoding of their own."),
    "delimiter": Col("Column separator", help="– for files that are not CSV."),
    "rows_read": Col("Rows read", "count"),
    "kept": Col("Loaded as is", "count"),
    "repaired": Col("Loaded after a fix", "count", help="See the reasons below."),
    "rejected": Col("Not loaded", "count", help="Duplicates included; see the reasons below."),
    "duplicates": Col("Of which duplicates", "count"),
}
MAPPING_COLUMNS: dict[str, Col | str] = {
    "file": "File", "target": Col("JourneyLens column"), "column": Col("Read from your column")}
REASON_COLUMNS: dict[str, Col | str] = {
    "reason": Col("Why", width="medium"),
    "kind": "What happened",
    "rows": Col("Rows", "count"),
    "file": "File",
    "line": Col("First example: line", "count", help="– when the row has no line number (Parquet, JSON arrays)."),
    "column": Col("Column", help="– when the whole row is concerned."),
    "value": Col("Value", help="– when the cell was empty."),
}
PERSONAL_COLUMNS: dict[str, Col | str] = {
    "column": "Column", "why": Col("Why it looks personal", width="large"),
    "left_out": Col("Left out", "flag", help="Left out of the analysis unless you keep it below.")}
EVENT_COLUMNS: dict[str, Col | str] = {
    "timestamp": Col("Time (UTC)", "datetime"),
    "event": "Event",
    "user_id": Col("Person id", help="– for events before the person logged in (only a device id is known)."),
    "anonymous_id": Col("Device id", help="The anonymous id of the browser or app; – when only a person id is known."),
    "source": Col("Source", help="– when the event has no source (utm_source)."),
    "medium": Col("Medium", help="– when the event has no medium (utm_medium)."),
    "campaign": Col("Campaign", help="– when the event has no campaign (utm_campaign)."),
    "referrer": Col("Referrer", help="– when the event has no referring page."),
    "channel": Col("Channel", help="The channel group; – until the data is prepared for analysis."),
    "revenue": Col("Revenue", "money", help="– for events that carry no value (anything but a purchase, mostly)."),
    "session_id": Col("Session id", help="– when the export has none; sessions are then made by 30 minutes of quiet."),
}


def _named(column: str, names: dict[str, str], *, upper: bool = False) -> pl.Expr:
    col = pl.col(column)
    other = col.str.to_uppercase() if upper else col
    return col.replace_strict(names, default=other, return_dtype=pl.String)


def file_summary(report: LoadReport) -> pl.DataFrame:
    """One row per file with export styles, file types and separators named in words."""
    return report.summary().with_columns(
        _named("format", FORMAT_NAMES), _named("container", _CONTAINERS, upper=True),
        _named("delimiter", _SEPARATORS))


def reasons(report: LoadReport) -> pl.DataFrame:
    """Why rows were not loaded or fixed, the reason first."""
    return report.reasons().with_columns(_named("kind", _KINDS))


def format_name(report: LoadReport) -> str:
    """The detected export style in words ("GA4 (BigQuery export)")."""
    return FORMAT_NAMES.get(report.detected_format, report.detected_format)


def event_columns(events: pl.DataFrame) -> dict[str, Col | str]:
    """The canonical columns present in ``events``, time first (extra columns follow with plain headings)."""
    return {c: spec for c, spec in EVENT_COLUMNS.items() if c in events.columns}


def currency(events: pl.DataFrame, *, sample: bool) -> str | None:
    """The currency revenue is in: the bundled sample's euros, or the one the data names (see
    :func:`analysis.formatting.detect_currency`)."""
    return "EUR" if sample else detect_currency(events)
