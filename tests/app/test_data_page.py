"""The Data page: sample at start, uploads (one or many), the report, the mapping editor, activation."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from analysis.ingest import EXAMPLES
from analysis.ingest import _files as files
from tests.analysis.ingest.files import xlsx_bytes, zip_bytes
from tests.app.apptest import APP
from ui import ingest, state
from ui.data import SAMPLE_NAME


def app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key=ingest.UPLOADER).set_value([(name, data, "text/csv") for name, data in files])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame_with(at: AppTest, column: str) -> Any:
    """The first table on the page that has ``column`` (tables carry no keys in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def canonical_preview(at: AppTest) -> Any:
    """The preview of the loaded canonical events (the last table with an event column)."""
    return [d.value for d in at.dataframe if "event" in d.value.columns][-1]


def summary_frame(at: AppTest) -> Any:
    return frame_with(at, "rows_read")


def texts(at: AppTest) -> list[str]:
    """Literal texts of the main area (the sidebar's dataset name is not part of the page)."""
    return [t.value for t in at.main.text]


def shown(message: str, at: AppTest) -> bool:
    return any(message in text for text in texts(at))


def test_the_sample_is_shown_at_start() -> None:
    at = app()
    assert at.title[0].value == "Data"
    assert texts(at)[0] == SAMPLE_NAME
    assert int(at.metric[0].value.replace(",", "")) > 1000
    assert at.info[0].value.startswith("The bundled sample is active")


def test_uploading_two_files_shows_report_and_activates_them() -> None:
    at = upload(app(), ("kunden.csv", EXAMPLES["kunden_export_excel.csv"]()),
                ("mp.csv", EXAMPLES["mixpanel_export.csv"]()))
    shown = texts(at)
    assert "kunden.csv: Umsatz read with decimal comma (1.234,56 → 1234.56)" in shown
    assert "mp.csv, time column mixpanel.time_ms: milliseconds since 1 Jan 1970" in " ".join(shown)  # s and ms alike
    summary = summary_frame(at)
    assert summary["rows_read"].tolist() == [3, 3] and summary["format"].tolist() == [
        "Other (read by its column names)", "Mixpanel"]
    assert at.download_button(key="data.rejected_download").proto.disabled
    at.button(key="data.activate").click().run()
    active = at.session_state[state.DATASET]
    assert (active.name, active.events.height) == ("2 files: kunden.csv, mp.csv", 6)
    assert texts(at)[0] == "2 files: kunden.csv, mp.csv"


def test_rejected_rows_are_counted_and_downloadable() -> None:
    rows = "".join(f"u{i},2025-01-01T00:00:00Z,view\n" for i in range(30))
    data = f"user_id,timestamp,event\n,2025-01-01T00:00:00Z,lost\n{rows}".encode()
    at = upload(app(), ("ids.csv", data))
    reasons = frame_with(at, "reason")
    assert reasons[["reason", "rows", "line"]].values.tolist() == [["no user_id or anonymous_id", 1, 2]]
    assert not at.download_button(key="data.rejected_download").proto.disabled


def test_personal_data_columns_are_shown_and_left_out_unless_kept() -> None:
    crm = b"user_id,timestamp,event,E-Mail\nu1,2025-01-01T00:00:00Z,view,anna@example.de\n"
    at = upload(app(), ("crm.csv", crm))
    assert frame_with(at, "why")["column"].tolist() == ["E-Mail"]
    assert "E-Mail" not in canonical_preview(at).columns
    at.multiselect(key=ingest.KEEP_PERSONAL).set_value(["E-Mail"]).run()
    assert "E-Mail" in canonical_preview(at).columns


def test_a_workbook_named_csv_shows_what_to_do() -> None:
    at = upload(app(), ("events.csv", xlsx_bytes()))
    assert at.error, "an error box is expected"
    assert shown("events.csv is an Excel workbook, not CSV. In Excel use File → Save As → 'CSV UTF-8'", at)
    assert [b.key for b in at.button].count("data.activate") == 0


def test_too_many_rejected_rows_show_the_report_and_the_reason() -> None:
    data = b"user_id,timestamp,event\nu,2025-01-01T00:00:00Z,v\n,2025-01-01T00:00:00Z,v\n"
    at = upload(app(), ("half.csv", data))
    assert any(t.startswith("half.csv: 1 of 2 rows (50.0%) cannot be read") for t in texts(at))
    assert summary_frame(at)["rejected"].tolist() == [1]


def test_editing_the_mapping_reloads_with_the_choice() -> None:
    at = upload(app(), ("snow.csv", EXAMPLES["snowplow_events.csv"]()))
    assert "snow.csv, time column derived_tstamp: like 2025-03-21 14:05:09.250+01:00" in texts(at)
    at.selectbox(key=ingest.mapping_key("timestamp")).set_value("collector_tstamp").run()
    assert not at.exception
    assert "snow.csv, time column collector_tstamp: like 2025-03-21 14:05:09.250+01:00" in texts(at)


def test_ambiguous_dates_ask_and_the_option_answers() -> None:
    data = b"user_id,timestamp,event\nu,01/02/2025 10:00,v\nw,03/04/2025 11:00,v\n"
    at = upload(app(), ("us.csv", data))
    assert shown("date_order='DMY'", at)
    at.radio(key="data.date_order").set_value("MDY").run()
    assert not at.error
    assert summary_frame(at)["kept"].tolist() == [2]


def test_hostile_file_name_is_shown_cleaned() -> None:
    at = upload(app(), ("../../etc/pass\u202ewd.csv", EXAMPLES["mixpanel_export.csv"]()))
    assert summary_frame(at)["file"].tolist() == ["../../etc/passwd.csv"]


def test_the_same_upload_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = ingest.load_events

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "load_events", counting)
    data = EXAMPLES["segment_tracks.csv"]() + b"m-9,track,a-9,,Once,2025-03-02T10:00:00Z,,,,,\n"
    at = upload(app(), ("seg.csv", data))
    at.run()
    at.run()
    assert len(calls) == 1


