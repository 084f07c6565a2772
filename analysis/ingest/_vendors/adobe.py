"""Adobe Analytics data feed as delivered: one zip with ``hit_data.tsv`` (no header), ``column_headers.tsv``
and lookup files such as ``event.tsv``.

Contract: Adobe's Experience League pages "Data feed contents" (the files of a delivery), "Data column reference"
and "Use data feeds to calculate common metrics": hits with ``exclude_hit`` > 0 and data-source hits
(``hit_source`` 5, 7, 8, 9) are left out; a visitor is ``post_visid_high`` + ``post_visid_low``; a visit adds
``visit_num``; a page view is a hit with ``post_pagename`` or ``post_page_url``; ``post_page_event`` 100/101/102
are custom, download and exit links; events are the comma-separated ids of ``post_event_list`` named by
``event.tsv`` (``1,200`` = Purchase and custom event 1); ``post_product_list`` is
``category;product;quantity;price;events;eVars`` per product, comma-separated, and its prices are the revenue of
the Purchase event; ``hitid_high`` + ``hitid_low`` identify a hit (the duplicate key, with the event);
``hit_time_gmt`` is the hit's Unix time, ``date_time`` the same in the report suite's time zone. Each hit becomes
one event row per page view, link and listed event; ``Instance of eVarN`` counters are bookkeeping, not behaviour,
and are left out (counted in the report).
"""

from __future__ import annotations

import io
import zipfile

import polars as pl

from analysis.errors import IngestError
from analysis.ingest._csvread import LINE
from analysis.ingest._limits import DEFAULT_LIMITS, CountingReader, Limits
from analysis.ingest._sniff import read_member
from analysis.ingest._vendors.common import Prepared, text

VISITOR = "adobe.visitor"
EVENT = "adobe.event"
REVENUE = "adobe.revenue"
SESSION = "adobe.visit"
EVENT_KEY = "adobe.event_key"
EXCLUDED_SOURCES = ("5", "7", "8", "9")
PURCHASE = "1"
_LINKS = {"100": "Custom Link", "101": "Download Link", "102": "Exit Link"}


def read_feed(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> Prepared:
    """Read a data feed zip into one row per event with a visitor, event name, visit and purchase revenue.

    Examples
    --------
    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("column_headers.tsv", "post_visid_high\\tpost_visid_low\\tvisit_num\\thit_time_gmt\\t"
    ...                "post_pagename\\tpost_page_event\\tpost_event_list\\tpost_product_list\\texclude_hit\\t"
    ...                "hit_source\\n")
    ...     z.writestr("event.tsv", "1\\tPurchase\\n200\\tSign Up\\n")
    ...     z.writestr("hit_data.tsv", "1\\t2\\t1\\t1740823200\\tHome\\t0\\t\\t\\t0\\t1\\n"
    ...                "1\\t2\\t1\\t1740823260\\tThanks\\t0\\t1,200\\t;Shoe;1;49.90\\t0\\t1\\n")
    >>> out = read_feed(buf.getvalue(), "feed.zip").frame
    >>> out[EVENT].to_list(), out[REVENUE].to_list()
    (['Page View', 'Page View', 'Purchase', 'Sign Up'], [None, None, 49.9, None])
    """
    source = CountingReader(data)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise IngestError(f"{name} is a damaged zip file ({exc}); download the data feed again.") from None
    with archive:
        members = {i.filename.replace("\\", "/").rsplit("/", 1)[-1].lower(): i for i in archive.infolist()
                   if not i.is_dir()}
        header_bytes = read_member(archive, members["column_headers.tsv"], name, limits, source)
        header_text = header_bytes.decode("utf-8", "replace")
        lookup = (read_member(archive, members["event.tsv"], name, limits, source) if "event.tsv" in members else b"")
        hits_bytes = read_member(archive, members["hit_data.tsv"], name, limits, source)
    headers = [h.strip() for h in header_text.splitlines()[0].split("\t")] if header_text.strip() else []
    if not headers:
        raise IngestError(f"{name}:column_headers.tsv is empty; the feed's column names are missing. Download the "
                          "complete delivery again.")
    hits = _read_hits(hits_bytes, f"{name}:hit_data.tsv", headers)
    del hits_bytes
    missing = [c for c in ("post_visid_high", "post_visid_low") if c not in hits.columns]
    if missing or not ({"hit_time_gmt", "date_time"} & set(hits.columns)):
        need = missing or ["hit_time_gmt or date_time"]
        raise IngestError(f"{name}: the data feed has no {', '.join(need)} column; add it to the feed's columns in "
                          "Adobe Analytics (Admin → Data feeds) and deliver it again.")
    notes = [f"hit_data.tsv: {hits.height:,} hits"]
    hits, excluded = _drop_excluded(hits)
    if excluded:
        notes.append("left out as Adobe's documentation says: " + "; ".join(f"{n:,} hits with {why}"
                                                                          for why, n in excluded.items()))
    events, counters = _explode_events(hits, _event_names(lookup))
    notes.append(f"{events.height:,} events from {hits.height:,} hits (one row per page view, link and event in "
                 "post_event_list)")
    if counters:
        notes.append(f"{counters:,} 'Instance of eVar' counters left out (bookkeeping, not behaviour)")
    if "event.tsv" not in members:
        notes.append("WARNING: no event.tsv in the zip: events are named by their numeric ids (event 1, 200 …). "
                     "Include the lookup files in the data feed delivery.")
    return Prepared(events, notes)


def _read_hits(data: bytes, name: str, headers: list[str]) -> pl.DataFrame:
    try:
        hits = pl.read_csv(io.BytesIO(data), has_header=False, separator="\t", quote_char=None,
                           new_columns=headers, infer_schema=False, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        raise IngestError(f"{name}: a line does not have the {len(headers)} tab-separated fields that "
                          f"column_headers.tsv names ({exc}). The delivery is incomplete or mixes feeds; "
                          "download it again.") from None
    if hits.width != len(headers):
        raise IngestError(f"{name}: {hits.width} fields per line but column_headers.tsv names {len(headers)}. "
                          "The lookup files belong to another feed; download the delivery again.")
    if hits.height == 0:
        raise IngestError(f"{name} holds no hits. Choose a delivery with data.")
    return hits.with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64))


