"""Share links and recipes: a view's state lives in the URL (``st.query_params``) and can be downloaded as a recipe.

URL layout (all values are text):

- ``ds`` — the dataset: the key of an uploaded dataset in the local library (``ui.library``; unguessable, so
  only people given the link reopen it), or the first 12 hex digits of the bundled/start-up dataset's digest. A
  link whose data is not on this server says so (``ui.data.missing_link``) and offers an upload.
- ``from`` / ``to`` — the sidebar date range (ISO dates), absent when it is the whole dataset.
- ``conv`` — the dataset's conversion events (JSON list) once chosen on the Data page.
- ``<page>.<key>`` — a page's own settings as JSON (the session-state key is the parameter name), or
- ``state`` — a content hash (SHA-256, 20 hex digits) under which the page's settings are stored as JSON in
  ``$JOURNEYLENS_HOME/shared-views/`` (default ``~/.journeylens``) when they would make the URL longer than
  :data:`INLINE_LIMIT`. Only settings are stored, never data or ids.

How a page uses it (see ``app_pages/snapshots.py``)::

    share.restore_page(KEYS, choices={"funnels.funnel_steps": event_names})   # before the widgets
    ... widgets with key=... ...
    share.publish_page(KEYS)                                           # after the widgets
    share.recipe_button("funnels", KEYS)                               # optional: download the recipe

The sidebar calls :func:`restore_date_range` / :func:`publish_date_range` around its date input.

Settings last for the whole browser session: Streamlit drops a widget's value when its page is not shown, so
:func:`keep_alive` (called by ``app.py`` on every run) re-assigns every setting a page registered through
:func:`restore_page`, and switching pages never resets them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from analysis.cli.recipe import Recipe
from ui import state
from ui.data import active_dataset, event_names, missing_link
from ui.view import current_view

Q_DATASET, Q_FROM, Q_TO, Q_STATE, Q_CONVERSIONS = "ds", "from", "to", "state", "conv"
INLINE_LIMIT = 1_500  # characters of page settings kept in the URL itself
MISMATCH = state.LINK_FOR_OTHER_DATA  # True when the opened link was made for another dataset
_RESTORED = "share.restored"  # set of page names whose link state was applied this session
_KEY_PATTERN = re.compile(r"^[0-9a-f]{20}$")


# --- encoding ----------------------------------------------------------------------------------------------------

def _to_json(value: Any) -> Any:
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} into a share link")


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "$date" in value:
            return date.fromisoformat(str(value["$date"]))
        if "$tuple" in value and isinstance(value["$tuple"], list):
            return tuple(_from_json(v) for v in value["$tuple"])
        return {str(k): _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def encode_value(value: Any) -> str:
    """A setting as compact JSON text (dates and tuples tagged so they come back as themselves)."""
    return json.dumps(_to_json(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def decode_value(text: str) -> Any:
    """The inverse of :func:`encode_value`; raises ValueError on anything else."""
    try:
        return _from_json(json.loads(text))
    except (TypeError, AttributeError) as exc:
        raise ValueError(f"not a share-link value: {exc}") from exc


def share_dir() -> Path:
    """Where settings too long for a URL are kept, under their content hash."""
    return Path(os.environ.get("JOURNEYLENS_HOME", Path.home() / ".journeylens")) / "shared-views"


def store_state(values: Mapping[str, Any]) -> str:
    """Store page settings under their content hash and return the hash (same settings, same hash)."""
    text = encode_value(dict(values))
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    path = share_dir() / f"{key}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return key


def load_state(key: str) -> dict[str, Any] | None:
    """Settings stored under ``key``, or None when the key is malformed, unknown here, or the file is damaged."""
    if not _KEY_PATTERN.match(key):
        return None
    path = share_dir() / f"{key}.json"
    try:
        values = decode_value(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return values if isinstance(values, dict) else None


# --- dataset and date range (sidebar) -----------------------------------------------------------------------------

def _digest_prefix() -> str:
    return active_dataset().link_key


def link_matches_dataset() -> bool:
    """True when the URL carries no dataset key or the active dataset's."""
    ds = st.query_params.get(Q_DATASET)
    return ds is None or ds == _digest_prefix()


