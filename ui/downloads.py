"""The one way pages offer a table for download: formula-safe CSV, optionally Parquet beside it, clean names."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analysis.export import safe_filename, to_parquet, to_safe_csv


def table_downloads(label: str, table: pl.DataFrame, stem: str, *, key: str, parquet: bool = False) -> None:
    """Download buttons for ``table``: CSV (cells that a spreadsheet would run as formulas are neutralised) and,
    with ``parquet=True``, Parquet with the exact data for re-analysis. Keys: ``<key>.csv`` / ``<key>.parquet``."""
    name = safe_filename(stem)
    columns = st.columns(2) if parquet else [st.container()]
    columns[0].download_button(f"{label} (CSV)", to_safe_csv(table), file_name=f"{name}.csv", mime="text/csv",
                               on_click="ignore", key=f"{key}.csv", icon=":material/download:",
                               help="Text cells starting with = + - @ are prefixed with ' so spreadsheets show them "
                                    "as text, never run them.")
    if parquet:
        columns[1].download_button(f"{label} (Parquet)", to_parquet(table), file_name=f"{name}.parquet",
                                   mime="application/vnd.apache.parquet", on_click="ignore", key=f"{key}.parquet",
                                   icon=":material/table:", help="Exact values and types, to analyse further.")
