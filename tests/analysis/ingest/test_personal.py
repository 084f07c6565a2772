"""Personal-data columns are flagged at load and left out unless the user keeps them; no row is lost for them."""

from __future__ import annotations

import pytest

from analysis.ingest import load_events

CRM = (
    "Kundennummer;Zeitstempel;Ereignis;E-Mail;Telefon;Vorname;Notiz;Gerät\n"
    "00123;01.03.2025 10:00;Seitenaufruf;anna@example.de;+49 30 1234567;Anna;a@b.de;mobil\n"
    "00456;02.03.2025 09:30;Kauf;ben@example.de;+49 40 7654321;Ben;c@d.de;desktop\n"
).encode()


def test_personal_columns_are_flagged_with_the_reason() -> None:
    report = load_events(("crm.csv", CRM)).report
    assert sorted(report.personal_columns) == ["E-Mail", "Notiz", "Telefon", "Vorname"]
    assert "values look like e-mail addresses" in report.personal_columns["Notiz"]
    assert "header 'Vorname'" in report.personal_columns["Vorname"]


def test_personal_columns_are_left_out_by_default_and_rows_are_all_kept() -> None:
    result = load_events(("crm.csv", CRM))
    assert result.report.dropped_columns == ("E-Mail", "Telefon", "Vorname", "Notiz")
    assert "Gerät" in result.events.columns
    assert not {"E-Mail", "Telefon", "Vorname", "Notiz"} & set(result.events.columns)
    assert (result.report.rows_read, result.report.kept) == (2, 2)


@pytest.mark.parametrize(("keep", "kept_columns"), [(["Telefon"], {"Telefon"}),
                                                    (True, {"E-Mail", "Telefon", "Vorname", "Notiz"})])
def test_the_user_can_keep_personal_columns(keep: bool | list[str], kept_columns: set[str]) -> None:
    result = load_events(("crm.csv", CRM), keep_personal=keep)
    assert kept_columns <= set(result.events.columns)
    assert set(result.report.dropped_columns) == {"E-Mail", "Telefon", "Vorname", "Notiz"} - kept_columns


def test_canonical_ids_are_never_dropped() -> None:
    result = load_events(("crm.csv", CRM))
    assert result.events["user_id"].to_list() == ["00123", "00456"]


def test_report_lists_personal_columns_and_what_was_left_out() -> None:
    table = load_events(("crm.csv", CRM), keep_personal=["Notiz"]).report.personal()
    assert table.select("column", "left_out").rows() == [
        ("E-Mail", True), ("Telefon", True), ("Vorname", True), ("Notiz", False)]
