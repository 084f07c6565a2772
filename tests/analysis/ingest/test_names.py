from __future__ import annotations

from analysis.ingest._names import display_name


def test_display_name_strips_bidi_and_control_characters() -> None:
    assert display_name("inv\u202eoice\x00.csv") == "invoice.csv"


def test_display_name_caps_length_at_120_characters() -> None:
    shown = display_name("a" * 500 + ".csv")
    assert len(shown) == 120 and shown.endswith("…")


def test_display_name_of_nothing_is_upload() -> None:
    assert display_name("") == "upload"
