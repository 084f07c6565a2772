"""Settings that last a session, one conversion definition every page follows, and a link whose data is missing
(AppTest through app.py)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.privacy import escape_markdown
from tests.app.apptest import APP, open_app
from ui import attribution as ua
from ui import funnels as uf
from ui import journeys as uj
from ui import state
from ui.data import estimate_prepare
from ui.library import new_key


def _switch(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _override_note(at: AppTest, definition: str) -> bool:
    """The page says it overrides the Data page's ``definition`` (Markdown escapes aside)."""
    said = f"events \\({escape_markdown(definition)}"
    return any("overrides the dataset" in c.value and said in c.value for c in at.caption)


def test_a_page_setting_survives_switching_to_other_pages_and_back() -> None:
    at = open_app("funnels")
    at.number_input(key=uf.WINDOW_DAYS).set_value(14).run()
    _switch(at, "data")
    _switch(at, "journeys")
    _switch(at, "funnels")
    assert at.number_input(key=uf.WINDOW_DAYS).value == 14


def test_every_page_starts_from_the_data_pages_conversion_events() -> None:
    at = open_app()
    conversions = at.multiselect(key=next(w.key for w in at.multiselect if w.key.startswith("data.conversion")))
    assert conversions.value == ["purchase"]  # the suggestion, marked as such
    assert any("Suggestion" in m.value for m in at.markdown)
    conversions.set_value(["begin_checkout"]).run()
    assert at.session_state[state.CONVERSION_EVENTS] == ("begin_checkout",)
    assert not any("Suggestion]" in m.value for m in at.markdown)
    _switch(at, "attribution")
    assert at.multiselect(key=ua.CONVERSION_EVENTS).value == ["begin_checkout"]
    _switch(at, "journeys")
    assert at.multiselect(key=uj.CONVERSION_EVENTS).value == ["begin_checkout"]
    _switch(at, "funnels")
    assert at.multiselect(key=uf.STEPS).value[-1] == "begin_checkout"


def test_a_page_that_overrides_the_definition_says_so_and_keeps_its_own() -> None:
    at = open_app("attribution", **{ua.N_BOOT: 20, ua.MODELS: ["last_touch"]})
    assert not any("overrides the dataset" in c.value for c in at.caption)
    at.multiselect(key=ua.CONVERSION_EVENTS).set_value(["add_to_cart"]).run()
    assert _override_note(at, "purchase")
    _switch(at, "journeys")  # a page that did not override follows the definition
    assert at.multiselect(key=uj.CONVERSION_EVENTS).value == ["purchase"]
    _switch(at, "data")
    box = next(w for w in at.multiselect if w.key.startswith("data.conversion"))
    box.set_value(["begin_checkout"]).run()
    _switch(at, "journeys")
    assert at.multiselect(key=uj.CONVERSION_EVENTS).value == ["begin_checkout"]  # followed the new definition
    _switch(at, "attribution")
    assert at.multiselect(key=ua.CONVERSION_EVENTS).value == ["add_to_cart"]  # kept its override, visibly
    assert _override_note(at, "begin_checkout")


def test_a_link_to_a_dataset_that_is_not_here_says_so_instead_of_showing_the_sample() -> None:
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.query_params["ds"] = new_key()
    at.run()
    _switch(at, "funnels")
    assert any("not on this server" in e.value for e in at.error)
    assert not at.metric  # the page stops: no sample numbers under the link
    assert "Bundled sample" not in " ".join(t.value for t in at.sidebar.text)


@pytest.mark.parametrize(("events", "engine", "said"), [
    (332_042, "polars", "a second or two"), (10_000_000, "polars", "about 10 s"),
    (1_000_000, "spark", "about 30 s"), (10_000_000, "spark", "about 3 min")])
def test_the_preparation_spinner_gives_an_estimate(events: int, engine: str, said: str) -> None:
    assert estimate_prepare(events, engine) == said  # type: ignore[arg-type]
