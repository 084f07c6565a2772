"""Streamlit side of loading files: uploads hashed once, parsing cached by digest and options, mapping state.

The page reads widgets and calls these helpers; every frame stays out of cache keys (the key is the SHA-256 of
the uploaded bytes plus the load options).
"""

from __future__ import annotations

import hashlib
import json
import os
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl
import streamlit as st

from analysis.errors import IngestError
from analysis.ingest import Limits, LoadReport, LoadResult, RejectedShareError, load_events, peek_columns
from analysis.ingest.limits import APP_SETTINGS, DEFAULT_LIMITS, size_text
from analysis.ingest.mapping import TARGETS, mapping_overview
from analysis.ingest.names import display_name
from analysis.privacy.text import escape_markdown
from ui.data import set_active_dataset

UPLOADER = "data.uploads"
_UPLOADER_GENERATION = "data.uploader_generation"


def uploader_key() -> str:
    """The file uploader's key; a new one after each activation, so the old widget and its bytes are dropped."""
    generation = int(st.session_state.get(_UPLOADER_GENERATION, 0))
    return UPLOADER if generation == 0 else f"{UPLOADER}.{generation}"


def release_uploads() -> None:
    """Let go of the uploaded bytes once they are parsed and active (the next run shows an empty uploader)."""
    st.session_state[_UPLOADER_GENERATION] = int(st.session_state.get(_UPLOADER_GENERATION, 0)) + 1


def activate(uploads: Sequence[Upload], options: LoadOptions, result: LoadResult) -> None:
    """Make the parsed uploads the session's dataset and empty the uploader.

    A button callback, so it runs before the next script run and needs no ``st.rerun()``: a rerun requested by
    the page would replace a page switch the user clicked in the meantime and take them back to the Data page.
    """
    set_active_dataset(dataset_name(uploads), f"{uploads_digest(uploads)}:{options.key()}", result.events,
                       result.report)
    release_uploads()
DIGESTS = "data.upload_digests"  # file_id -> sha256, so a file is hashed once per session
MAPPING_PREFIX = "data.mapping."
DETECTED = "(detected)"
UNMAPPED = "(not mapped)"


class UploadedFileLike(Protocol):
    """What the page needs from ``st.file_uploader``'s files."""

    name: str

    def getvalue(self) -> bytes: ...


@dataclass(frozen=True)
class Upload:
    """One uploaded file: display-safe name, bytes, and their SHA-256."""

    name: str
    data: bytes = field(repr=False)
    digest: str


@dataclass(frozen=True)
class Loaded:
    """The outcome of loading uploads: a result, or an error message (with a report when rows were counted)."""

    result: LoadResult | None
    error: str | None = None
    report: LoadReport | None = None


@dataclass(frozen=True)
class LoadOptions:
    """The user's load options; part of the cache key."""

    timezone: str = "UTC"
    date_order: str | None = None
    decimal: str | None = None
    max_rejected_share: float = 0.05
    member: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)
    keep_personal: tuple[str, ...] = ()  # personal-data columns the user chose to keep

    def key(self) -> str:
        """A stable text of the options for cache keys."""
        return json.dumps(self.__dict__, sort_keys=True)


def ingest_limits(environ: dict[str, str] | None = None) -> Limits:
    """The ceiling of one uploaded file: JOURNEYLENS_MAX_DECODED_MB and JOURNEYLENS_MAX_ROWS, else the defaults.

    A value that is not a positive whole number is ignored (the default holds).
    """
    env = os.environ if environ is None else environ
    values: dict[str, int] = {}
    for field_name, scale in (("max_bytes", 1024**2), ("max_rows", 1)):
        raw = env.get(APP_SETTINGS[field_name], "").replace("_", "").strip()
        if raw.isdigit() and int(raw) > 0:
            values[field_name] = int(raw) * scale
    return Limits(**values) if values else DEFAULT_LIMITS  # type: ignore[arg-type]


def ceiling_text(limits: Limits) -> str:
    """The ceiling as the Data page states it, under the uploader."""
    typical = " (about 13 million events of a typical export)" if limits == DEFAULT_LIMITS else ""
    return (f"Per file: up to {limits.max_rows:,} rows and {size_text(limits.max_bytes)} of data once unpacked"
            f"{typical}. Split larger exports by date.")


CEILING_HELP = (f"The ceiling keeps one upload from using all of the server's memory. Whoever runs the app sets it "
                f"with {APP_SETTINGS['max_rows']} and {APP_SETTINGS['max_bytes']} (megabytes).")


def read_uploads(files: Sequence[UploadedFileLike] | None) -> list[Upload]:
    """Turn uploaded files into :class:`Upload` s, hashing each file only once per session."""
    if not files:
        return []
    digests: dict[str, str] = st.session_state.setdefault(DIGESTS, {})
    out = []
    for f in files:
        data = f.getvalue()
        file_id = str(getattr(f, "file_id", "")) or None
        digest = digests.get(file_id) if file_id else None
        if digest is None:
            digest = hashlib.sha256(data).hexdigest()
            if file_id:
                digests[file_id] = digest
        out.append(Upload(name=display_name(f.name), data=data, digest=digest))
    return out


def uploads_digest(uploads: Sequence[Upload]) -> str:
    """One digest for a set of uploads (order-sensitive, as the report lists files in order)."""
    h = hashlib.sha256()
    for u in uploads:
        h.update(u.digest.encode())
        h.update(u.name.encode())
    return h.hexdigest()


