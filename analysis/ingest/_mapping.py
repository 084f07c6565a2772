"""Map source columns onto the canonical schema: export presets, generic aliases, user overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from analysis import schema
from analysis.errors import IngestError
from analysis.ingest._formats import Format, detect_format, normalise
from analysis.vocabulary import check_choice

EVENT_ID = "event_id"
#: Names a mapping may assign: the canonical columns plus the source's event id used to drop duplicates.
TARGETS: tuple[str, ...] = (*schema.CANONICAL_SCHEMA, EVENT_ID)

#: Generic aliases (normalised), best first; German headers included for Excel users.
ALIASES: dict[str, tuple[str, ...]] = {
    schema.USER_ID: ("user_id", "userid", "customer_id", "kunden_id", "kundennummer", "nutzer_id",
                     "member_id", "distinct_id"),
    schema.ANONYMOUS_ID: ("anonymous_id", "anonymousid", "client_id", "cid", "cookie_id", "device_id",
                          "visitor_id", "user_pseudo_id", "domain_userid", "geräte_id", "geraete_id"),
    schema.TIMESTAMP: ("timestamp", "time", "event_time", "datetime", "date_time", "zeitstempel",
                       "datum_uhrzeit", "created_at", "occurred_at", "event_timestamp", "ts", "datum"),
    schema.EVENT: ("event", "event_name", "action", "touchpoint", "ereignis", "aktion", "event_type"),
    schema.SOURCE: ("source", "utm_source", "quelle"),
    schema.MEDIUM: ("medium", "utm_medium"),
    schema.CAMPAIGN: ("campaign", "utm_campaign", "campaign_name", "kampagne"),
    schema.REFERRER: ("referrer", "referer", "page_referrer", "document_referrer", "verweis", "verweisquelle"),
    schema.CHANNEL: ("channel", "kanal", "default_channel_group"),
    schema.REVENUE: ("revenue", "value", "umsatz", "amount", "betrag", "order_value", "purchase_revenue",
                     "conversion_value", "value_in_usd", "event_value_in_usd", "order_total", "bestellwert",
                     "umsatz_eur", "bestellwert_eur", "total_revenue"),
    schema.SESSION_ID: ("session_id", "sessionid", "ga_session_id", "domain_sessionid", "sitzungs_id"),
    EVENT_ID: ("event_id", "message_id", "$insert_id", "insert_id", "ereignis_id"),
}

#: Export presets tried before the generic aliases (normalised names, best first).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "ga4": {
        schema.USER_ID: ("user_id",),
        schema.ANONYMOUS_ID: ("user_pseudo_id",),
        schema.TIMESTAMP: ("event_timestamp",),
        schema.EVENT: ("event_name",),
        # traffic_source.* is the user's first acquisition, not this event's: deliberately absent.
        schema.SOURCE: ("collected_traffic_source_manual_source", "event_params_source", "source"),
        schema.MEDIUM: ("collected_traffic_source_manual_medium", "event_params_medium", "medium"),
        schema.CAMPAIGN: ("collected_traffic_source_manual_campaign_name", "event_params_campaign",
                          "campaign"),
        schema.REFERRER: ("event_params_page_referrer", "page_referrer"),
        schema.SESSION_ID: ("event_params_ga_session_id", "ga_session_id"),
        schema.REVENUE: ("ecommerce_purchase_revenue", "event_value_in_usd", "purchase_revenue"),
        EVENT_ID: (),
    },
    "segment": {
        schema.USER_ID: ("user_id",),
        schema.ANONYMOUS_ID: ("anonymous_id",),
        schema.TIMESTAMP: ("timestamp",),
        schema.EVENT: ("segment_event", "event"),
        schema.SOURCE: ("context_campaign_source", "campaign_source"),
        schema.MEDIUM: ("context_campaign_medium", "campaign_medium"),
        schema.CAMPAIGN: ("context_campaign_name", "campaign_name"),
        schema.REFERRER: ("context_page_referrer", "page_referrer", "referrer"),
        schema.REVENUE: ("revenue",),
        EVENT_ID: ("message_id",),
    },
    "mixpanel": {
        schema.USER_ID: ("mixpanel_user_id", "$user_id", "distinct_id"),
        schema.ANONYMOUS_ID: ("mixpanel_device_id", "$device_id"),
        schema.TIMESTAMP: ("mixpanel_time_ms", "time"),
        schema.EVENT: ("event",),
        schema.REFERRER: ("$referrer", "$initial_referrer"),
        EVENT_ID: ("$insert_id",),
    },
    "snowplow": {
        schema.USER_ID: ("user_id",),
        schema.ANONYMOUS_ID: ("domain_userid", "network_userid"),
        schema.TIMESTAMP: ("derived_tstamp", "dvce_created_tstamp", "collector_tstamp"),
        schema.EVENT: ("snowplow_event", "event_name", "se_action"),
        schema.SOURCE: ("mkt_source",),
        schema.MEDIUM: ("mkt_medium",),
        schema.CAMPAIGN: ("mkt_campaign",),
        schema.REFERRER: ("page_referrer",),
        schema.SESSION_ID: ("domain_sessionid",),
        schema.REVENUE: ("tr_total",),
        EVENT_ID: ("event_id",),
    },
    "amplitude": {
        schema.USER_ID: ("user_id",),
        schema.ANONYMOUS_ID: ("device_id",),
        schema.TIMESTAMP: ("event_time",),
        schema.EVENT: ("event_type",),
        # Amplitude's SDKs keep UTM parameters and the referrer as user properties (latest and initial)
        schema.SOURCE: ("event_properties_utm_source", "user_properties_utm_source",
                        "user_properties_initial_utm_source"),
        schema.MEDIUM: ("event_properties_utm_medium", "user_properties_utm_medium",
                        "user_properties_initial_utm_medium"),
        schema.CAMPAIGN: ("event_properties_utm_campaign", "user_properties_utm_campaign",
                          "user_properties_initial_utm_campaign"),
        schema.REFERRER: ("event_properties_referrer", "user_properties_referrer",
                          "user_properties_initial_referrer"),
        schema.SESSION_ID: ("amplitude_session",),
        schema.REVENUE: ("amplitude_revenue",),
        EVENT_ID: ("amplitude_event_key",),
    },
    "adobe": {
        schema.USER_ID: (),
        schema.ANONYMOUS_ID: ("adobe_visitor",),
        schema.TIMESTAMP: ("hit_time_gmt", "date_time"),
        schema.EVENT: ("adobe_event",),
        schema.CAMPAIGN: ("post_campaign", "campaign"),
        schema.REFERRER: ("post_referrer", "referrer"),
        schema.SESSION_ID: ("adobe_visit",),
        schema.REVENUE: ("adobe_revenue",),
        EVENT_ID: ("adobe_event_key",),
    },
}


def detect_mapping(columns: Sequence[str], fmt: Format, *, name: str = "file",
                   fixed: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Return ``{target: source column}`` for the columns a file has, preset first, then aliases.

    Targets in ``fixed`` (the user's own choices) are left out, and so are the columns they name.
    Raises :class:`IngestError` when two columns look like the same field.

    Examples
    --------
    >>> detect_mapping(["Kunden-ID", "Zeitstempel", "Ereignis", "Umsatz"], "generic")
    {'user_id': 'Kunden-ID', 'timestamp': 'Zeitstempel', 'event': 'Ereignis', 'revenue': 'Umsatz'}
    """
    by_norm: dict[str, list[str]] = {}
    for col in columns:
        by_norm.setdefault(normalise(col), []).append(col)
    preset = PRESETS.get(fmt, {})
    fixed = fixed or {}
    taken = {normalise(c) for c in fixed.values() if c is not None}
    used: set[str] = {c for c in columns if c in fixed.values() or normalise(c) in taken}
    out: dict[str, str] = {}
    for target in TARGETS:
        if target in fixed:
            continue
        for cand in (*preset.get(target, ()), *ALIASES.get(target, ())):
            found = [c for c in by_norm.get(cand, []) if c not in used]
            if len(found) > 1:
                raise IngestError(
                    f"{name}: columns {found[0]!r} and {found[1]!r} both look like {target}; pick one "
                    f"under Column mapping or with mapping={{'{target}': '{found[0]}'}}, or rename the other."
                )
            if found:
                out[target] = found[0]
                used.add(found[0])
                break
    return out