def _drop_excluded(hits: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    conds: dict[str, pl.Expr] = {}
    if "exclude_hit" in hits.columns:
        conds["exclude_hit > 0"] = pl.col("exclude_hit").cast(pl.Int64, strict=False).fill_null(0) > 0
    if "hit_source" in hits.columns:
        conds[f"hit_source {', '.join(EXCLUDED_SOURCES)} (data sources)"] = \
            pl.col("hit_source").str.strip_chars().is_in(EXCLUDED_SOURCES)
    if not conds:
        return hits, {}
    flags = hits.select(**conds)
    first = pl.lit(False)
    counts: dict[str, int] = {}
    for why in conds:  # a hit counts once, under the first rule it meets
        counts[why] = int(flags.select((pl.col(why) & ~first).sum()).item())
        first = first | pl.col(why)
    drop = flags.select(pl.any_horizontal(pl.all())).to_series()
    return hits.filter(~drop), {k: v for k, v in counts.items() if v}


def _event_names(lookup: bytes) -> pl.DataFrame:
    if not lookup.strip():
        return pl.DataFrame(schema={"id": pl.String, "name": pl.String})
    return pl.read_csv(io.BytesIO(lookup), has_header=False, separator="\t", quote_char=None,
                       new_columns=["id", "name"], infer_schema=False, truncate_ragged_lines=True) \
        .with_columns(pl.col("id").str.strip_chars(), pl.col("name").str.strip_chars())


def _explode_events(hits: pl.DataFrame, names: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    cols = hits.columns
    page = pl.coalesce(text(hits, "post_pagename" if "post_pagename" in cols else None),
                       text(hits, "post_page_url" if "post_page_url" in cols else None))
    kind = text(hits, "post_page_event" if "post_page_event" in cols else None)
    own = (pl.when(kind.is_in(list(_LINKS))).then(kind.replace_strict(_LINKS, default=None))
           .when(((kind == "0") | kind.is_null()) & page.is_not_null()).then(pl.lit("Page View")))
    # "200=5" (a numeric event's value) and "201:serial" name the same event 200
    ids = text(hits, "post_event_list" if "post_event_list" in cols else None).str.split(",") \
        .list.eval(pl.element().str.replace(r"[=:].*$", "").str.strip_chars()) \
        .list.eval(pl.element().filter(pl.element() != ""))
    empty = pl.lit([], dtype=pl.List(pl.String))
    own_list = pl.when(own.is_not_null()).then(pl.concat_list(own.cast(pl.String))).otherwise(empty)
    listed = pl.concat_list(own_list, ids.fill_null(empty))
    # a hit with neither page, link nor event stays one row without an event name (rejected and counted)
    rows = hits.with_columns(pl.when(listed.list.len() == 0).then(pl.lit([None], dtype=pl.List(pl.String)))
                             .otherwise(listed).alias("__ids")).explode("__ids")
    lookup = dict(zip(names["id"].to_list(), names["name"].to_list(), strict=True))
    named = pl.col("__ids").replace_strict(lookup, default=pl.col("__ids"), return_dtype=pl.String)
    is_counter = named.str.starts_with("Instance of eVar")
    counters = int(rows.select(is_counter.sum()).item())
    rows = rows.filter(~is_counter.fill_null(False))
    named_ids = pl.when(pl.col("__ids").str.contains(r"^\d+$") & pl.col("__ids").is_in(list(lookup)).not_()) \
        .then(pl.format("event {}", pl.col("__ids"))).otherwise(named)
    price = (text(hits, "post_product_list" if "post_product_list" in cols else None).str.split(",")
             .list.eval(pl.element().str.split(";").list.get(3, null_on_oob=True).str.strip_chars()
                        .cast(pl.Float64, strict=False)).list.sum())
    visitor = pl.concat_str(text(hits, "post_visid_high"), pl.lit("_"), text(hits, "post_visid_low"))
    visit = text(hits, "visit_num" if "visit_num" in cols else None)
    out = rows.with_columns(
        named_ids.alias(EVENT),
        pl.when(pl.col("__ids") == PURCHASE).then(price).alias(REVENUE),
        visitor.alias(VISITOR),
        pl.when(visit.is_not_null()).then(pl.concat_str(visitor, pl.lit(":"), visit)).alias(SESSION),
        # hitid_high + hitid_low identify a hit; with the event it identifies each row (a re-delivered hit repeats)
        pl.concat_str(text(hits, "hitid_high" if "hitid_high" in cols else None), pl.lit("_"),
                      text(hits, "hitid_low" if "hitid_low" in cols else None), pl.lit(":"), named_ids)
        .alias(EVENT_KEY),
    ).drop("__ids")
    return out, counters
