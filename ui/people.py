"""Streamlit side of people files (CRM, shop exports): telling them from event files, loading them, joining them
to the active dataset, and the overlap of sources (the Data page's "one clear picture" block).

People records are loaded with :func:`analysis.ingest.people.load_people` (e-mails and phones hashed at load) and
joined to the active dataset as a new dataset: its events gain the records' ``purchase``/``became_customer``
events, and :func:`analysis.prepare.prepare` resolves people across every identifier and attaches the records'
attributes, so they reach every page as breakdowns, filters and persona features.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import streamlit as st

from analysis.errors import IngestError
from analysis.figures.identity import ID_LABELS, links_figure, overlap_figure
from analysis.ingest import LoadResult, RejectedShareError, peek_columns
from analysis.ingest.people import FileKind, file_kind, load_people
from analysis.prepare.identity import overlap_report
from analysis.prepare.identity.attributes import attribute_columns
from analysis.sample_silos import CRM_PATH, SHOP_PATH
from ui.data import active_dataset, set_active_dataset
from ui.ingest import LoadOptions, Upload, release_uploads, uploads_digest

KIND_PREFIX = "data.kind."
SAMPLE_PEOPLE = "data.sample_people"
KINDS: list[FileKind] = ["events", "people"]


@st.cache_resource(max_entries=16, scope="session", show_spinner=False)
def _kind(digest: str, name: str, _data: bytes) -> FileKind:
    try:
        columns = next(iter(peek_columns((name, _data)).values()), [])
    except IngestError:
        return "events"  # the event loader explains what is wrong with the file
    return file_kind(columns)


def split_by_kind(uploads: Sequence[Upload]) -> tuple[list[Upload], list[Upload]]:
    """``(event files, people files)``: each file's kind detected from its columns, correctable by the user."""
    if not uploads:
        return [], []
    detected = {u.digest: _kind(u.digest, u.name, u.data) for u in uploads}
    chosen: dict[str, str] = {}
    with st.container(border=True):
        st.caption("What each file holds (detected from its columns; change it if it is wrong). People files: "
                   "CRM contacts, shop customers or orders, one row per record.")
        for u in uploads:
            key = f"{KIND_PREFIX}{u.digest[:16]}"
            st.session_state.setdefault(key, detected[u.digest])
            chosen[u.digest] = st.radio(u.name, KINDS, horizontal=True, key=key,
                                        format_func=lambda k: "event file" if k == "events" else "people file")
    return ([u for u in uploads if chosen[u.digest] == "events"],
            [u for u in uploads if chosen[u.digest] == "people"])


@dataclass(frozen=True)
class LoadedPeople:
    """People files loaded, or why not."""

    result: LoadResult | None
    error: str | None = None


@st.cache_resource(max_entries=4, scope="session", show_spinner=False)
def _load(key: str, _uploads: tuple[Upload, ...], _options: LoadOptions) -> LoadedPeople:
    try:
        result = load_people([(u.name, u.data) for u in _uploads], timezone=_options.timezone,
                             date_order=_options.date_order,  # type: ignore[arg-type]
                             decimal=_options.decimal,  # type: ignore[arg-type]
                             max_rejected_share=_options.max_rejected_share, member=_options.member)
    except RejectedShareError as exc:
        return LoadedPeople(result=None, error=str(exc))
    except IngestError as exc:
        return LoadedPeople(result=None, error=str(exc))
    return LoadedPeople(result=result)


def _options_key(options: LoadOptions) -> str:
    return f"{options.timezone}|{options.date_order}|{options.decimal}|{options.max_rejected_share}|{options.member}"


def join_people(name: str, digest: str, result: LoadResult) -> None:
    """Make the active dataset plus these people records the session's dataset (a button callback)."""
    base = active_dataset()
    events = pl.concat([base.events, result.events], how="diagonal_relaxed")
    people = result.people if base.people is None or result.people is None else pl.concat(
        [base.people, result.people], how="diagonal_relaxed")
    set_active_dataset(f"{base.name} + {name}", f"{base.digest}+{digest}", events, base.report, people)
    st.session_state.pop(SAMPLE_PEOPLE, None)
    release_uploads()  # the uploaded bytes (raw e-mails included) are not kept once joined


