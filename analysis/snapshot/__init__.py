"""Shareable, privacy-safe persona snapshots: one offline HTML file plus its data (JSON and Parquet).

- ``people``: per-person facts and the person -> persona frame (from a fitted model or a frame).
- ``contents`` / ``build``: the published tables, each passed through :mod:`analysis.privacy`.
- ``figures`` / ``render``: Plotly figures and the self-contained HTML with a strict CSP.
- ``store``: :func:`write_snapshot`, :func:`read_snapshot`, :func:`save_snapshot`, :func:`snapshot_zip`.
"""

from __future__ import annotations

from analysis.snapshot.build import DEFAULT_MODELS, build_contents
from analysis.snapshot.render import content_security_policy, render_html
from analysis.snapshot.store import (
    HTML_NAME,
    JSON_NAME,
    SECTIONS,
    Snapshot,
    dataset_hash,
    read_snapshot,
    save_snapshot,
    snapshot_from_json,
    snapshot_zip,
    write_snapshot,
)

__all__ = [
    "DEFAULT_MODELS",
    "HTML_NAME",
    "JSON_NAME",
    "SECTIONS",
    "Snapshot",
    "build_contents",
    "content_security_policy",
    "dataset_hash",
    "read_snapshot",
    "render_html",
    "save_snapshot",
    "snapshot_from_json",
    "snapshot_zip",
    "write_snapshot",
]
