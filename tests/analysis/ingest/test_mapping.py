from __future__ import annotations

import pytest

from analysis.errors import IngestError
from analysis.ingest._mapping import apply_overrides, check_required, detect_mapping


def test_german_headers_map_by_alias() -> None:
    cols = ["Kundennummer", "Zeitstempel", "Ereignis", "Quelle", "Kampagne", "Umsatz", "Notiz"]
    assert detect_mapping(cols, "generic") == {
        "user_id": "Kundennummer", "timestamp": "Zeitstempel", "event": "Ereignis", "source": "Quelle",
        "campaign": "Kampagne", "revenue": "Umsatz",
    }


def test_ga4_preset_takes_event_level_source_not_first_acquisition() -> None:
    cols = ["event_timestamp", "event_name", "user_pseudo_id", "traffic_source.source",
            "collected_traffic_source.manual_source", "event_params.ga_session_id"]
    found = detect_mapping(cols, "ga4")
    assert found["source"] == "collected_traffic_source.manual_source"
    assert found["anonymous_id"] == "user_pseudo_id"
    assert found["session_id"] == "event_params.ga_session_id"


def test_mixpanel_preset_uses_insert_id_for_dedupe() -> None:
    found = detect_mapping(["event", "time", "distinct_id", "$insert_id", "$device_id"], "mixpanel")
    assert found == {"user_id": "distinct_id", "anonymous_id": "$device_id", "timestamp": "time",
                     "event": "event", "event_id": "$insert_id"}


def test_two_columns_for_one_field_ask_to_pick_one() -> None:
    with pytest.raises(IngestError, match=r"columns 'User ID' and 'user_id' both look like user_id; pick one"):
        detect_mapping(["User ID", "user_id", "timestamp", "event"], "generic", name="x.csv")


def test_overrides_replace_unmap_and_match_loosely() -> None:
    found = {"user_id": "id", "revenue": "value"}
    out = apply_overrides(found, {"user_id": "KUNDE", "revenue": None, "event": "typ"}, ["id", "Kunde", "typ"])
    assert out == {"user_id": "Kunde", "event": "typ"}


def test_override_of_a_missing_column_lists_the_columns() -> None:
    with pytest.raises(IngestError, match=r"x\.csv: mapping 'event' → 'nope', but the file has no such column\. "
                                          r"Columns: 'a', 'b'"):
        apply_overrides({}, {"event": "nope"}, ["a", "b"], name="x.csv")


def test_override_of_an_unknown_target_lists_targets() -> None:
    with pytest.raises(IngestError, match=r"mapping target='kunde' is not valid; choose one of user_id, "):
        apply_overrides({}, {"kunde": "a"}, ["a"])


def test_override_moves_a_column_to_a_new_target() -> None:
    assert apply_overrides({"user_id": "a", "event": "b"}, {"anonymous_id": "a"}, ["a", "b"]) == {
        "event": "b", "anonymous_id": "a"}


def test_required_fields_missing_are_named_with_the_columns() -> None:
    with pytest.raises(IngestError, match=r"x\.csv: no column found for event, user_id or anonymous_id\. "
                                          r"Columns in the file: 'when'"):
        check_required({"timestamp": "when"}, ["when"], name="x.csv")