def test_back_to_the_sample() -> None:
    at = upload(app(), ("mp.csv", EXAMPLES["mixpanel_export.csv"]()))
    at.button(key="data.activate").click().run()
    at.button(key="data.use_sample").click().run()
    assert texts(at)[0] == SAMPLE_NAME


def test_a_zip_with_two_files_asks_and_the_member_option_answers() -> None:
    data = zip_bytes({"a.csv": EXAMPLES["mixpanel_export.csv"](), "b.csv": EXAMPLES["segment_tracks.csv"]()})
    at = upload(app(), ("both.zip", data))
    assert shown("both.zip holds 2 files ('a.csv', 'b.csv'); choose one", at)
    at.text_input(key="data.zip_member").set_value("b.csv").run()
    assert not at.error
    assert summary_frame(at)["file"].tolist() == ["both.zip:b.csv"]


def test_activating_an_upload_releases_the_uploader_and_keeps_its_report() -> None:
    at = upload(app(), ("mp.csv", EXAMPLES["mixpanel_export.csv"]()))
    at.button(key="data.activate").click().run()
    assert not at.exception
    # a fresh, empty uploader replaces the one that held the bytes, so Streamlit lets them go
    assert [u.key for u in at.file_uploader] == [f"{ingest.UPLOADER}.1"]
    assert not at.file_uploader(key=f"{ingest.UPLOADER}.1").value
    assert not [d for d in at.dataframe if "rows_read" in d.value.columns]  # the report waits in a closed expander
    at.session_state["data.report_open"] = True  # the user opens "Load report of the active dataset"
    at.run()
    assert summary_frame(at)["file"].tolist() == ["mp.csv"]
    assert texts(at)[0] == "mp.csv"


def test_the_mapping_shows_which_column_was_detected() -> None:
    at = upload(app(), ("kunden.csv", EXAMPLES["kunden_export_excel.csv"]()))
    overview = frame_with(at, "origin")
    assert overview.set_index("target").loc["user_id", ["column", "origin"]].tolist() == ["Kundennummer", "detected"]
    assert overview.set_index("target").loc["referrer", "origin"] == "not mapped"
    # the choices read the same whatever was detected: a label never becomes a value
    assert at.selectbox(key=ingest.mapping_key("referrer")).options[:2] == ["(as detected)", "(not mapped)"]


def test_picking_one_column_after_another_merges_with_the_detection() -> None:
    # the issue: event = interaction, then revenue, sent "(detected: nothing)" as user_id, timestamp and channel
    data = b"user_id,timestamp,interaction,Warenkorb\nu,2025-03-01T10:00:00Z,view,\nu,2025-03-01T10:05:00Z,buy,12.5\n"
    at = upload(app(), ("events.csv", data))
    assert shown("no column found for event", at)
    at.selectbox(key=ingest.mapping_key("event")).set_value("interaction").run()
    at.selectbox(key=ingest.mapping_key("revenue")).set_value("Warenkorb").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    overview = frame_with(at, "origin").set_index("target")
    assert overview.loc[["user_id", "timestamp", "event", "revenue"], "column"].tolist() == [
        "user_id", "timestamp", "interaction", "Warenkorb"]
    assert overview.loc[["user_id", "event", "revenue"], "origin"].tolist() == ["detected", "chosen", "chosen"]
    assert canonical_preview(at)["revenue"].tolist()[-1] == "12.50"  # shown as money text


