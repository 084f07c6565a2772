from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from analysis.ingest._canonical import REASON, REPAIR, to_canonical
from analysis.ingest._limits import Limits
from analysis.schema import CANONICAL_SCHEMA

MAPPING = {"user_id": "kunde", "timestamp": "zeit", "event": "was", "revenue": "umsatz"}


def typed(raw: pl.DataFrame, **kw: object) -> pl.DataFrame:
    options: dict[str, object] = {"name": "f", "fmt": "generic", "timezone": "UTC", "date_order": None,
                                  "decimal": None, "limits": Limits(), **kw}
    return to_canonical(raw, MAPPING, **options).frame  # type: ignore[arg-type]


def test_every_canonical_column_with_its_type_plus_extras() -> None:
    raw = pl.DataFrame({"kunde": [" 007 "], "zeit": ["2025-01-01 10:00:00"], "was": ["kauf"],
                        "umsatz": ["1,5"], "notiz": [" frei "]})
    out = typed(raw)
    assert {k: out.schema[k] for k in CANONICAL_SCHEMA} == CANONICAL_SCHEMA
    assert out.row(0, named=True) == {
        "user_id": "007", "anonymous_id": None, "timestamp": datetime(2025, 1, 1, 10, tzinfo=UTC),
        "event": "kauf", "source": None, "medium": None, "campaign": None, "referrer": None, "channel": None,
        "revenue": 1.5, "session_id": None, "notiz": " frei ", REASON: None, REPAIR: None}


def test_first_failing_check_names_the_reason() -> None:
    raw = pl.DataFrame({"kunde": ["a", None, "c", "d", "e"],
                        "zeit": ["2025-01-01", "2025-01-01", None, "nope", "2025-01-01"],
                        "was": ["x", "x", "x", "x", None], "umsatz": [None, None, None, None, "2"]})
    assert typed(raw)[REASON].to_list() == [None, "missing_id", "missing_timestamp", "bad_timestamp", "missing_event"]


def test_bad_revenue_is_a_reason_and_blank_revenue_is_not() -> None:
    raw = pl.DataFrame({"kunde": ["a", "b"], "zeit": ["2025-01-01"] * 2, "was": ["x"] * 2, "umsatz": ["zwei", None]})
    assert typed(raw)[REASON].to_list() == ["bad_revenue", None]


def test_control_characters_flag_a_repair_only_in_named_columns() -> None:
    raw = pl.DataFrame({"kunde": ["a\x00", "b"], "zeit": ["2025-01-01"] * 2, "was": ["x"] * 2, "umsatz": [None, None]})
    out = typed(raw)
    assert (out["user_id"].to_list(), out[REPAIR].to_list()) == (["a", "b"], ["control_chars", None])
    assert typed(raw, control_columns=())[REPAIR].to_list() == [None, None]
