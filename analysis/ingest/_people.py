"""``load_people``: CRM contact exports, shop customer and order exports in, people records and their events out.

A people file has one row per record (a contact, a customer, an order), any number of identifier columns (user id,
customer number, e-mail, phone, device id) and attribute columns (segment, lifecycle stage, lifetime value, region).
It is read by the event loader's machinery (sniffing, encodings, limits, row accounting, duplicates, the report);
only the mapping and the typing differ. E-mail addresses and phone numbers are normalised and replaced by a keyed
hash (HMAC-SHA-256 under the machine key, :mod:`analysis.privacy.keys`) before anything else sees them: the raw
values are not in the result, the report, its examples or its rejected rows.

Order rows (an order time, optionally an order id and a total) become ``purchase`` events, a customer-since date
becomes a ``became_customer`` event, on the identifiers of the record, so journeys cross online and offline. Their
channel is ``Offline``: not a visit, so prepare keeps them out of web sessions and attribution credits the person's
real touches, never the order itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal

import polars as pl

from analysis import schema
from analysis.errors import IngestError
from analysis.ingest._accounting import account
from analysis.ingest._boundary import reading
from analysis.ingest._canonical import REASON, REPAIR, Typed
from analysis.ingest._csvread import LINE
from analysis.ingest._dedupe import FILE, dedupe
from analysis.ingest._files import Source, expand_source, read_file
from analysis.ingest._formats import detect_format, normalise
from analysis.ingest._limits import DEFAULT_LIMITS, Limits
from analysis.ingest._load import LoadResult
from analysis.ingest._mapping import EVENT_ID, detect_mapping
from analysis.ingest._parse import (
    DateOrder,
    Decimal,
    TimestampPlan,
    detect_decimal,
    number_expr,
    plan_timestamp,
    text_expr,
    timestamp_expr,
)
from analysis.ingest._report import FileReport, LoadReport, RejectedShareError, share_message
from analysis.prepare.channels import OFFLINE
from analysis.prepare.identity.attributes import people_attributes
from analysis.prepare.identity.contact import normalise_email, normalise_phone
from analysis.prepare.identity.graph import CUSTOMER_ID, EMAIL, ID_TYPES, PHONE
from analysis.prepare.identity.resolve import SOURCE_FILE, resolve_identities
from analysis.privacy.keys import machine_key
from analysis.privacy.pii import detect_pii_columns
from analysis.privacy.text import pseudonymise
from analysis.vocabulary import check_choice

ORDER_TIME = "order_time"
CUSTOMER_SINCE = "customer_since"
#: Event names given to the rows of people files.
PURCHASE, BECAME_CUSTOMER = "purchase", "became_customer"
#: Targets a people mapping may assign: identifiers, then the columns that make events.
PEOPLE_TARGETS: tuple[str, ...] = (*ID_TYPES, EVENT_ID, ORDER_TIME, schema.REVENUE, CUSTOMER_SINCE)
#: Header aliases (normalised), best first; German CRM and shop headers included.
PEOPLE_ALIASES: dict[str, tuple[str, ...]] = {
    schema.USER_ID: ("user_id", "userid", "web_user_id", "account_id", "shop_account", "customer_account",
                     "kundenkonto", "konto_id", "login_id"),
    schema.ANONYMOUS_ID: ("anonymous_id", "client_id", "device_id", "cookie_id", "geräte_id"),
    CUSTOMER_ID: ("customer_id", "customer_number", "customer_no", "kundennummer", "kunden_nr", "kundennr",
                  "kunden_id", "crm_id", "contact_id", "kontakt_id"),
    EMAIL: ("email", "e_mail", "email_address", "e_mail_adresse", "emailadresse", "mail"),
    PHONE: ("phone", "phone_number", "telefon", "telefonnummer", "mobile", "mobilnummer", "handy", "tel"),
    EVENT_ID: ("order_id", "order_number", "order_no", "bestellnummer", "bestell_nr", "auftragsnummer"),
    ORDER_TIME: ("order_date", "ordered_at", "order_time", "created_at", "bestelldatum", "bestellt_am"),
    schema.REVENUE: ("total", "order_total", "revenue", "amount", "umsatz", "betrag", "gesamtbetrag",
                     "bestellwert"),
    CUSTOMER_SINCE: ("customer_since", "kunde_seit", "kunden_seit", "became_customer", "first_order_date"),
}
REJECT_MISSING = "missing_person_id"
REPAIR_EMAIL, REPAIR_PHONE, REPAIR_DATE = "bad_email", "bad_phone", "bad_customer_since"
_NUMBER = r"^-?[€$£]?\s*\d{1,3}([.,\s]?\d{3})*([.,]\d+)?\s*[€$£]?$"


def load_people(
    source: Source,
    *,
    mapping: Mapping[str, str | None] | None = None,
    timezone: str = "UTC",
    date_order: DateOrder | None = None,
    decimal: Decimal | None = None,
    key: bytes | None = None,
    country_code: str = "49",
    max_rejected_share: float = 0.05,
    member: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    keep_personal: bool | Collection[str] = False,
) -> LoadResult:
    """Read people exports (CRM contacts, shop customers or orders) into people records, events and a report.

    Parameters
    ----------
    source
        As for :func:`analysis.load_events`: path, folder, bytes, ``(name, bytes)``, an upload, or a list.
    mapping
        ``{target: source column}`` overriding the detected mapping (targets: :data:`PEOPLE_TARGETS`).
    timezone, date_order, decimal
        How naive order times, slashed dates and amounts are read (as for events).
    key
        The HMAC key for e-mails and phones; the machine key (:func:`analysis.privacy.keys.machine_key`) when None.
    country_code
        Calling code given to national phone numbers (``0171 …``).
    max_rejected_share, member, limits
        As for events.
    keep_personal
        Attribute columns that look like personal data (names, addresses) are left out unless named here.

    Returns
    -------
    LoadResult
        ``.people``: one row per record (identifier columns, attributes, ``source_file``); ``.events``: the events
        the records make (``purchase``, ``became_customer``); ``.report``: the accounting of every row.

    Examples
    --------
    >>> csv = "Kundennummer;E-Mail;Segment\\nK1;Anna@Example.de;VIP\\n".encode("cp1252")
    >>> result = load_people(("crm.csv", csv), key=b"k" * 32)
    >>> result.people.columns, result.people["customer_id"].to_list(), len(result.people["email"][0])
    (['customer_id', 'email', 'Segment', 'source_file'], ['K1'], 32)
    """
    items = expand_source(source)
    if not items:
        raise IngestError("no input files given (an empty folder or list). Choose at least one file.")
    secret = key if key is not None else machine_key()
    reports: list[FileReport] = []
    frames: list[pl.DataFrame] = []
    rejected: list[pl.DataFrame] = []
    for index, (name, read) in enumerate(items):
        with reading(name):  # the ingest boundary: only IngestError leaves, as for events
            report, frame, rej = _load_one(name, read, mapping=mapping, timezone=timezone, date_order=date_order,
                                           decimal=decimal, key=secret, country_code=country_code, member=member,
                                           limits=limits)
        reports.append(report)
        frames.append(frame.with_columns(pl.lit(index, dtype=pl.Int32).alias(FILE)))
        rejected.append(rej)
    records = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    records, dupes = dedupe(records, reports)
    rejected.append(dupes)
    records = records.drop(LINE, REPAIR, FILE)
    personal = {c: why for c, why in detect_pii_columns(records.select(_attribute_names(records))).items()
                if why != "identifier column"}
    dropped = tuple(c for c in personal if not (keep_personal is True or
                                                (keep_personal is not False and c in keep_personal)))
    records = records.drop(dropped)
    _note_conflicts(records, reports)
    events = _events(records)
    people = records.drop(c for c in (EVENT_ID, ORDER_TIME, schema.REVENUE, CUSTOMER_SINCE) if c in records.columns)
    rejected_rows = (pl.concat([r for r in rejected if r.height], how="diagonal_relaxed")
                     if any(r.height for r in rejected) else LoadReport(files=[]).rejected_rows)
    load_report = LoadReport(files=reports, rejected_rows=rejected_rows, personal_columns=personal,
                             dropped_columns=dropped)
    for f in reports:
        f.check()
        if f.rows_read and (f.rejected - f.duplicates) / f.rows_read > max_rejected_share:
            raise RejectedShareError(share_message(f, max_rejected_share), load_report)
    return LoadResult(events=events, report=load_report, people=people)


FileKind = Literal["events", "people"]


def file_kind(columns: list[str]) -> FileKind:
    """Whether a file with these columns holds events (a time, an event name and a person or device id) or people
    records (identifiers without event names: CRM contacts, shop customers or orders).

    Examples
    --------
    >>> file_kind(["user_id", "timestamp", "event"]), file_kind(["Kundennummer", "E-Mail", "Segment"])
    ('events', 'people')
    >>> file_kind(["user_id", "timestamp"])  # an event export without its event column
    'events'
    """
    try:
        events = detect_mapping(columns, detect_format(columns).format)
    except IngestError:
        events = {}
    if schema.EVENT in events:
        return "events"
    try:
        people = detect_people_mapping(columns)
    except IngestError:
        return "events"
    # an event export that lacks its event column is still an event export (its loader says what is missing)
    own = any(t in people for t in (CUSTOMER_ID, EMAIL, PHONE, EVENT_ID, ORDER_TIME, CUSTOMER_SINCE))
    return "people" if any(t in people for t in ID_TYPES) and (own or schema.TIMESTAMP not in events) else "events"


def _attribute_names(records: pl.DataFrame) -> list[str]:
    return [c for c in records.columns if c not in PEOPLE_TARGETS and c != SOURCE_FILE]


def detect_people_mapping(columns: list[str], *, name: str = "file",
                          fixed: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """``{target: column}`` for a people file: the user's choices, then the first alias found per target.

    Examples
    --------
    >>> detect_people_mapping(["Kundennummer", "E-Mail", "Telefon", "Kunde seit", "Segment"])
    {'customer_id': 'Kundennummer', 'email': 'E-Mail', 'phone': 'Telefon', 'customer_since': 'Kunde seit'}
    """
    fixed = dict(fixed or {})
    for target in fixed:
        check_choice("people mapping target", target, PEOPLE_TARGETS, error=IngestError)
    by_norm = {normalise(c): c for c in columns}
    out: dict[str, str] = {}
    for target, col in fixed.items():
        if col is None:
            continue
        real = col if col in columns else by_norm.get(normalise(col))
        if real is None:
            raise IngestError(f"{name}: mapping {target!r} → {col!r}, but the file has no such column. "
                              f"Columns: {', '.join(repr(c) for c in columns[:30])}.")
        out[target] = real
    for target in PEOPLE_TARGETS:
        if target in fixed:
            continue
        found = next((by_norm[a] for a in PEOPLE_ALIASES.get(target, ()) if a in by_norm
                      and by_norm[a] not in out.values()), None)
        if found is not None:
            out[target] = found
    return out


@dataclass(frozen=True)
class _Plan:
    timestamps: dict[str, TimestampPlan]
    decimal: Decimal | None


def _load_one(name: str, read: Callable[[], bytes], *, mapping: Mapping[str, str | None] | None, timezone: str,
              date_order: DateOrder | None, decimal: Decimal | None, key: bytes, country_code: str,
              member: str | None, limits: Limits) -> tuple[FileReport, pl.DataFrame, pl.DataFrame]:
    f = read_file(name, read(), member=member, limits=limits)
    report, raw, header, name = f.report, f.raw, f.header, f.report.file
    if raw.height == 0 and f.ragged.height == 0:
        raise IngestError(f"{name} has no data rows after the header (line {f.first_line - 1}). "
                          "Export again with at least one record.")
    found = detect_people_mapping(header, name=name, fixed=mapping)
    if not any(t in found for t in ID_TYPES):
        raise IngestError(f"{name}: no identifier column found (user id, customer number, e-mail, phone or device "
                          f"id). Columns in the file: {', '.join(repr(c) for c in header[:30])}. Map one, e.g. "
                          "mapping={'email': '<column>'}.")
    report.mapping = found
    report.format = "orders" if ORDER_TIME in found else "people"
    typed = _typed(raw, found, name=name, timezone=timezone, date_order=date_order, decimal=decimal,
                   country_code=country_code, limits=limits)
    report.timestamp = "; ".join(f"{found[t]}: {p.description}" for t, p in typed.timestamps.items())
    report.decimal = typed.decimal
    frame = typed.frame
    for target in (EMAIL, PHONE):
        if target in found:
            hashed = pseudonymise(frame[target], key)
            frame = frame.with_columns(hashed)
            # the report's examples and rejected rows come from the raw text: it shows the hash, never the address
            shown = hashed.to_frame("h").select(
                pl.when(pl.col("h").is_not_null()).then(pl.concat_str(pl.lit("hmac:"), pl.col("h")))
                .otherwise(pl.lit("(withheld: not a valid value)"))).to_series()
            raw = raw.with_columns(pl.when(pl.col(found[target]).is_not_null()).then(shown)
                                   .alias(found[target]))
    plan = next(iter(typed.timestamps.values()), TimestampPlan(kind="text"))
    columns = typed.reason_columns
    report, good, rejected = account(report, raw, Typed(frame=frame, plan=plan, decimal=typed.decimal, extras={},
                                                        reason_columns=columns), f.ragged)
    return report, good.with_columns(pl.lit(name).alias(SOURCE_FILE)), rejected


@dataclass(frozen=True)
class _TypedPeople:
    frame: pl.DataFrame
    timestamps: dict[str, TimestampPlan]
    decimal: Decimal | None
    reason_columns: dict[str, str]


def _typed(raw: pl.DataFrame, mapping: dict[str, str], *, name: str, timezone: str, date_order: DateOrder | None,
           decimal: Decimal | None, country_code: str, limits: Limits) -> _TypedPeople:
    """Identifiers cleaned (e-mail and phone normalised, not yet hashed), dates and amounts typed, attributes kept."""
    types = raw.schema
    exprs: dict[str, pl.Expr] = {}
    checks: list[tuple[str, pl.Expr]] = []
    repairs: list[tuple[str, pl.Expr]] = []
    reasons: dict[str, str] = {}
    for target in (*ID_TYPES, EVENT_ID):
        if target in mapping:
            src = mapping[target]
            clean = text_expr(src, types[src])
            if target == EMAIL:
                exprs[target] = normalise_email(clean)
                repairs.append((REPAIR_EMAIL, clean.is_not_null() & exprs[target].is_null()))
            elif target == PHONE:
                exprs[target] = normalise_phone(clean, country_code=country_code)
                repairs.append((REPAIR_PHONE, clean.is_not_null() & exprs[target].is_null()))
            else:
                exprs[target] = clean
    ids = [exprs[t] for t in ID_TYPES if t in exprs]
    first_id = next(mapping[t] for t in ID_TYPES if t in mapping)
    key_cols = {mapping[t] for t in (*ID_TYPES, EVENT_ID) if t in mapping}
    too_long = [pl.col(c).str.len_bytes() > (limits.max_key_chars if c in key_cols else limits.max_cell_chars)
                for c, t in types.items() if t == pl.String and c != LINE]
    checks.append(("too_long", pl.any_horizontal(too_long) if too_long else pl.lit(False)))
    checks.append((REJECT_MISSING, pl.all_horizontal(e.is_null() for e in ids)))
    reasons[REJECT_MISSING] = first_id
    plans: dict[str, TimestampPlan] = {}
    for target in (ORDER_TIME, CUSTOMER_SINCE):
        if target not in mapping:
            continue
        src = mapping[target]
        plans[target] = plan_timestamp(raw[src].drop_nulls(), column=src, name=name, date_order=date_order)
        ts, _, _ = timestamp_expr(src, plans[target], types[src], timezone)
        exprs[target] = ts
        given = text_expr(src, types[src]).is_not_null()
        if target == ORDER_TIME:
            checks.append(("bad_timestamp", ts.is_null()))
            reasons["bad_timestamp"] = src
        else:
            repairs.append((REPAIR_DATE, given & ts.is_null()))
    found_decimal: Decimal | None = None
    if schema.REVENUE in mapping:
        src = mapping[schema.REVENUE]
        found_decimal = detect_decimal(raw[src], column=src, name=name, decimal=decimal)
        exprs[schema.REVENUE] = number_expr(src, types[src], found_decimal)
        checks.append(("bad_revenue", exprs[schema.REVENUE].is_null() & text_expr(src, types[src]).is_not_null()))
        reasons["bad_revenue"] = src
    mapped = set(mapping.values())
    for col, dtype in types.items():
        if col in mapped or col == LINE:
            continue
        out = col if col not in (*PEOPLE_TARGETS, SOURCE_FILE, "person") else f"raw_{col}"
        exprs[out] = _attribute(raw[col], col, dtype, decimal=decimal, name=name)
    reason = pl.lit(None, dtype=pl.String)
    for code, cond in reversed(checks):
        reason = pl.when(cond).then(pl.lit(code)).otherwise(reason)
    repair = pl.lit(None, dtype=pl.String)
    for code, cond in reversed(repairs):
        repair = pl.when(cond).then(pl.lit(code)).otherwise(repair)
    frame = raw.select(LINE, *(e.alias(k) for k, e in exprs.items()), reason.alias(REASON), repair.alias(REPAIR))
    return _TypedPeople(frame=frame, timestamps=plans, decimal=found_decimal, reason_columns=reasons)


def _attribute(values: pl.Series, col: str, dtype: pl.DataType, *, decimal: Decimal | None, name: str) -> pl.Expr:
    """An attribute column: numbers when every value is one (lifetime value, age), else clean text."""
    if dtype != pl.String:
        return pl.col(col)
    text = values.str.strip_chars().drop_nulls()
    text = text.filter(text != "")
    if text.len() and text.str.contains(_NUMBER).all():
        try:
            mark = detect_decimal(values, column=col, name=name, decimal=decimal)
        except IngestError:  # 1.234 could be either: keep the text rather than guess
            return text_expr(col, dtype)
        return number_expr(col, dtype, mark)
    return text_expr(col, dtype)


def _note_conflicts(records: pl.DataFrame, reports: list[FileReport]) -> None:
    """Per file: people (by the file's own identifiers) whose records give an attribute different values."""
    for report in reports:
        own = records.filter(pl.col(SOURCE_FILE) == report.file)
        attrs = _attribute_names(own)
        if not own.height or not attrs:
            continue
        ids = [c for c in ID_TYPES if c in own.columns]
        frame = own.select(*ids, *attrs).with_columns(
            pl.lit(None, pl.String).alias(schema.USER_ID) if schema.USER_ID not in ids else pl.col(schema.USER_ID))
        events = pl.DataFrame(schema={schema.USER_ID: pl.String, schema.TIMESTAMP: schema.TIMESTAMP_DTYPE,
                                      schema.EVENT: pl.String})
        resolved = resolve_identities(events, people=frame)
        assert resolved.people is not None
        _, attributes = people_attributes(resolved.people)
        report.notes += attributes.explain()


def _events(records: pl.DataFrame) -> pl.DataFrame:
    """``purchase`` per order row and ``became_customer`` per customer-since date, on the record's identifiers."""
    ids = [c for c in ID_TYPES if c in records.columns]
    base = [pl.col(c) for c in ids]
    if schema.USER_ID not in ids:
        base.append(pl.lit(None, pl.String).alias(schema.USER_ID))
    parts = []
    offline = pl.lit(OFFLINE).alias(schema.CHANNEL)  # not a visit: no session, no touch (decision 0014)
    if ORDER_TIME in records.columns:
        revenue = pl.col(schema.REVENUE) if schema.REVENUE in records.columns else pl.lit(None, pl.Float64)
        order_id = pl.col(EVENT_ID) if EVENT_ID in records.columns else pl.lit(None, pl.String)
        parts.append(records.filter(pl.col(ORDER_TIME).is_not_null()).select(
            *base, pl.col(ORDER_TIME).alias(schema.TIMESTAMP), pl.lit(PURCHASE).alias(schema.EVENT),
            revenue.alias(schema.REVENUE), order_id.alias(EVENT_ID), pl.col(SOURCE_FILE), offline))
    if CUSTOMER_SINCE in records.columns:
        parts.append(records.filter(pl.col(CUSTOMER_SINCE).is_not_null()).select(
            *base, pl.col(CUSTOMER_SINCE).alias(schema.TIMESTAMP), pl.lit(BECAME_CUSTOMER).alias(schema.EVENT),
            pl.col(SOURCE_FILE), offline))
    if not parts:
        return pl.DataFrame(schema={schema.USER_ID: pl.String, schema.TIMESTAMP: schema.TIMESTAMP_DTYPE,
                                    schema.EVENT: pl.String, SOURCE_FILE: pl.String, schema.CHANNEL: pl.String})
    events = pl.concat(parts, how="diagonal_relaxed")
    return schema.validate_events(events.sort(schema.TIMESTAMP, *ids, maintain_order=True))
