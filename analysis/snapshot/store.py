"""Write and read snapshots: ``snapshot.html`` + ``snapshot.json`` + ``tables/*.parquet``, or one zip of them.

A received snapshot is untrusted input: :func:`read_snapshot` accepts only the known file names, table names and
column types, caps sizes, and never uses the received HTML (the app re-renders from the data, escaped).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import polars as pl

from analysis.errors import AnalysisError
from analysis.privacy import SuppressionManifest
from analysis.privacy.noise import NoiseSettings
from analysis.snapshot.build import DEFAULT_MODELS, build_contents, snapshot_funnel
from analysis.snapshot.definitions import definitions_for
from analysis.snapshot.noise import BOUNDED_MODELS
from analysis.snapshot.render import render_html
from analysis.vocabulary import ATTRIBUTION_LOOKBACK, CONVERSION_EVENTS, FUNNEL_WINDOW, MIN_GROUP_SIZE, check_choice

FORMAT = "journeylens-snapshot"
FORMAT_VERSION = 1
HTML_NAME, JSON_NAME, TABLES_DIR = "snapshot.html", "snapshot.json", "tables"
TABLE_NAMES = ("personas", "funnel", "channels", "paths", "attribution")
SECTIONS = TABLE_NAMES
MAX_BYTES = 50 * 1024 * 1024  # a received snapshot (zip members, JSON) larger than this is refused
_DTYPES: dict[str, pl.DataType] = {"String": pl.String(), "Int64": pl.Int64(), "Float64": pl.Float64(),
                                   "Boolean": pl.Boolean()}


@dataclass(frozen=True)
class Snapshot:
    """A snapshot's metadata (title, created, version, dataset hash, k, parameters, definitions, facts), its
    published tables and its suppression manifest; ``html`` is set when written, never when read."""

    metadata: dict[str, Any]
    tables: dict[str, pl.DataFrame]
    manifest: SuppressionManifest
    html: str | None = field(default=None, repr=False)
    path: Path | None = None

    @property
    def min_group_size(self) -> int:
        """The k every published number respects."""
        return int(self.metadata["min_group_size"])

    def render(self) -> str:
        """The snapshot HTML, re-rendered from the data (safe for snapshots received from others)."""
        return render_html(self.metadata, self.tables, self.manifest)


def library_version() -> str:
    """The installed JourneyLens version ("unknown" when running from a source tree without metadata)."""
    try:
        return importlib_metadata.version("journeylens")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def dataset_hash(events: pl.DataFrame) -> str:
    """SHA-256 over the frame's row hashes (order-sensitive); pass the file digest instead when you have it."""
    return hashlib.sha256(events.hash_rows(seed=0).to_numpy().tobytes()).hexdigest()


def _hex_digest(digest: str) -> str:
    """A caller's dataset digest as 64 hex digits (an upload digest may carry its load options after a colon)."""
    if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
        return digest
    return hashlib.sha256(digest.encode("utf-8")).hexdigest()


def _portable(table: pl.DataFrame) -> pl.DataFrame:
    casts: dict[str, type[pl.DataType]] = {}
    for name, dtype in table.schema.items():
        if dtype.is_integer():
            casts[name] = pl.Int64
        elif dtype.is_float():
            casts[name] = pl.Float64
        elif dtype not in (pl.String, pl.Boolean):
            casts[name] = pl.String
    out = table.cast(casts) if casts else table  # type: ignore[arg-type]
    floats = pl.col(pl.Float64)
    return out.with_columns(pl.when(floats.is_finite()).then(floats).otherwise(None).name.keep())


def _check_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    def ok(v: Any) -> bool:
        return v is None or isinstance(v, str | int | float | bool) or (
            isinstance(v, list | tuple) and all(ok(x) for x in v)) or (
            isinstance(v, Mapping) and all(isinstance(k, str) and ok(x) for k, x in v.items()))
    bad = [k for k, v in parameters.items() if not ok(v)]
    if bad:
        raise AnalysisError(f"parameter(s) {', '.join(bad)} must be text, numbers, booleans, or lists or objects "
                            "of them")
    return {str(k): list(v) if isinstance(v, tuple) else v for k, v in parameters.items()}


def _persona_recipe(model: Mapping[str, Any]) -> dict[str, Any]:
    """Persona settings under the names the CLI reads back (``persona_k``, ``seed``) plus the rest, prefixed."""
    if not model:
        return {}
    named = {"persona_k": model.get("k_chosen", model.get("k")), "seed": model.get("seed", 0)}
    return {**named, **{f"persona_{k}": v for k, v in model.items() if k not in ("k", "k_chosen", "seed")}}


