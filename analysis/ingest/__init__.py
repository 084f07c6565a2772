"""Bring event and people exports into the canonical schema: sniffing, format detection, mapping, typing, report.

Everything a caller needs is exported here: loading (:func:`load_events`, :func:`load_people`, :func:`peek_columns`,
:func:`file_kind`), the report (:class:`LoadReport`), the limits the app shows, the mapping targets and the bundled
example files. The modules behind it are ``_``-prefixed: they are the package's own and change without notice.

Examples
--------
>>> from analysis.ingest import EXAMPLES, load_events
>>> load_events(("mixpanel_export.csv", EXAMPLES["mixpanel_export.csv"]())).report.detected_format
'mixpanel'
"""

from __future__ import annotations

from analysis.ingest._examples import EXAMPLES
from analysis.ingest._files import Source
from analysis.ingest._limits import APP_SETTINGS, DEFAULT_LIMITS, Limits, size_text
from analysis.ingest._load import LoadResult, load_events, peek_columns
from analysis.ingest._mapping import TARGETS, mapping_overview
from analysis.ingest._names import display_name
from analysis.ingest._people import FileKind, file_kind, load_people
from analysis.ingest._report import Example, FileReport, LoadReport, RejectedShareError
from analysis.ingest._vendors.snowplow import COLUMNS as SNOWPLOW_COLUMNS

__all__ = ["APP_SETTINGS", "DEFAULT_LIMITS", "EXAMPLES", "SNOWPLOW_COLUMNS", "TARGETS", "Example", "FileKind",
           "FileReport", "Limits", "LoadReport", "LoadResult", "RejectedShareError", "Source", "display_name",
           "file_kind", "load_events", "load_people", "mapping_overview", "peek_columns", "size_text"]
