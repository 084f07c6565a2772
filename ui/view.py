"""The view every page works on: the active dataset, prepared, within the sidebar's dates, limited to the session's
cohort and with the exported persona labels joined on, and the one :class:`View` key that says what it depends on.

A page keys its caches by ``current_view()`` plus its own settings, and a page that keeps a result across reruns
(the Personas run, the Snapshots build) stores the :class:`View` it was made on and shows the result only while
:func:`is_current` says the view is still the same: one key for "are these results stale" on every page.

Two session-wide selections shape the view:

- the **cohort** (:func:`set_cohort`, picked on the Funnels page): only these people's events, shown in the sidebar;
- the **persona labels** (:func:`set_person_labels`, exported on the Personas page): a ``persona`` column joined
  onto the events, usable as a breakdown.

Cheap filters (the date range, the cohort) run outside the caches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import polars as pl
import streamlit as st

from analysis.filters import add_person_labels, filter_dates, filter_people
from ui import state
from ui.data import (
    active_dataset,
    data_date_bounds,
    prepared_events,
    rederive_channels,
    rules_digest,
    session_gap,
    short_digest,
)


@dataclass(frozen=True)
class View:
    """What the events a page sees depend on; put it first in every cache key and keep it beside stored results.

    ``labels`` is None for views that leave the persona labels off (the Personas and Snapshots pages add their own).
    """

    digest: str  # the dataset's content digest
    session_gap: timedelta
    rules: str  # channel-rules digest ("default" for the shipped rules)
    rederive: bool  # the rules replace the data's own channel column
    dates: tuple[date, date]
    cohort: str  # cohort digest ("all" without one)
    labels: str | None  # persona-labels digest ("none" without them), None when the view leaves them off

    @property
    def prepared(self) -> tuple[str, timedelta, str, bool]:
        """What the prepared events depend on (dataset, session gap, channel rules)."""
        return self.digest, self.session_gap, self.rules, self.rederive

    @property
    def session_gap_minutes(self) -> int:
        """The session gap as recipes and the CLI carry it (whole minutes)."""
        return int(self.session_gap // timedelta(minutes=1))

    def without_labels(self) -> View:
        """This view with the persona labels left off."""
        return replace(self, labels=None)


def current_view(*, with_labels: bool = True) -> View:
    """The session's view now (``with_labels=False``: without the exported persona labels)."""
    return View(active_dataset().digest, session_gap(), rules_digest(), rederive_channels(), date_range(),
                cohort_digest(), labels_digest() if with_labels else None)


def is_current(view: View) -> bool:
    """Whether a result made on ``view`` still matches the session's view (False: it is stale, do not show it)."""
    return view == current_view(with_labels=view.labels is not None)


def date_range() -> tuple[date, date]:
    """The date range chosen in the sidebar (whole days, inclusive), the whole dataset by default."""
    picked = st.session_state.get(state.DATE_RANGE)
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return picked[0], picked[1]
    return data_date_bounds()


@st.cache_resource(max_entries=2, scope="session", show_spinner=False)
def _labelled(prepared_key: tuple[str, timedelta, str, bool], digest: str, _events: pl.DataFrame,
              _labels: pl.DataFrame) -> pl.DataFrame:
    return add_person_labels(_events, _labels)


def view_events(*, with_labels: bool = True) -> pl.DataFrame:
    """Prepared events of the session's cohort (every date), with the persona labels joined on when exported.

    For views that apply the date range themselves (the Funnels page uses it for entry only).
    ``with_labels=False`` leaves the labels off (for the Personas and Snapshots pages, which add their own).
    """
    events = prepared_events()
    labels = person_labels()
    if with_labels and labels is not None:
        events = _labelled(current_view().prepared, labels_digest(), events, labels)
    ids = cohort_ids()
    return events if ids is None else filter_people(events, ids)


def filtered_events(*, with_labels: bool = True) -> pl.DataFrame:
    """:func:`view_events` within the sidebar's date range (cheap filters outside the cache)."""
    return filter_dates(view_events(with_labels=with_labels), *date_range())


# --- the session's cohort and persona labels ---------------------------------------------------------------------

def set_cohort(ids: pl.Series | Iterable[str], label: str) -> None:
    """Limit every page to these people (``user_id``, else ``anonymous_id``) from now on in this session."""
    cohort = frozenset((ids if isinstance(ids, pl.Series) else pl.Series(list(ids), dtype=pl.String))
                       .drop_nulls().to_list())
    st.session_state[state.COHORT_IDS] = cohort
    st.session_state[state.COHORT_LABEL] = label
    st.session_state[state.COHORT_DIGEST] = short_digest("\n".join(sorted(cohort)))


def clear_cohort() -> None:
    """Back to everyone."""
    for key in (state.COHORT_IDS, state.COHORT_LABEL, state.COHORT_DIGEST):
        st.session_state.pop(key, None)


def cohort_ids() -> frozenset[str] | None:
    """The session's cohort, or None when every person is in view."""
    ids = st.session_state.get(state.COHORT_IDS)
    return ids if isinstance(ids, frozenset) else None


def cohort_label() -> str:
    """Which people the cohort holds ("" without one)."""
    return str(st.session_state.get(state.COHORT_LABEL, "")) if cohort_ids() is not None else ""


def cohort_digest() -> str:
    """A short content digest of the cohort ("all" without one)."""
    ids = cohort_ids()
    if ids is None:
        return "all"
    digest = st.session_state.get(state.COHORT_DIGEST)
    if not isinstance(digest, str):  # ids put into the session state directly
        digest = st.session_state[state.COHORT_DIGEST] = short_digest("\n".join(sorted(ids)))
    return digest


def set_person_labels(labels: pl.DataFrame, fit: dict[str, Any] | None = None) -> None:
    """Join these person-level columns (``user_id`` plus e.g. ``persona``) onto the events every page sees.

    ``fit`` holds the recipe parameters that refit the personas behind the labels (so recipes of pages that use
    the persona column can be re-run on the command line).
    """
    st.session_state[state.PERSONA_LABELS] = labels
    st.session_state[state.PERSONA_DIGEST] = short_digest(labels.write_csv())
    if fit is None:
        st.session_state.pop(state.PERSONA_FIT, None)
    else:
        st.session_state[state.PERSONA_FIT] = fit


def persona_fit() -> dict[str, Any] | None:
    """The recipe parameters behind the exported persona labels, if any."""
    fit = st.session_state.get(state.PERSONA_FIT)
    return fit if isinstance(fit, dict) and person_labels() is not None else None


def clear_person_labels() -> None:
    """Stop joining the exported persona labels."""
    st.session_state.pop(state.PERSONA_LABELS, None)
    st.session_state.pop(state.PERSONA_DIGEST, None)
    st.session_state.pop(state.PERSONA_FIT, None)


def person_labels() -> pl.DataFrame | None:
    """The exported ``user_id, persona`` frame, if any."""
    labels = st.session_state.get(state.PERSONA_LABELS)
    return labels if isinstance(labels, pl.DataFrame) else None


def labels_digest() -> str:
    """A short content digest of the persona labels ("none" without them)."""
    labels = person_labels()
    if labels is None:
        return "none"
    digest = st.session_state.get(state.PERSONA_DIGEST)
    if not isinstance(digest, str):
        digest = st.session_state[state.PERSONA_DIGEST] = short_digest(labels.write_csv())
    return digest