def write_snapshot(
    events: pl.DataFrame,
    out_dir: str | Path,
    *,
    personas: Any = None,
    min_group_size: int = MIN_GROUP_SIZE,
    title: str = "Persona snapshot",
    parameters: Mapping[str, Any] | None = None,
    sections: Sequence[str] = SECTIONS,
    funnel_steps: Sequence[str] | None = None,
    window: timedelta = FUNNEL_WINDOW,
    conversion_events: Sequence[str] = CONVERSION_EVENTS,
    models: Sequence[str] = DEFAULT_MODELS,
    lookback: timedelta = ATTRIBUTION_LOOKBACK,
    digest: str | None = None,
    created: datetime | None = None,
    noise: NoiseSettings | None = None,
    group_by: str | None = None,
) -> Snapshot:
    """Build a privacy-gated snapshot of prepared ``events`` and write it into ``out_dir``.

    Writes ``snapshot.html`` (self-contained, offline, strict CSP), ``snapshot.json`` (metadata, definitions,
    parameters, manifest and every table) and ``tables/<name>.parquet``. ``personas`` is a fitted ``Personas``
    model, a ``user_id``/``persona`` frame, or None (one group); or ``group_by`` names a people attribute whose
    values are the groups (k-suppressed like any group). Every published number describes at least
    ``min_group_size`` people (see :mod:`analysis.privacy`); ``noise`` adds differential privacy to every count
    and sum (its epsilon and what it protects are written into the snapshot). ``parameters`` are extra settings
    recorded verbatim (date range, persona k, seed ...); ``digest`` the dataset's file digest (default: a hash
    of the frame).

    Examples
    --------
    >>> import tempfile
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     snap = write_snapshot(prepare(generate_sample(300, seed=1).events), folder)
    >>> sorted(snap.tables)[:2], snap.min_group_size
    (['attribution', 'channels'], 10)
    """
    for section in sections:
        check_choice("section", section, SECTIONS)
    if min_group_size < 2:
        raise AnalysisError(f"min_group_size={min_group_size} is too small for a shared snapshot; use 2 or more")
    funnel_steps = snapshot_funnel(events, funnel_steps=funnel_steps, conversion_events=conversion_events)
    contents = build_contents(events, personas=personas, min_group_size=min_group_size, funnel_steps=funnel_steps,
                              window=window, conversion_events=conversion_events, models=models,
                              lookback=lookback, sections=sections, noise=noise, group_by=group_by)
    neutral: dict[str, str] = contents.facts.get("event_labels", {})  # type: ignore[assignment]
    recorded = {
        "min_group_size": min_group_size, "sections": list(sections),
        "funnel_steps": [neutral.get(e, e) for e in funnel_steps],
        "funnel_window_days": window / timedelta(days=1), "funnel_mode": "ordered",
        "conversion_events": [neutral.get(e, e) for e in conversion_events], "attribution_models": list(models),
        "attribution_lookback_days": lookback / timedelta(days=1),
        **_persona_recipe(contents.facts["persona_model"]),  # type: ignore[arg-type]
        **({"group_by": group_by} if group_by is not None else {}),
        **_check_parameters(parameters or {}),
    }
    when = (created or datetime.now(UTC)).astimezone(UTC)
    meta: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "title": title,
        "created": when.strftime("%Y-%m-%d %H:%M UTC"), "version": library_version(),
        "dataset_hash": _hex_digest(digest) if digest else dataset_hash(events), "min_group_size": min_group_size,
        "parameters": recorded, "definitions": definitions_for(contents.tables, contents.facts),
        "facts": {"people": contents.facts["people"], "total_conversions": contents.facts["total_conversions"],
                  "period": contents.facts["period"], "privacy_audit": contents.facts["audit"]},
    }
    if "differential_privacy" in contents.facts:
        meta["differential_privacy"] = contents.facts["differential_privacy"]
        recorded["attribution_models"] = [m for m in models if m in BOUNDED_MODELS]
        recorded["noise_epsilon"] = noise.epsilon if noise is not None else None
    return save_snapshot(Snapshot(meta, contents.tables, contents.manifest), out_dir)