def apply_overrides(detected: Mapping[str, str], overrides: Mapping[str, str | None] | None,
                    columns: Sequence[str], *, name: str = "file") -> dict[str, str]:
    """Return the detected mapping with the user's choices applied (``None`` unmaps a target).

    Examples
    --------
    >>> apply_overrides({"user_id": "id"}, {"user_id": "kunde", "event": "typ"}, ["id", "kunde", "typ"])
    {'user_id': 'kunde', 'event': 'typ'}
    """
    out = dict(detected)
    if not overrides:
        return out
    lookup = {normalise(c): c for c in columns}
    for target, col in overrides.items():
        check_choice("mapping target", target, TARGETS, error=IngestError)
        if col is None:
            out.pop(target, None)
            continue
        real = col if col in columns else lookup.get(normalise(col))
        if real is None:
            shown = ", ".join(repr(c) for c in columns[:30])
            raise IngestError(f"{name}: mapping {target!r} → {col!r}, but the file has no such column. "
                              f"Columns: {shown}.")
        for other, src in list(out.items()):
            if src == real and other != target and other not in overrides:
                del out[other]
        out[target] = real
    return out


def check_required(mapping: Mapping[str, str], columns: Sequence[str], *, name: str = "file") -> None:
    """Raise :class:`IngestError` unless timestamp, event and a user or anonymous id are mapped.

    Examples
    --------
    >>> check_required({"timestamp": "t", "event": "e", "user_id": "u"}, ["t", "e", "u"])
    """
    missing = [t for t in schema.REQUIRED if t not in mapping]
    if schema.USER_ID not in mapping and schema.ANONYMOUS_ID not in mapping:
        missing.append(f"{schema.USER_ID} or {schema.ANONYMOUS_ID}")
    if missing:
        shown = ", ".join(repr(c) for c in columns[:30]) or "none"
        raise IngestError(
            f"{name}: no column found for {', '.join(missing)}. Columns in the file: {shown}. "
            f"Choose the column under Column mapping, or pass mapping={{'{missing[0].split()[0]}': '<column>'}}."
        )


