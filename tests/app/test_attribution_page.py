"""The Attribution page on the bundled sample (AppTest): renders, reacts to its widgets, offers the download."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
from streamlit.testing.v1 import AppTest

from analysis.sample import generate_sample
from tests.app.apptest import open_app
from ui import attribution as ua
from ui import ingest
from ui.data import Dataset
from ui.state import DATASET, DATE_RANGE


def open_page(**state: object) -> AppTest:
    return open_app("attribution", **state)


def test_page_shows_models_side_by_side_with_a_download() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["last_touch", "markov", "shapley"]})
    assert at.title[0].value == "Attribution"
    assert len(at.dataframe) >= 3
    assert {"Channel", "Markov", "Shapley (DP6)", "Checks"} <= set(at.dataframe[0].value.columns)
    assert at.get("download_button")


def test_the_page_starts_with_a_few_plain_named_models_and_readable_numbers() -> None:
    at = open_page(**{ua.N_BOOT: 20})
    assert at.multiselect(key=ua.MODELS).value == list(ua.STARTING_MODELS)
    table = at.dataframe[0].value
    assert list(table.columns) == ["Channel", "Rank", "Last touch", "Linear", "Markov", "Shapley, never negative",
                                   "Checks"]
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()
    at.radio(key=ua.METRIC).set_value("value").run()
    assert at.dataframe[0].value["Markov"].str.startswith("€").all()  # the sample's revenue is in EUR
    at.radio(key=ua.METRIC).set_value("share").run()
    assert at.dataframe[0].value["Linear"].str.contains("%").all()
    assert any("Shapley, never negative" in i.value for i in at.info)  # which Shapley is shown, and how it differs


def test_negative_dp6_shapley_credit_is_flagged_next_to_the_number() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["shapley", "shapley_counterfactual"]})
    table = at.dataframe[0].value
    assert set(table.columns) >= {"Shapley (DP6)", "Shapley, never negative", "Checks"}
    assert not table["Shapley, never negative"].str.startswith("-").any()
    negative = table[table["Shapley (DP6)"].str.startswith("-")]
    assert negative["Checks"].str.contains("negative credit").all()


def test_a_conversion_event_missing_from_the_data_is_an_error_naming_the_events() -> None:
    # purchases only after mid-October, the dates chosen end before: the chosen data holds no conversion
    events = generate_sample(300, seed=4).events.filter(
        (pl.col("event") != "purchase") | (pl.col("timestamp") >= datetime(2026, 10, 15, tzinfo=UTC)))
    data = Dataset("late purchases.csv", "digest-late-purchases", events)
    at = open_page(**{DATASET: data, DATE_RANGE: (date(2026, 9, 1), date(2026, 10, 10)),
                      ua.CONVERSION_EVENTS: ["purchase"], ua.N_BOOT: 20})
    assert not at.exception
    message = at.error[0].value
    assert "Nothing to attribute" in message and "'purchase' does not occur in the data" in message
    assert "Events found" in message and "page_view" in message
    assert not at.dataframe  # never an all-zero table


def test_changing_the_model_selection_changes_the_table() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["first_touch", "linear"]})
    assert list(at.dataframe[0].value.columns) == ["Channel", "Rank", "First touch", "Linear", "Checks"]
    at.multiselect(key=ua.MODELS).set_value(["last_touch"]).run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["Channel", "Rank", "Last touch", "Checks"]


def test_time_decay_works_from_the_page() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["time_decay"]})
    assert "Time decay" in at.dataframe[0].value.columns


def test_no_conversion_event_asks_for_one() -> None:
    at = open_page(**{ua.CONVERSION_EVENTS: []})
    assert any("conversion event" in i.value for i in at.info)


def test_order_fit_appears_when_asked() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["markov"]})
    n = len(at.dataframe)
    at.toggle(key=ua.ORDER_FIT).set_value(True).run()
    assert not at.exception
    assert len(at.dataframe) == n + 1
    assert any("loglik" in d.value.columns for d in at.dataframe)


def test_a_people_attribute_splits_the_credit_by_segment(tmp_path: object, monkeypatch: object) -> None:
    from tests.app.apptest import APP  # noqa: PLC0415

    monkeypatch.setenv("JOURNEYLENS_HOME", str(tmp_path))  # type: ignore[attr-defined]
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.run()
    at.button(key="data.try_people").click().run()
    at.button(key="data.join_people").click().run()
    at.session_state[ua.N_BOOT] = 20
    at.switch_page("app_pages/attribution.py").run()
    assert not at.exception, [e.value for e in at.exception]
    split = at.selectbox(key=ua.SEGMENT_BY)
    assert not split.disabled and "Segment" in split.options
    split.select("Segment").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == "By Segment" for s in at.subheader)
    segments = next(d.value for d in at.dataframe if "Segment" in d.value.columns)
    assert {"Stammkunde", "(none)"} <= set(segments["Segment"]) and segments["Conversions"].iloc[0] != "0"
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    assert any(t and t.startswith("Share of conversions by Segment") for t in titles)


def test_the_currency_follows_the_data_after_an_upload_and_one_channel_is_not_ranked() -> None:
    # the sample is in euros; a GA4 export in US dollars opened next must not be shown in the sample's €
    at = open_page()
    assert at.selectbox(key=ua.CURRENCY).value == "€"
    at.switch_page("app_pages/data.py")
    at.run()
    dollars = "user_id,timestamp,event,revenue,currency\nu1,2026-01-05 10:00:00,purchase,12.5,USD\n"
    at.file_uploader(key=ingest.UPLOADER).set_value([("orders.csv", dollars.encode(), "text/csv")])
    at.run()
    at.button(key="data.activate").click().run()
    at.switch_page("app_pages/attribution.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=ua.CURRENCY).value == "$"
    # one conversion from one channel: a sentence where the ranking table would be, not an error
    assert any("no ranking to be sure about" in i.value for i in at.info)
