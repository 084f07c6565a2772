"""No silent degradation: say in words when a load leaves a field empty, the same in every row, or unread.

The checks run on the loaded events and the per-file mappings. Each warning names the column, what it means for
the analyses (every event Direct, every conversion worth 0, sessions guessed from time) and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from analysis import schema
from analysis.ingest._formats import normalise
from analysis.ingest._report import FileReport

ACQUISITION = (schema.SOURCE, schema.MEDIUM, schema.CAMPAIGN, schema.REFERRER, schema.CHANNEL)
#: Name parts of a column that holds a money value (normalised; German included).
_VALUE_WORDS = re.compile(r"(^|_)(revenue|value|price|amount|total|umsatz|betrag|wert|bestellwert|preis|"
                          r"conversion_value|order_value|value_in_usd|summe)($|_)")
_FIRST_TOUCH = ("traffic_source_source", "traffic_source_medium", "traffic_source_name")


def degradation_warnings(events: pl.DataFrame, files: Sequence[FileReport]) -> list[str]:
    """Warnings for fields that came out empty or constant, and value columns left unmapped.

    Examples
    --------
    >>> events = pl.DataFrame({"user_id": ["u"], "event": ["buy"], "Bestellwert": ["12,50"]})
    >>> for w in degradation_warnings(events, [FileReport(file="f.csv", mapping={"user_id": "id"})]):
    ...     print(w.split(":")[0])
    No acquisition columns
    No revenue column
    No session ids
    """
    mapped = {t for f in files for t in f.mapping}
    out: list[str] = []
    out += _acquisition(events, mapped)
    out += _revenue(events, files, mapped)
    if schema.SESSION_ID not in mapped:
        out.append("No session ids: the export has none, so sessions are built from a 30-minute gap between a "
                   "person's events (as GA4 and Adobe do). Map a session column under Column mapping if it has one.")
    elif _all_null(events, schema.SESSION_ID):
        out.append("Session ids are empty in every row: sessions are built from a 30-minute gap between a "
                   "person's events instead.")
    return out


def _all_null(events: pl.DataFrame, column: str) -> bool:
    return column not in events.columns or events.height == 0 or events[column].null_count() == events.height


def _acquisition(events: pl.DataFrame, mapped: set[str]) -> list[str]:
    first_touch = [c for c in events.columns if normalise(c) in _FIRST_TOUCH]
    hint = (f" The file has {', '.join(first_touch)}: GA4 fills these with each user's first acquisition, not "
            f"the event's; map them (command line: --map source={first_touch[0]}) if first-touch channels are what you "
            "want.") if first_touch else ""
    given = [t for t in ACQUISITION if t in mapped]
    if not given:
        return ["No acquisition columns: no source, medium, campaign, referrer or channel column was found, so "
                "every event counts as Direct in channels and attribution. Map them under Column mapping "
                "(command line: --map source=<column>) if the export has them." + hint]
    if all(_all_null(events, t) for t in given):
        return [f"Acquisition columns ({', '.join(given)}) are empty in every row, so every event counts as "
                "Direct in channels and attribution. Check the export or map other columns." + hint]
    return []


def _revenue(events: pl.DataFrame, files: Sequence[FileReport], mapped: set[str]) -> list[str]:
    candidates = [c for c in events.columns if c not in schema.CANONICAL_SCHEMA and _VALUE_WORDS.search(normalise(c))
                  and _looks_like_value(events[c])]
    shown = ", ".join(repr(c) for c in candidates[:5])
    suggestion = (f" {shown} hold{'s' if len(candidates) == 1 else ''} numbers that look like a conversion value: "
                  f"map {'it' if len(candidates) == 1 else 'the right one'} under Column mapping (command line: "
                  f"--map revenue={candidates[0]}).") if candidates else (
        " Map the order value under Column mapping (command line: --map revenue=<column>) if the export has one.")
    if schema.REVENUE in mapped:
        rev = events[schema.REVENUE] if schema.REVENUE in events.columns else None
        if rev is None or rev.null_count() == events.height or bool((rev.fill_null(0) == 0).all()):
            cols = sorted({f.mapping[schema.REVENUE] for f in files if schema.REVENUE in f.mapping})
            return [f"Revenue ({', '.join(cols)}) is empty or 0 in every row, so every conversion is worth 0."
                    + suggestion]
        return []
    return ["No revenue column: every conversion is worth 0 in attribution value." + suggestion]


def _looks_like_value(values: pl.Series) -> bool:
    if values.dtype.is_numeric():
        return values.null_count() < values.len()
    if values.dtype != pl.String:
        return False
    sample = values.drop_nulls().head(1000).str.strip_chars().str.replace_all(r"[€$£\s]", "")
    numeric = sample.str.contains(r"^-?\d{1,3}([.,]?\d{3})*([.,]\d+)?$")
    return sample.len() > 0 and int(numeric.sum()) >= 0.9 * sample.len()
