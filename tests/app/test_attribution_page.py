"""The Attribution page on the bundled sample (AppTest): renders, reacts to its widgets, offers the download."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_app
from ui import attribution as ua


def open_page(**state: object) -> AppTest:
    return open_app("attribution", **state)


def test_page_shows_models_side_by_side_with_a_download() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["last_touch", "markov", "shapley"]})
    assert at.title[0].value == "Attribution"
    assert len(at.dataframe) >= 3
    assert any(m in at.dataframe[0].value.columns for m in ("markov", "shapley"))
    assert at.get("download_button")


def test_changing_the_model_selection_changes_the_table() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["first_touch", "linear"]})
    assert list(at.dataframe[0].value.columns) == ["channel", "rank", "first_touch", "linear"]
    at.multiselect(key=ua.MODELS).set_value(["last_touch"]).run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["channel", "rank", "last_touch"]


def test_time_decay_works_from_the_page() -> None:
    at = open_page(**{ua.N_BOOT: 20, ua.MODELS: ["time_decay"]})
    assert "time_decay" in at.dataframe[0].value.columns


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
