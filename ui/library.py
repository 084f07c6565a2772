"""The local dataset library: loaded datasets kept on this machine, each under an unguessable key.

A dataset the user analyses is written to ``$JOURNEYLENS_HOME/datasets/<key>/`` (default ``~/.journeylens``):
the canonical events as Parquet, its load report and the conversion events chosen for it as JSON. The key
(:func:`new_key`, 128 random bits) is the only way to it: the app never lists the library, so a browser session
sees a dataset only when it loaded it or was given a link that carries the key (``docs/decisions/0008``).
Entries go when the user presses "Forget this data" (:func:`forget`) and after ``$JOURNEYLENS_KEEP_DAYS`` days
without use (:func:`purge_expired`, default 14). Nothing here is ever sent anywhere.

No Streamlit here: the app (``ui.data``) decides when to save and open; this module only stores.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analysis.ingest import Example, FileReport, LoadReport

KEEP_DAYS_ENV = "JOURNEYLENS_KEEP_DAYS"
DEFAULT_KEEP = timedelta(days=14)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16): 128 random bits
_EVENTS, _META, _REJECTED, _PEOPLE = "events.parquet", "meta.json", "rejected.parquet", "people.parquet"


@dataclass(frozen=True)
class Stored:
    """A dataset from the library: its key, name, content digest, events, load report, chosen conversions and the
    people records joined to it (CRM, shop), if any."""

    key: str
    name: str
    digest: str
    events: pl.DataFrame = field(repr=False)
    report: LoadReport | None = None
    conversion_events: tuple[str, ...] | None = None
    people: pl.DataFrame | None = field(default=None, repr=False)


def home() -> Path:
    """JourneyLens' folder on this machine (``$JOURNEYLENS_HOME``, default ``~/.journeylens``)."""
    return Path(os.environ.get("JOURNEYLENS_HOME", Path.home() / ".journeylens"))


def library_dir() -> Path:
    """Where the datasets are kept."""
    return home() / "datasets"


def keep_for() -> timedelta:
    """How long an unused dataset is kept (``$JOURNEYLENS_KEEP_DAYS``, a positive number of days; else 14)."""
    try:
        days = float(os.environ.get(KEEP_DAYS_ENV, ""))
    except ValueError:
        return DEFAULT_KEEP
    return timedelta(days=days) if days > 0 else DEFAULT_KEEP


def new_key() -> str:
    """A fresh, unguessable dataset key (URL-safe, 22 characters)."""
    return secrets.token_urlsafe(16)


def is_key(text: object) -> bool:
    """True for text shaped like a library key (anything else never reaches the file system)."""
    return isinstance(text, str) and KEY_PATTERN.match(text) is not None


def _entry(key: str) -> Path:
    if not is_key(key):
        raise ValueError(f"not a dataset key: {key!r}")
    return library_dir() / key


def save(events: pl.DataFrame, *, name: str, digest: str, report: LoadReport | None = None,
         conversion_events: tuple[str, ...] | None = None, people: pl.DataFrame | None = None,
         now: datetime | None = None) -> str:
    """Keep ``events`` (and the ``people`` records joined to them) under a new key and return the key.

    Written to a temporary folder first and renamed, so a half-written entry is never opened.

    Examples
    --------
    >>> import tempfile
    >>> os.environ["JOURNEYLENS_HOME"] = tempfile.mkdtemp()
    >>> key = save(pl.DataFrame({"event": ["a"]}), name="a.csv", digest="d")
    >>> open_dataset(key).events["event"].to_list()
    ['a']
    """
    key = new_key()
    when = (now or datetime.now(UTC)).isoformat()
    root = library_dir()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = root / f".tmp-{key}"
    tmp.mkdir(mode=0o700)
    try:
        events.write_parquet(tmp / _EVENTS)
        if report is not None:
            report.rejected_rows.write_parquet(tmp / _REJECTED)
        if people is not None:  # already pseudonymised at load (keyed hashes of e-mails and phones)
            people.write_parquet(tmp / _PEOPLE)
        meta = {"name": name, "digest": digest, "created": when, "last_used": when,
                "conversion_events": None if conversion_events is None else list(conversion_events),
                "report": None if report is None else _report_to_json(report)}
        (tmp / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        tmp.rename(root / key)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return key


def open_dataset(key: str, *, now: datetime | None = None) -> Stored | None:
    """The dataset kept under ``key``, or None when the key is malformed, unknown, expired or the entry damaged.

    Opening counts as a use: the entry's keeping time starts again.
    """
    if not is_key(key):
        return None
    folder = _entry(key)
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        now = now or datetime.now(UTC)
        if now - datetime.fromisoformat(meta["last_used"]) > keep_for():
            forget(key)
            return None
        events = pl.read_parquet(folder / _EVENTS)
        rejected = pl.read_parquet(folder / _REJECTED) if (folder / _REJECTED).exists() else None
        people = pl.read_parquet(folder / _PEOPLE) if (folder / _PEOPLE).exists() else None
        report = None if meta.get("report") is None else _report_from_json(meta["report"], rejected)
        conversions = meta.get("conversion_events")
        meta["last_used"] = now.isoformat()
        _write_meta(folder, meta)
        return Stored(key, str(meta["name"]), str(meta["digest"]), events, report,
                      None if conversions is None else tuple(str(c) for c in conversions), people)
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError):
        return None


def set_conversion_events(key: str, conversion_events: tuple[str, ...]) -> None:
    """Remember the conversion events chosen for the dataset under ``key`` (nothing when it is not kept)."""
    if not is_key(key):
        return
    folder = _entry(key)
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    meta["conversion_events"] = list(conversion_events)
    _write_meta(folder, meta)


def forget(key: str) -> bool:
    """Delete the dataset kept under ``key``; True when there was one."""
    if not is_key(key):
        return False
    folder = _entry(key)
    if not folder.exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()


def purge_expired(*, now: datetime | None = None) -> list[str]:
    """Delete every dataset unused for longer than :func:`keep_for`; returns their keys."""
    root = library_dir()
    if not root.is_dir():
        return []
    now = now or datetime.now(UTC)
    gone = []
    for folder in root.iterdir():
        if not is_key(folder.name):
            continue
        try:
            last = datetime.fromisoformat(json.loads((folder / _META).read_text(encoding="utf-8"))["last_used"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or damaged: left for a person to look at
        if now - last > keep_for() and forget(folder.name):
            gone.append(folder.name)
    return gone


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    tmp = folder / f".{_META}.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / _META)


def _report_to_json(report: LoadReport) -> dict[str, Any]:
    return {"files": [asdict(f) for f in report.files], "personal_columns": dict(report.personal_columns),
            "dropped_columns": list(report.dropped_columns)}


def _report_from_json(data: dict[str, Any], rejected: pl.DataFrame | None) -> LoadReport:
    files = []
    for f in data["files"]:
        examples = {reason: [Example(**e) for e in found] for reason, found in f.pop("examples", {}).items()}
        files.append(FileReport(**f, examples=examples))
    extra: dict[str, Any] = {} if rejected is None else {"rejected_rows": rejected}
    return LoadReport(files=files, personal_columns=dict(data.get("personal_columns", {})),
                      dropped_columns=tuple(data.get("dropped_columns", ())), **extra)