def mapping_overview(columns: Sequence[str], overrides: Mapping[str, str | None] | None = None, *,
                     fmt: str | None = None) -> pl.DataFrame:
    """The whole mapping the user's choices and the detection give together: one row per target.

    ``origin`` is ``chosen`` (the user's pick), ``detected`` or ``not mapped``; a choice naming a column the files
    do not have is ignored (detection applies), so a placeholder can never become a column name. ``fmt`` is the
    detected export format when known (else it is detected from ``columns``).

    Examples
    --------
    >>> picks = {"event": "interaction", "user_id": "(detected: nothing)"}  # a placeholder is ignored
    >>> overview = mapping_overview(["Kunden-ID", "Zeitstempel", "interaction", "Umsatz"], picks)
    >>> for row in overview.filter(pl.col("column").is_not_null()).select("target", "column", "origin").rows():
    ...     print(row)
    ('user_id', 'Kunden-ID', 'detected')
    ('timestamp', 'Zeitstempel', 'detected')
    ('event', 'interaction', 'chosen')
    ('revenue', 'Umsatz', 'detected')
    """
    known = {normalise(c): c for c in columns}
    picks = {t: (None if c is None else known.get(normalise(c))) for t, c in (overrides or {}).items()
             if t in TARGETS and (c is None or normalise(c) in known)}
    if fmt is None:
        try:
            fmt = detect_format(columns).format
        except IngestError:  # an export that cannot be mapped as is: show what the aliases find
            fmt = "generic"
    try:
        found = detect_mapping(columns, fmt, fixed=picks)  # type: ignore[arg-type]
    except IngestError:  # two columns look alike: the user must choose; show none detected for that target
        found = {}
    need = {schema.TIMESTAMP: "yes", schema.EVENT: "yes", schema.USER_ID: "this or anonymous_id",
            schema.ANONYMOUS_ID: "this or user_id"}
    rows = []
    for target in TARGETS:
        if target in picks:
            column, origin = picks[target], "chosen" if picks[target] is not None else "not mapped"
        else:
            column = found.get(target)
            origin = "detected" if column is not None else "not mapped"
        rows.append({"target": target, "column": column, "origin": origin, "required": need.get(target, "")})
    return pl.DataFrame(rows, schema={"target": pl.String, "column": pl.String, "origin": pl.String,
                                      "required": pl.String})