def dataset_name(uploads: Sequence[Upload]) -> str:
    """A short name for the uploaded dataset."""
    if len(uploads) == 1:
        return uploads[0].name
    shown = ", ".join(u.name for u in uploads[:3])
    return f"{len(uploads)} files: {shown}" + (" …" if len(uploads) > 3 else "")


@st.cache_resource(max_entries=4, scope="session", show_spinner=False)
def _load(key: str, _uploads: tuple[Upload, ...], _options: LoadOptions) -> Loaded:
    try:
        result = load_events(
            [(u.name, u.data) for u in _uploads], mapping=_options.mapping or None, timezone=_options.timezone,
            date_order=_options.date_order,  # type: ignore[arg-type]
            decimal=_options.decimal,  # type: ignore[arg-type]
            max_rejected_share=_options.max_rejected_share, member=_options.member,
            keep_personal=_options.keep_personal, limits=ingest_limits(),
            sort=False,  # prepare sorts once, by person and time
        )
    except RejectedShareError as exc:
        return Loaded(result=None, error=str(exc), report=exc.report)
    except IngestError as exc:
        return Loaded(result=None, error=str(exc))
    return Loaded(result=result)


def load_uploads(uploads: Sequence[Upload], options: LoadOptions) -> Loaded:
    """Load uploads through the session cache keyed by their digests and the options (never by a frame)."""
    key = f"{uploads_digest(uploads)}:{options.key()}"
    total = sum(len(u.data) for u in uploads)
    with st.status(f"Reading {len(uploads)} file(s), {total / 1024**2:,.1f} MB…", expanded=False) as status:
        loaded = _load(key, tuple(uploads), options)
        status.update(label="Files read" if loaded.result else "Files could not be loaded",
                      state="complete" if loaded.result else "error")
    return loaded


@st.cache_resource(max_entries=8, scope="session", show_spinner=False)
def _columns(key: str, _uploads: tuple[Upload, ...], member: str | None) -> list[str]:
    try:
        found = peek_columns([(u.name, u.data) for u in _uploads], member=member, limits=ingest_limits())
    except IngestError:
        return []
    seen: dict[str, None] = {}
    for cols in found.values():
        seen.update(dict.fromkeys(cols))
    return list(seen)


def source_columns(uploads: Sequence[Upload], member: str | None = None) -> list[str]:
    """All column names over the uploads, in file order (for the mapping editor)."""
    return _columns(uploads_digest(uploads), tuple(uploads), member)


KEEP_PERSONAL = "data.keep_personal"


def kept_personal_columns() -> tuple[str, ...]:
    """The personal-data columns the user chose to keep (empty: leave them all out)."""
    return tuple(st.session_state.get(KEEP_PERSONAL, ()))


def mapping_choice_label(choice: str) -> str:
    """How a mapping option reads. The labels never change between runs: a label that followed the detection
    ("detected: nothing" after a failed load) came back from the browser as a value and was sent as a column name."""
    return {DETECTED: "(as detected)", UNMAPPED: "(not mapped)"}.get(choice, choice)


def mapping_key(target: str) -> str:
    """Session-state key of the mapping selectbox for ``target``."""
    return f"{MAPPING_PREFIX}{target}"


def mapping_overrides(columns: Sequence[str]) -> dict[str, str | None]:
    """The user's mapping choices: a column of the files, ``None`` to unmap; detection everywhere else.

    A stored value that is not one of ``columns`` (a placeholder, or a column of files no longer uploaded) is never
    passed on as a column name: that target keeps the detection.
    """
    known = set(columns)
    out: dict[str, str | None] = {}
    for target in TARGETS:
        value: Any = st.session_state.get(mapping_key(target), DETECTED)
        if value == UNMAPPED:
            out[target] = None
        elif isinstance(value, str) and value in known:
            out[target] = value
    return out


def mapping_summary(columns: Sequence[str], overrides: dict[str, str | None], report: LoadReport | None) -> Any:
    """The whole resulting mapping (one row per target: column, chosen or detected), for the page to show at once."""
    fmt = report.files[0].format if report is not None and report.files else None
    return mapping_overview(columns, overrides, fmt=fmt).with_columns(pl.col("column").fill_null("–"))


def warnings_markdown(warnings: Sequence[str]) -> str:
    """The load warnings as one Markdown list; their column names come from the file, so they are escaped."""
    return "\n".join(f"- {escape_markdown(w)}" for w in warnings)


def table_height(rows: int) -> int:
    """Pixels that show ``rows`` table rows and the header without an inner scroll bar."""
    return 38 + 35 * rows


def reset_mapping() -> None:
    """Forget the user's mapping and personal-data choices (a new set of files)."""
    for target in TARGETS:
        st.session_state.pop(mapping_key(target), None)
    st.session_state.pop(KEEP_PERSONAL, None)


def preview(events: Any, rows: int = 200) -> Any:
    """The first ``rows`` events for a table preview (a new frame; the cached one is never touched)."""
    return events.head(rows)


def default_timezone() -> str:
    """The browser's time zone when Streamlit knows it, else UTC (the user confirms it on the page)."""
    tz = getattr(st.context, "timezone", None)
    return tz if isinstance(tz, str) and tz in all_timezones() else "UTC"


@st.cache_resource(max_entries=1, show_spinner=False)
def all_timezones() -> list[str]:
    """IANA time zone names, UTC first."""
    return ["UTC", *sorted(z for z in zoneinfo.available_timezones() if z != "UTC")]
