"""Recipes: what it takes to redo an analysis on the same data, as one small JSON file.

A recipe names the data (its content hash), how it was read (column mapping, time zone), the analysis settings,
the seed and the JourneyLens version. Its ``parameters`` use the same names as the ``parameters`` a snapshot
records (``funnel_steps``, ``funnel_window_days``, ``funnel_mode``, ``conversion_events``,
``attribution_models``, ``attribution_lookback_days``, ``min_group_size`` …), so a snapshot's ``snapshot.json``
is also read as a recipe. The CLI takes ``--recipe`` and can write one with ``--write-recipe``.

Example file::

    {"format": "journeylens-recipe", "format_version": 1, "version": "0.1.0",
     "dataset_hash": "3b1f…", "mapping": {"user_id": "customer"}, "timezone": "Europe/Berlin", "seed": 0,
     "parameters": {"session_gap_minutes": 30, "funnel_steps": ["view_item", "purchase"]}}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.errors import AnalysisError

FORMAT = "journeylens-recipe"
FORMAT_VERSION = 1
SNAPSHOT_FORMAT = "journeylens-snapshot"
MAX_BYTES = 1_000_000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Recipe:
    """Data identity, reading options, analysis parameters, seed and version (see the module docstring)."""

    dataset_hash: str | None = None
    mapping: dict[str, str | None] | None = None
    timezone: str = "UTC"
    seed: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    version: str = "unknown"

    def get(self, name: str, default: Any = None) -> Any:
        """A parameter's value, or ``default`` when the recipe does not set it."""
        value = self.parameters.get(name)
        return default if value is None else value

    def to_dict(self) -> dict[str, Any]:
        """The recipe as JSON-ready data."""
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "version": self.version,
                "dataset_hash": self.dataset_hash, "mapping": self.mapping, "timezone": self.timezone,
                "seed": self.seed, "parameters": self.parameters}


def recipe_from_dict(raw: Mapping[str, Any], *, where: str = "recipe") -> Recipe:
    """Validate parsed JSON (a recipe, or a snapshot's metadata) into a :class:`Recipe`.

    Examples
    --------
    >>> recipe_from_dict({"format": "journeylens-recipe", "parameters": {"funnel_steps": ["a", "b"]}}).get(
    ...     "funnel_steps")
    ['a', 'b']
    """
    kind = raw.get("format")
    if kind not in (FORMAT, SNAPSHOT_FORMAT):
        raise AnalysisError(f"{where} is not a JourneyLens recipe: \"format\" is {kind!r}, expected {FORMAT!r} "
                            f"(or {SNAPSHOT_FORMAT!r} for a snapshot.json)")
    if kind == FORMAT and int(raw.get("format_version", 0)) > FORMAT_VERSION:
        raise AnalysisError(f"{where} has recipe format {raw.get('format_version')}, newer than this JourneyLens "
                            f"reads ({FORMAT_VERSION}); update JourneyLens")
    parameters = raw.get("parameters") or {}
    mapping = raw.get("mapping")
    if not isinstance(parameters, dict):
        raise AnalysisError(f"{where}: \"parameters\" must be an object, got {type(parameters).__name__}")
    if mapping is not None and not (isinstance(mapping, dict) and all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in mapping.items())):
        raise AnalysisError(f"{where}: \"mapping\" must map canonical column names to input column names")
    seed = raw.get("seed", parameters.get("seed", 0))
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise AnalysisError(f"{where}: \"seed\" must be a whole number, got {seed!r}")
    timezone = raw.get("timezone", "UTC")
    if not isinstance(timezone, str):
        raise AnalysisError(f"{where}: \"timezone\" must be an IANA zone name such as \"Europe/Berlin\"")
    return Recipe(dataset_hash=raw.get("dataset_hash"), mapping=mapping, timezone=timezone, seed=seed,
                  parameters=dict(parameters), version=str(raw.get("version", "unknown")))


def read_recipe(path: str | Path) -> Recipe:
    """Read a recipe (or a snapshot's ``snapshot.json``) from ``path``."""
    path = Path(path)
    if not path.is_file():
        raise AnalysisError(f"recipe {path} does not exist")
    data = path.read_bytes()
    if len(data) > MAX_BYTES and path.name != "snapshot.json":
        raise AnalysisError(f"recipe {path} is {len(data):,} bytes; a recipe is at most {MAX_BYTES:,}")
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"recipe {path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise AnalysisError(f"recipe {path} must hold a JSON object")
    return recipe_from_dict(raw, where=f"recipe {path}")


def write_recipe(recipe: Recipe, path: str | Path) -> Path:
    """Write ``recipe`` as JSON to ``path`` and return the path."""
    path = Path(path)
    path.write_text(json.dumps(recipe.to_dict(), indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def file_digest(source: str | Path) -> str:
    """SHA-256 of a file's bytes (as the app hashes uploads), or of a folder's data files in name order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_bytes(b"a")
    >>> file_digest(p)[:12]
    'ca978112ca1b'
    """
    path = Path(source)
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(("_", "."))) \
        if path.is_dir() else [path]
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()