def test_a_stale_choice_is_never_sent_as_a_column_name() -> None:
    at = app()
    at.session_state[ingest.mapping_key("user_id")] = "(detected: nothing)"
    at = upload(at, ("mp.csv", EXAMPLES["mixpanel_export.csv"]()))
    assert not at.error
    assert frame_with(at, "origin").set_index("target").loc["user_id", "origin"] == "detected"


def test_load_warnings_are_shown_in_words() -> None:
    data = b"user_id,timestamp,event\nu,2025-03-01T10:00:00Z,view\n"
    at = upload(app(), ("plain.csv", data))
    (box,) = [w.value for w in at.warning if "No acquisition columns" in w.value]
    assert box.startswith("- No acquisition columns") and "\n- No revenue column" in box


def test_the_ceiling_is_a_setting_of_the_app() -> None:
    assert ingest.ingest_limits({}) == ingest.DEFAULT_LIMITS
    limits = ingest.ingest_limits({"JOURNEYLENS_MAX_DECODED_MB": "512", "JOURNEYLENS_MAX_ROWS": "1_000_000"})
    assert (limits.max_bytes, limits.max_rows) == (512 * 1024**2, 1_000_000)
    assert ingest.ingest_limits({"JOURNEYLENS_MAX_ROWS": "-3"}) == ingest.DEFAULT_LIMITS  # ignored, not a crash


def test_a_file_over_the_ceiling_set_for_the_app_says_which_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYLENS_MAX_ROWS", "1")
    at = app()
    assert any("up to 1 rows" in c.value for c in at.caption)
    at = upload(at, ("two.csv", b"user_id,timestamp,event\nu,2025-01-01T00:00:00Z,v\nw,2025-01-01T00:00:00Z,v\n"))
    assert shown("two.csv holds 2 rows, more than the limit of 1 rows (max_rows)", at)
    assert [b.key for b in at.button].count("data.activate") == 0


def test_a_panic_in_a_reader_leaves_a_short_message_and_a_usable_session(monkeypatch: pytest.MonkeyPatch) -> None:
    real = files.read_raw

    def panics(d: Any, name: str, **kwargs: Any) -> Any:
        if name == "bad.csv":
            raise pl.exceptions.PanicException("index out of bounds: secret-value")
        return real(d, name, **kwargs)

    monkeypatch.setattr(files, "read_raw", panics)
    at = upload(app(), ("bad.csv", b"user_id,timestamp,event\nu,2025-01-01T00:00:00Z,v\n"))
    assert shown("bad.csv could not be read: the reader stopped on it (PanicException)", at)
    assert not any("secret-value" in t for t in texts(at))
    at = upload(at, ("good.csv", b"user_id,timestamp,event\nu,2025-01-01T00:00:00Z,v\n"))
    assert [b.key for b in at.button].count("data.activate") == 1


def test_the_load_report_reads_in_plain_words_without_format_strings_or_none() -> None:
    at = upload(app(), ("ga4.parquet", EXAMPLES["ga4_events.parquet"]()),
                ("snow.csv", EXAMPLES["snowplow_events.csv"]()))
    shown_text = " ".join(texts(at))
    assert "%Y" not in shown_text and "epoch" not in shown_text
    assert "ga4.parquet, time column event_timestamp: microseconds since 1 Jan 1970" in shown_text
    table = next(d for d in at.dataframe if "rows_read" in d.value.columns)
    assert table.value["format"].tolist() == ["GA4 (BigQuery export)", "Snowplow"]
    assert table.value["encoding"].tolist()[0] == "–" and table.value["delimiter"].tolist() == ["–", "comma"]
    headings = [cfg.get("label") for cfg in json.loads(table.proto.columns).values()]
    assert "Rows read" in headings and "Loaded as is" in headings and "rows_read" not in headings
    preview = canonical_preview(at)
    assert "None" not in preview.astype(str).values.ravel().tolist()
    assert any(c.value.startswith("Recognised as: Several styles") for c in at.caption)
