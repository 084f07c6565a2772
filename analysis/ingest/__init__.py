"""Bring event exports into the canonical schema: sniffing, format detection, mapping, typing, report."""

from __future__ import annotations

from analysis.ingest.limits import Limits
from analysis.ingest.load import LoadResult, Source, load_events, peek_columns
from analysis.ingest.report import FileReport, LoadReport, RejectedShareError

__all__ = ["FileReport", "Limits", "LoadReport", "LoadResult", "RejectedShareError", "Source", "load_events",
           "peek_columns"]
