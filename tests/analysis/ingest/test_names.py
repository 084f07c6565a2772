from __future__ import annotations

from analysis.ingest._names import display_name, slug


def test_display_name_strips_bidi_and_control_characters() -> None:
    assert display_name("inv\u202eoice\x00.csv") == "invoice.csv"


def test_display_name_caps_length_at_120_characters() -> None:
    shown = display_name("a" * 500 + ".csv")
    assert len(shown) == 120 and shown.endswith("…")


def test_display_name_of_nothing_is_upload() -> None:
    assert display_name("") == "upload"


def test_slug_drops_path_parts_and_odd_characters() -> None:
    assert slug("../../etc/passwd.csv") == "passwd.csv"
    assert slug("C:\\Users\\x\\my report (1).csv") == "my_report_1_.csv"


def test_slug_never_empty_or_hidden() -> None:
    assert slug("...") == "file"
    assert slug(".bashrc") == "bashrc"