def _restore_once(page: str) -> bool:
    done: set[str] = st.session_state.setdefault(_RESTORED, set())
    if page in done:
        return False
    done.add(page)
    return True


def restore_date_range(lo: date, hi: date) -> None:
    """Before the sidebar's date input: apply ``from``/``to`` of an opened link once per session (clamped to the
    data), if the link was made for this dataset; otherwise flag :data:`MISMATCH`."""
    if not _restore_once("global") or missing_link() is not None:
        return
    if not link_matches_dataset():
        st.session_state[MISMATCH] = True
        return
    _restore_conversions()
    try:
        start = date.fromisoformat(st.query_params.get(Q_FROM, lo.isoformat()))
        end = date.fromisoformat(st.query_params.get(Q_TO, hi.isoformat()))
    except ValueError:
        return
    start, end = max(lo, min(start, hi)), min(hi, max(end, lo))
    if start <= end and (start, end) != (lo, hi):
        st.session_state[state.DATE_RANGE] = (start, end)


def _restore_conversions() -> None:
    """A link's conversion events (only events of this dataset; nothing when none is left)."""
    if Q_CONVERSIONS not in st.query_params:
        return
    try:
        value = decode_value(st.query_params[Q_CONVERSIONS])
    except ValueError:
        return
    names = set(event_names())
    kept = tuple(dict.fromkeys(v for v in value if isinstance(v, str) and v in names)) if isinstance(value, list) \
        else ()
    if kept:
        st.session_state[state.CONVERSION_EVENTS] = kept


def _set_param(name: str, value: str | None) -> None:
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def publish_date_range(lo: date, hi: date) -> None:
    """After the sidebar's date input: write the dataset digest and the picked range into the URL."""
    _set_param(Q_DATASET, missing_link() or _digest_prefix())
    chosen = st.session_state.get(state.CONVERSION_EVENTS)
    _set_param(Q_CONVERSIONS, encode_value(list(chosen)) if isinstance(chosen, tuple | list) else None)
    picked = st.session_state.get(state.DATE_RANGE)
    whole = not (isinstance(picked, tuple | list) and len(picked) == 2) or tuple(picked) == (lo, hi)
    _set_param(Q_FROM, None if whole else picked[0].isoformat())  # type: ignore[index]
    _set_param(Q_TO, None if whole else picked[1].isoformat())  # type: ignore[index]


# --- page settings ------------------------------------------------------------------------------------------------

def _page_of(keys: Sequence[str]) -> str:
    return keys[0].split(".", 1)[0] if keys else ""


def restore_page(keys: Sequence[str], *, choices: Mapping[str, Sequence[Any]] | None = None,
                 valid: Mapping[str, Callable[[Any], bool]] | None = None) -> None:
    """Before a page's widgets: apply the opened link's settings for ``keys`` once per session.

    Values from a URL are untrusted: entries of list settings not in ``choices[key]`` are dropped, a scalar not in
    its choices or failing ``valid[key]`` is ignored, and nothing is applied when the link was made for other data.
    """
    st.session_state.setdefault(state.KEPT, set()).update(keys)
    if not keys or not _restore_once(_page_of(keys)):
        return
    if st.session_state.get(MISMATCH) or not link_matches_dataset():
        return
    stored = load_state(st.query_params[Q_STATE]) if Q_STATE in st.query_params else None
    choices, valid = choices or {}, valid or {}
    for key in keys:
        if stored is not None:
            if key not in stored:
                continue
            value = stored[key]
        elif key in st.query_params:
            try:
                value = decode_value(st.query_params[key])
            except ValueError:
                continue
        else:
            continue
        if key in choices:
            allowed = list(choices[key])
            if isinstance(value, list):
                value = [v for v in value if v in allowed]
            elif value not in allowed:
                continue
        if key in valid and not valid[key](value):
            continue
        st.session_state[key] = value


