"""load_people: CRM and shop exports into people records, events and a report; e-mails and phones hashed at load."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from analysis.errors import IngestError
from analysis.ingest import peek_columns
from analysis.ingest._examples import EXAMPLES
from analysis.ingest._people import file_kind, load_people
from analysis.privacy.text import pseudonymise

KEY = b"k" * 32
LENIENT = 0.5  # the CRM fixture's last record has no identifier: 1 of 4 rows
CRM = ("Kundennummer;E-Mail;Telefon;Segment;Lebenszyklus;Kunde seit;Kundenwert\r\n"
       "K1; Anna.Muster@Example.DE ;+49 171 1234567;Stammkunde;Kunde;15.03.2024;1.234,50\r\n"
       "K2;bernd@beispiel.de;0049 (0)30 98765;Neukunde;Lead;;12,00\r\n"
       "K3;keine-adresse;0171/1234567;Gelegenheitskäufer;Kunde;01.02.2025;7,50\r\n"
       ";;;Neukunde;Lead;;1,00\r\n").encode("cp1252")
ORDERS = (b"Order ID,Customer Account,Email,Created at,Total\n"
          b"#1,u1,anna.muster@example.de,2026-09-02T10:00:00Z,99.90\n"
          b"#2,,BERND@beispiel.de,2026-09-03T11:30:00Z,15.00\n")


def _hash(value: str) -> str:
    return pseudonymise(pl.Series([value]), KEY)[0]


def test_german_crm_export_maps_identifiers_and_keeps_attributes() -> None:
    result = load_people(("crm.csv", CRM), key=KEY, max_rejected_share=LENIENT)
    assert result.report.mapping == {"customer_id": "Kundennummer", "email": "E-Mail", "phone": "Telefon",
                                     "customer_since": "Kunde seit"}
    assert result.people is not None
    assert result.people.columns == ["customer_id", "email", "phone", "Segment", "Lebenszyklus", "Kundenwert",
                                     "source_file"]
    assert result.people["Segment"].to_list() == ["Stammkunde", "Neukunde", "Gelegenheitskäufer"]
    assert result.people["Kundenwert"].to_list() == [1234.5, 12.0, 7.5]
    assert result.report.files[0].encoding == "cp1252"


def test_emails_and_phones_are_normalised_then_hashed_with_the_key() -> None:
    people = load_people(("crm.csv", CRM), key=KEY, max_rejected_share=LENIENT).people
    assert people is not None
    assert people["email"].to_list() == [_hash("anna.muster@example.de"), _hash("bernd@beispiel.de"), None]
    # +49 171 …, 0171/… are one number; 0049 (0)30 … keeps its digits in international form
    assert people["phone"].to_list() == [_hash("491711234567"), _hash("4903098765"), _hash("491711234567")]


def test_raw_addresses_and_numbers_appear_nowhere_in_the_result() -> None:
    result = load_people(("crm.csv", CRM), key=KEY, max_rejected_share=LENIENT)
    assert result.people is not None
    texts = [repr(result.report), result.report.rejected_rows.write_csv(), result.report.reasons().write_csv(),
             result.people.write_csv(), result.events.write_csv()]
    for text in texts:
        assert not re.search(r"(?i)muster|bernd|keine-adresse|1234567|98765", text), text


def test_a_record_without_any_identifier_is_rejected_with_its_line() -> None:
    report = load_people(("crm.csv", CRM), key=KEY, max_rejected_share=LENIENT).report.files[0]
    assert (report.rows_read, report.kept, report.repaired, report.rejected) == (4, 2, 1, 1)
    assert report.rejected_by_reason == {"missing_person_id": 1}
    assert report.examples["missing_person_id"][0].line == 5
    assert report.repaired_by_reason == {"bad_email": 1}


def test_too_many_unreadable_records_fail_with_the_reason() -> None:
    with pytest.raises(IngestError, match=r"crm.csv: 1 of 4 rows .* no identifier"):
        load_people(("crm.csv", CRM), key=KEY)


def test_lifecycle_and_orders_become_events_on_the_record_identifiers() -> None:
    crm = load_people(("crm.csv", CRM), key=KEY, max_rejected_share=LENIENT)
    assert crm.events.select("customer_id", "event", pl.col("timestamp").dt.date()).rows() == [
        ("K1", "became_customer", date(2024, 3, 15)), ("K3", "became_customer", date(2025, 2, 1))
    ]
    shop = load_people(("orders.csv", ORDERS), key=KEY)
    assert shop.report.files[0].format == "orders"
    assert shop.events.select("user_id", "email", "event", "revenue", "event_id").rows() == [
        ("u1", _hash("anna.muster@example.de"), "purchase", 99.9, "#1"),
        (None, _hash("bernd@beispiel.de"), "purchase", 15.0, "#2"),
    ]


def test_a_file_without_identifier_columns_says_which_columns_it_has() -> None:
    with pytest.raises(IngestError, match=r"segments.csv: no identifier column found .*'Segment', 'Wert'"):
        load_people(("segments.csv", b"Segment,Wert\nA,1\n"), key=KEY)


def test_the_mapping_can_name_the_identifier() -> None:
    result = load_people(("segments.csv", b"Nr,Segment\n7,A\n"), key=KEY, mapping={"customer_id": "Nr"})
    assert result.people is not None and result.people["customer_id"].to_list() == ["7"]


def test_duplicate_records_are_counted_and_dropped() -> None:
    data = b"Kundennummer,Segment\nK1,A\nK1,A\nK2,B\n"
    result = load_people(("crm.csv", data), key=KEY)
    assert result.people is not None and result.people.height == 2
    assert result.report.files[0].duplicates == 1


def test_conflicting_attribute_values_of_one_person_are_counted() -> None:
    data = b"Kundennummer,Segment\nK1,A\nK1,B\nK2,B\n"
    notes = load_people(("crm.csv", data), key=KEY).report.files[0].notes
    assert any(n.startswith("Segment: 1 people have records with different values") for n in notes)


def test_personal_attribute_columns_are_left_out_unless_kept() -> None:
    data = "Kundennummer;Vorname;Segment\nK1;Anna;A\n".encode("cp1252")
    result = load_people(("crm.csv", data), key=KEY)
    assert result.people is not None and "Vorname" not in result.people.columns
    assert result.report.dropped_columns == ("Vorname",)
    kept = load_people(("crm.csv", data), key=KEY, keep_personal=["Vorname"]).people
    assert kept is not None and kept["Vorname"].to_list() == ["Anna"]


def test_event_exports_and_people_exports_are_told_apart_by_their_columns() -> None:
    for name, make in EXAMPLES.items():
        columns = next(iter(peek_columns((name, make())).values()))
        assert file_kind(columns) == "events", name
    assert file_kind(["Kundennummer", "E-Mail", "Telefon", "Segment"]) == "people"
    assert file_kind(["Order ID", "Customer Account", "Email", "Created at", "Total"]) == "people"
    assert file_kind(["user_id", "segment"]) == "people"
    assert file_kind(["user_id", "timestamp", "page"]) == "events"  # an event file missing its event column


def test_orders_and_lifecycle_events_are_offline() -> None:
    raw = ("Order ID,Customer Account,Email,Created at,Total\n#1,anna,anna@example.de,2026-03-04T10:00:00Z,80.00\n")
    events = load_people(("orders.csv", raw.encode()), key=b"k" * 32).events
    assert events.select("event", "channel", "revenue").rows() == [("purchase", "Offline", 80.0)]