def save_snapshot(snapshot: Snapshot, out_dir: str | Path) -> Snapshot:
    """Write an already privacy-gated :class:`Snapshot` (from :func:`write_snapshot` or :func:`read_snapshot`)
    as ``snapshot.html``, ``snapshot.json`` and ``tables/*.parquet``; returns it with its HTML and path.

    It does not gate: tables from anywhere else must pass :mod:`analysis.privacy` first.
    """
    for name in sorted(snapshot.tables):
        check_choice("snapshot table", name, TABLE_NAMES)
    tables = {name: _portable(snapshot.tables[name]) for name in TABLE_NAMES if name in snapshot.tables}
    ready = Snapshot(dict(snapshot.metadata), tables, snapshot.manifest)
    html = ready.render()
    out = Path(out_dir)
    (out / TABLES_DIR).mkdir(parents=True, exist_ok=True)
    (out / HTML_NAME).write_text(html, encoding="utf-8")
    (out / JSON_NAME).write_text(json.dumps(_to_json(ready), ensure_ascii=False, allow_nan=False, indent=1),
                                 encoding="utf-8")
    for name, table in tables.items():
        table.write_parquet(out / TABLES_DIR / f"{name}.parquet")
    return Snapshot(ready.metadata, tables, ready.manifest, html, out)


def _to_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        **snapshot.metadata,
        "manifest": snapshot.manifest.to_dict(),
        "tables": {name: {"schema": {c: str(t) for c, t in table.schema.items()},
                          "columns": table.to_dict(as_series=False)}
                   for name, table in snapshot.tables.items()},
    }


def _table_from_json(name: str, raw: Mapping[str, Any]) -> pl.DataFrame:
    schema = raw.get("schema", {})
    bad = {c: t for c, t in schema.items() if t not in _DTYPES}
    if bad:
        raise AnalysisError(f"table {name!r} has column types {bad}; valid: {', '.join(_DTYPES)}")
    return pl.DataFrame(raw.get("columns", {}), schema={c: _DTYPES[t] for c, t in schema.items()}, strict=True)


def snapshot_from_json(data: bytes | str) -> Snapshot:
    """Parse ``snapshot.json`` (bytes or text) into a :class:`Snapshot`, validating format and tables."""
    if len(data) > MAX_BYTES:
        raise AnalysisError(f"snapshot.json is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"snapshot.json is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise AnalysisError(f"this is not a JourneyLens snapshot (expected \"format\": \"{FORMAT}\")")
    if int(raw.get("format_version", 0)) > FORMAT_VERSION:
        raise AnalysisError(f"snapshot format {raw.get('format_version')} is newer than this JourneyLens reads "
                            f"({FORMAT_VERSION}); update JourneyLens")
    tables_raw = raw.pop("tables", {})
    for name in sorted(tables_raw):
        check_choice("snapshot table", name, TABLE_NAMES)
    tables = {name: _table_from_json(name, tables_raw[name]) for name in TABLE_NAMES if name in tables_raw}
    manifest = SuppressionManifest.from_dict(raw.pop("manifest", {"min_group_size": raw["min_group_size"]}))
    return Snapshot(raw, tables, manifest)


def snapshot_zip(snapshot_dir: str | Path) -> bytes:
    """The HTML, JSON and Parquet files of a written snapshot as one zip (what the page offers to download)."""
    root = Path(snapshot_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in [root / HTML_NAME, root / JSON_NAME, *sorted((root / TABLES_DIR).glob("*.parquet"))]:
            archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def _from_zip(data: bytes) -> Snapshot:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            info = archive.getinfo(JSON_NAME)
        except KeyError as exc:
            raise AnalysisError(f"the zip holds no {JSON_NAME}; is it a JourneyLens snapshot?") from exc
        if info.file_size > MAX_BYTES:
            raise AnalysisError(f"{JSON_NAME} unpacks to {info.file_size:,} bytes; the limit is {MAX_BYTES:,}")
        return snapshot_from_json(archive.read(info))


def read_snapshot(path: str | Path | bytes) -> Snapshot:
    """Read a snapshot: its folder, its ``snapshot.json``, its zip, or the bytes of either (an upload).

    Tables come from the JSON (Parquet files are the same tables for other tools). The HTML is not read:
    :meth:`Snapshot.render` rebuilds it from the data.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_snapshot(prepare(generate_sample(300, seed=1).events), folder)
    ...     read_snapshot(folder).tables["personas"].equals(written.tables["personas"])
    True
    """
    if isinstance(path, bytes | bytearray):
        data = bytes(path)
        return _from_zip(data) if data[:4] == b"PK\x03\x04" else snapshot_from_json(data)
    target = Path(path)
    if target.is_dir():
        target = target / JSON_NAME
    if not target.exists():
        raise AnalysisError(f"{target} does not exist; pass a snapshot folder, its {JSON_NAME} or its zip")
    if target.stat().st_size > MAX_BYTES:
        raise AnalysisError(f"{target} is {target.stat().st_size:,} bytes; the limit is {MAX_BYTES:,}")
    data = target.read_bytes()
    snap = _from_zip(data) if data[:4] == b"PK\x03\x04" else snapshot_from_json(data)
    return Snapshot(snap.metadata, snap.tables, snap.manifest, None, target.parent)
