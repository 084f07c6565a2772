"""Personal-data detection on a labelled set of real export columns: precision and recall, and no phone false
positives on dates, epochs, numeric ids or transaction ids (figures stated in docs/decisions/0012)."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.privacy.pii import detect_pii_columns

# (header as the export writes it, sample values, personal?) — headers and value shapes from GA4 BigQuery,
# Mixpanel, Amplitude, Segment, Snowplow, Adobe data feeds and German shop/CRM exports.
LABELLED: list[tuple[str, list[str], bool]] = [
    ("event_date", ["20201210", "20201211", "20210131"], False),
    ("event_timestamp", ["1607615248873729", "1607615348000000"], False),
    ("user_pseudo_id", ["1234567.1607615248", "98765.1607001122"], False),
    ("event_params.ga_session_id", ["1607615248", "1607001122"], False),
    ("event_params.transaction_id", ["48829", "100234", "7719"], False),
    ("ecommerce.transaction_id", ["(not set)", "48829", "9981234567"], False),
    ("event_params.page_location", ["https://shop.googlemerchandisestore.com/", "https://shop.example/p/1"], False),
    ("geo.city", ["Berlin", "Mountain View"], False),
    ("device.category", ["desktop", "mobile"], False),
    ("properties.time", ["1618716477", "1618716477000"], False),
    ("properties.$insert_id", ["29fc2962-6d9c-455d-95ad-95b84f09b9e4"], False),
    ("properties.mp_lib", ["web", "iphone"], False),
    ("amplitude_id", ["501234567890", "501234567891"], False),
    ("session_id", ["1740823200000", "-1"], False),
    ("event_time", ["2025-03-01 10:00:00.000000"], False),
    ("messageId", ["ajs-f8ca1e4de5024d9430b3928bd8ac6b96"], False),
    ("receivedAt", ["2015-02-23T22:28:55.387Z"], False),
    ("domain_sessionidx", ["1", "2", "14"], False),
    ("collector_tstamp", ["2025-03-01 10:00:01.000"], False),
    ("tr_orderid", ["100234567", "100234568"], False),
    ("post_visid_high", ["3027264578953041920"], False),
    ("hit_time_gmt", ["1740823200", "1740823260"], False),
    ("date_time", ["2025-03-01 11:00:00"], False),
    ("Bestellnummer", ["100234567", "100234568"], False),
    ("Datum", ["01.03.2025", "02.03.2025"], False),
    ("Umsatz", ["1.234,56", "89,90"], False),
    ("order_total", ["1234567.89", "12.5"], False),
    ("campaign_name", ["spring_sale"], False),
    ("Artikelnummer", ["4006381333931", "4006381333948"], False),  # EAN-13 codes
    ("zip_code_of_store", ["10115"], False),  # a branch's postcode, not a person's
    # personal data
    ("traits.email", ["peter@example.com", "anna@example.de"], True),
    ("E-Mail", ["anna@example.de"], True),
    ("contact", ["a@b.de", "c@d.com"], True),
    ("traits.phone", ["+1 555 123 4567", "+49 171 2345678"], True),
    ("Telefon", ["030 1234567", "0171/2345678"], True),
    ("Handynummer", ["01712345678", "01761234567"], True),
    ("Rückruf", ["+49 30 1234567", "(030) 1234567"], True),  # header says nothing: found by values
    ("us_contact", ["(555) 123-4567", "555-123-4567"], True),
    ("context.ip", ["8.8.8.8", "203.0.113.9"], True),
    ("user_ipaddress", ["203.0.113.9", "198.51.100.7"], True),
    ("ip_address", ["2001:db8::1", "2001:db8::2"], True),
    ("client_addr", ["2001:db8::ff00:42:8329"], True),
    ("traits.name", ["Peter Gibbons"], True),
    ("Vorname", ["Anna"], True),
    ("Nachname", ["Schmidt"], True),
    ("Name", ["Anna Schmidt"], True),
    ("Straße", ["Hauptstr. 1"], True),
    ("PLZ", ["10115"], True),
]


def _frame() -> pl.DataFrame:
    longest = max(len(v) for _, v, _ in LABELLED)
    return pl.DataFrame({h: (v * longest)[:longest] for h, v, _ in LABELLED})


def _flagged() -> set[str]:
    found = detect_pii_columns(_frame())
    return {c for c, why in found.items() if why != "identifier column"}


def test_precision_and_recall_on_the_labelled_columns() -> None:
    flagged = _flagged()
    personal = {h for h, _, p in LABELLED if p}
    tp, fp, fn = len(flagged & personal), len(flagged - personal), len(personal - flagged)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    # stated in docs/decisions/0012-vendor-export-formats.md: 18 personal and 30 other columns
    assert (len(personal), len(LABELLED) - len(personal)) == (18, 30)
    assert (precision, recall) == (1.0, 1.0), (flagged - personal, personal - flagged)


@pytest.mark.parametrize("header", ["event_date", "event_timestamp", "properties.time", "tr_orderid",
                                    "event_params.transaction_id", "Bestellnummer", "Datum", "amplitude_id"])
def test_dates_epochs_and_numeric_ids_are_never_phone_numbers(header: str) -> None:
    values = next(v for h, v, _ in LABELLED if h == header)
    assert detect_pii_columns(pl.DataFrame({header: values})) == {}
