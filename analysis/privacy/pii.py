"""Personal-data detection: columns flagged by header name (English and German) or by their values.

Flagged columns never reach an export. Value patterns follow the research brief (section 4): e-mail, phone,
IPv4/IPv6; a column is flagged when at least ``threshold`` of a sample of its non-null values match. A phone number
must be written as one is dialled (``+``, a leading ``0``, an area code in brackets or ``555-123-4567``): dates
(``20201210``, ``01.03.2025``), epochs, decimals and numeric order, transaction or client ids never count. Precision
and recall on a labelled set of real export columns: docs/decisions/0012-vendor-export-formats.md.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

import polars as pl

from analysis import schema as s

#: Person and device identifiers: never exported, not even pseudonymised.
IDENTIFIER_COLUMNS = frozenset({s.USER_ID, s.ANONYMOUS_ID, s.SESSION_ID, "event_id", "client_id", "device_id",
                                "customer_id", "kunden_id", "kundennummer", "person", "visitor_id", "cookie_id"})

# Unambiguous tokens: flag when any part of the (normalised) header is one of them.
_TOKENS = frozenset({
    "email", "e_mail", "emailadresse", "phone", "telephone", "telefon", "telefonnummer", "mobilnummer",
    "handynummer", "vorname", "nachname", "surname", "firstname", "lastname", "fullname", "username",
    "anschrift", "strasse", "street", "postleitzahl", "postcode", "zipcode", "geburtsdatum", "geburtstag",
    "birthday", "birthdate", "iban", "bic", "kreditkarte", "creditcard", "passport", "reisepass", "ssn",
    "steuernummer", "steuerid", "password", "passwort", "ipaddress", "ipadresse", "ipaddr",
})
# Ambiguous words: flag only when they are the whole header ("name" yes, "campaign_name" no).
_WHOLE = frozenset({"name", "mail", "tel", "ip", "str", "zip", "plz", "address", "adresse", "mobile", "mobil",
                    "handy", "fax", "dob", "ort", "wohnort", "ip_adresse", "ip_address", "ip_addr", "client_ip"})
_NAME_COMPOSITE = re.compile(r"^(traits_|properties_|user_properties_)?"
                             r"(first|last|full|given|family|customer|user|contact|kunden|vor|nach|sur)?_?name$")

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PHONE = r"^\+?[\d\s().\-/]{7,20}$"
# A phone number is written the way people dial it: "+49 …", a trunk "0…", "(030) …" or the US "555-123-4567".
# Bare digit runs are dates (20201210), epochs (1607615248), order or transaction numbers: never phones.
_DIALLED = (r"^(\+\d|0[1-9]|00[1-9]|\(\d{2,5}\)\s?\d)|^\d{3}[-. ]\d{3}[-. ]\d{4}$")
_NOT_PHONE = (r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$"  # dates: 01.03.2025, 2025/03/01, 10-12-20
              r"|^-?\d+[.,]\d+$"  # decimals and GA4 client ids (1234567.1607615248)
              r"|^\d{1,3}([.,]\d{3})+([.,]\d+)?$"  # grouped amounts: 1.234.567,89
              r"|^\d{1,3}(\.\d{1,3}){3}$")  # IPv4 addresses
_IPV4 = r"^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$"
_IPV6_SHAPE = r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$"


def normalise_header(name: str) -> str:
    """Lower-case ASCII with umlauts spelt out and every other run of symbols as ``_`` ("Straße" -> "strasse")."""
    text = name.strip().lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def header_reason(name: str) -> str | None:
    """Why a header looks like personal data or an identifier, or None.

    Examples
    --------
    >>> [header_reason(h) is not None for h in ["E-Mail", "Telefon", "Straße", "campaign_name", "Name"]]
    [True, True, True, False, True]
    """
    norm = normalise_header(name)
    if name in IDENTIFIER_COLUMNS or norm in IDENTIFIER_COLUMNS:
        return "identifier column"
    squashed = norm.replace("_", "")
    tokens = set(norm.split("_"))
    if norm in _WHOLE or squashed in _WHOLE or _NAME_COMPOSITE.match(norm):
        return f"header {name!r} names personal data"
    if tokens & _TOKENS or squashed in _TOKENS or any(t in squashed for t in ("email", "telefon", "phone")):
        return f"header {name!r} names personal data"
    return None


def value_patterns(column: str) -> dict[str, pl.Expr]:
    """Boolean expressions: does each value look like an e-mail, phone number, IPv4 or IPv6 address?"""
    col = pl.col(column).str.strip_chars()
    digits = col.str.count_matches(r"\d")
    return {
        "e-mail addresses": col.str.contains(_EMAIL),
        "phone numbers": (col.str.contains(_PHONE) & (digits >= 7) & (digits <= 15) & col.str.contains(_DIALLED)
                          & ~col.str.contains(_NOT_PHONE) & ~col.str.contains(r"^\d{4}-\d{2}-\d{2}")),
        "IPv4 addresses": col.str.contains(_IPV4),
        "IPv6 addresses": col.str.contains(_IPV6_SHAPE) & (col.str.count_matches(":") >= 2),
    }


def _valid_ipv6(values: list[str]) -> list[bool]:
    out = []
    for value in values:
        try:
            out.append(isinstance(ipaddress.ip_address(value.strip()), ipaddress.IPv6Address))
        except ValueError:
            out.append(False)
    return out


def detect_pii_columns(frame: pl.DataFrame, *, sample_size: int = 1_000, threshold: float = 0.3) -> dict[str, str]:
    """Columns that look like personal data or identifiers, with the reason for each.

    A column is flagged by its header (``E-Mail``, ``Telefon``, ``Vorname``, ``Nachname``, ``Name``,
    ``Anschrift``, ``Straße``, ``PLZ``, ``IP-Adresse``, ``email``, ``phone`` ...), as an identifier
    (``user_id``, ``anonymous_id`` ...), or when at least ``threshold`` of the first ``sample_size`` non-null
    values of a String column look like e-mail addresses, phone numbers or IP addresses.

    Examples
    --------
    >>> df = pl.DataFrame({"Vorname": ["Anna"], "event": ["x"], "contact": ["a@b.de"], "n": [1]})
    >>> sorted(detect_pii_columns(df))
    ['Vorname', 'contact']
    """
    found: dict[str, str] = {}
    for name, dtype in frame.schema.items():
        reason = header_reason(name)
        if reason is not None:
            found[name] = reason
            continue
        if dtype != pl.String:
            continue
        sample = frame.select(pl.col(name).drop_nulls().head(sample_size))
        if sample.height == 0:
            continue
        rates = sample.select(**{k: e.mean() for k, e in value_patterns(name).items()}).row(0, named=True)
        if rates["IPv6 addresses"]:  # the shape regex is loose; confirm with the standard library
            shaped = sample.filter(value_patterns(name)["IPv6 addresses"])[name].to_list()
            rates["IPv6 addresses"] = sum(_valid_ipv6(shaped)) / sample.height
        hits = {k: v for k, v in rates.items() if v is not None and v >= threshold}
        if hits:
            kind, rate = max(hits.items(), key=lambda kv: kv[1])
            found[name] = f"{rate:.0%} of sampled values look like {kind}"
    return found


def redact_values(column: str, *, placeholder: str = "[redacted]") -> pl.Expr:
    """Replace single values that look like e-mail, phone or IP addresses (labels about to be published)."""
    looks_personal = pl.any_horizontal(*value_patterns(column).values())
    return pl.when(looks_personal).then(pl.lit(placeholder)).otherwise(pl.col(column)).alias(column)