def keep_alive() -> None:
    """Keep every page's settings for the whole session (call before the page runs, on every run).

    Streamlit forgets a widget's value after a run that did not show the widget (another page); re-assigning the
    value through ``st.session_state`` keeps it, so a page shows the settings it had when the user comes back.
    """
    for key in st.session_state.get(state.KEPT, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def page_values(keys: Sequence[str]) -> dict[str, Any]:
    """The current settings of ``keys`` (those set in session state), ready for a link or a recipe."""
    return {k: st.session_state[k] for k in keys if k in st.session_state}


def publish_page(keys: Sequence[str]) -> None:
    """After a page's widgets: put its settings into the URL, inline or under a content hash when long."""
    values, encoded = {}, {}
    for key, value in page_values(keys).items():
        try:
            encoded[key] = encode_value(value)
        except TypeError:
            continue  # not a plain setting (e.g. a frame): it stays out of the link
        values[key] = value
    if sum(len(k) + len(v) for k, v in encoded.items()) <= INLINE_LIMIT:
        _set_param(Q_STATE, None)
        for key in keys:
            _set_param(key, encoded.get(key))
    else:
        for key in keys:
            _set_param(key, None)
        _set_param(Q_STATE, store_state(values))


# --- checks for settings read from a URL ---------------------------------------------------------------------------

def int_between(lo: int, hi: int) -> Callable[[Any], bool]:
    """A ``valid`` check: a whole number (not a bool) from ``lo`` to ``hi``."""
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def is_bool(value: Any) -> bool:
    """A ``valid`` check: True or False."""
    return isinstance(value, bool)


def short_texts(value: Any) -> bool:
    """A ``valid`` check: a list of at most 100 texts of at most 200 characters."""
    return (isinstance(value, list) and len(value) <= 100
            and all(isinstance(v, str) and len(v) <= 200 for v in value))


# --- recipes ------------------------------------------------------------------------------------------------------

def view_recipe(page: str, keys: Sequence[str], *, seed: int = 0, extra: Mapping[str, Any] | None = None) -> Recipe:
    """What it takes to redo this view: dataset hash, mapping, time zone, session gap, date range, settings.

    Parameter names are the session-state keys without the page prefix (``funnels.steps`` -> ``steps``); name
    keys as the CLI reads them (``funnel_steps``, ``attribution_models`` …) so ``--recipe`` picks them up.
    ``extra`` adds parameters that are not widgets (e.g. ``persona_k``).
    """
    dataset = active_dataset()
    report = dataset.report
    mapping = dict(getattr(report, "mapping", {}) or {}) or None
    picked = st.session_state.get(state.DATE_RANGE)
    parameters: dict[str, Any] = {"page": page, "session_gap_minutes": current_view().session_gap_minutes}
    if isinstance(picked, tuple | list) and len(picked) == 2:
        parameters["date_range"] = [picked[0].isoformat(), picked[1].isoformat()]
    for key, value in page_values(keys).items():
        parameters[key.split(".", 1)[-1]] = _to_json(value) if not isinstance(value, tuple) else list(value)
    parameters.update(extra or {})
    from analysis.snapshot.store import library_version  # noqa: PLC0415 (keeps SciPy off every page's first run)

    return Recipe(dataset_hash=dataset.digest, mapping=mapping, timezone=str(getattr(report, "timezone", "UTC")),
                  seed=seed, parameters=parameters, version=library_version())


def recipe_button(page: str, keys: Sequence[str], *, seed: int = 0, extra: Mapping[str, Any] | None = None,
                  key: str | None = None) -> None:
    """A download button for this view's recipe JSON (re-run it with ``journeylens <command> --recipe FILE``)."""
    recipe = view_recipe(page, keys, seed=int((extra or {}).get("seed", seed)), extra=extra)
    data = json.dumps(recipe.to_dict(), indent=1, ensure_ascii=False, default=str)
    st.download_button("Download recipe (JSON)", data, file_name=f"journeylens-{page}-recipe.json",
                       mime="application/json", on_click="ignore", key=key or f"{page}.recipe_download",
                       icon=":material/receipt_long:",
                       help="Dataset hash, column mapping, parameters, version and seed: enough to redo this view "
                            "from the command line with --recipe.")