def _sample_uploads() -> list[Upload]:
    out = []
    for path in (CRM_PATH, SHOP_PATH):
        data = path.read_bytes()
        out.append(Upload(name=path.name, data=data, digest=hashlib.sha256(data).hexdigest()))
    return out


def people_block(uploads: Sequence[Upload], options: LoadOptions) -> None:
    """Load the people files among the uploads (or the sample's CRM and shop exports), report, offer to join."""
    if not uploads and st.session_state.get(SAMPLE_PEOPLE):
        uploads = _sample_uploads()
    if not uploads:
        if active_dataset().people is None:
            st.button("Try it: join the sample's CRM and shop exports", key="data.try_people",
                      on_click=lambda: st.session_state.__setitem__(SAMPLE_PEOPLE, True),
                      help="crm_kontakte.csv (German CRM export) and shop_orders.csv (store and guest orders) "
                           "from sample_data/: they link to the web sample by account, e-mail and phone.")
        return
    st.subheader("People files")
    digest = uploads_digest(uploads)
    loaded = _load(f"{digest}:{_options_key(options)}", tuple(uploads), options)
    if loaded.result is None:
        st.error("These people files could not be loaded. What was found and what to do:", icon=":material/error:")
        st.text(loaded.error or "")
        return
    report = loaded.result.report
    people = loaded.result.people
    st.caption(f"{report.rows_read:,} records read = {report.kept:,} kept + {report.repaired:,} repaired + "
               f"{report.rejected:,} rejected. E-mail addresses and phone numbers were replaced by a keyed hash at "
               "load: they are used for matching only and never shown, cached as text or exported.")
    st.dataframe(report.summary(), hide_index=True)
    with st.expander("Mapping per file"):
        st.dataframe(report.mappings(), hide_index=True)
    reasons = report.reasons()
    if reasons.height:
        st.dataframe(reasons, hide_index=True)
    for f in report.files:
        for note in f.notes:
            st.text(f"{f.file}: {note}")
    attributes = attribute_columns(people) if people is not None else []
    made = loaded.result.events["event"].value_counts(sort=True) if loaded.result.events.height else None
    st.text(f"Attributes for breakdowns and filters: {', '.join(attributes) or 'none'}"
            + ("" if made is None else "; events made: " + ", ".join(f"{n:,} {e}" for e, n in made.iter_rows())))
    names = ", ".join(u.name for u in uploads)
    st.button(f"Join these people to {active_dataset().name}", type="primary", key="data.join_people",
              on_click=join_people, args=(names, f"{digest}:{_options_key(options)}", loaded.result))


@st.cache_resource(max_entries=2, scope="session", show_spinner="Joining people across sources…")
def _overlap(digest: str, _events: pl.DataFrame, _people: pl.DataFrame | None
             ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    overlap, resolved = overlap_report(_events, people=_people)
    return overlap, resolved.graph.links, resolved.graph.cuts


def overlap_block() -> None:
    """The active dataset's people per combination of sources and links per identifier type (when it has people)."""
    dataset = active_dataset()
    if dataset.people is None:
        return
    st.subheader("One picture of your people")
    overlap, links, cuts = _overlap(dataset.digest, dataset.events, dataset.people)
    st.plotly_chart(overlap_figure(overlap), key="data.overlap_chart")
    joined = int(overlap.filter(pl.col("sources") > 1)["people"].sum())
    total = int(overlap["people"].sum())
    c1, c2 = st.columns(2)
    c1.metric("People across all sources", f"{total:,}", help="The People count above counts the event files' "
              "user and device ids only; this one counts everyone in any source, joined through the identity graph.")
    c2.metric("Seen in more than one source", f"{joined:,}")
    st.caption("A person is every identifier (user id, customer number, e-mail, phone, device) linked by a row "
               "that carries two of them.")
    if links.height:
        st.plotly_chart(links_figure(links), key="data.links_chart")
    if cuts.height:
        shown = cuts.with_columns(pl.col("id_type").replace(ID_LABELS).alias("identifier type"))
        st.warning("Some identifiers were not used to join people (the false-merge rule): an identifier linked to "
                   "more than 10 values of one kind (a placeholder e-mail, a shared phone) is cut out; one linked to "
                   "two user ids or customer numbers is a conflict and joins neither.", icon=":material/call_split:")
        st.dataframe(shown.select("identifier type", "reason", pl.col("identifiers").alias("identifiers cut"),
                                  pl.col("links_cut").alias("links cut")), hide_index=True)
