"""Share links on Journeys, Funnels, Attribution and Personas (AppTest): a link made on the same data reopens the
page with its settings; a link made on other data says its data is missing and, when the user goes on with the
sample, applies nothing; hostile values are dropped; the recipe uses the names
the CLI reads."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.cli.recipe import recipe_from_dict
from analysis.sample import SAMPLE_PATH
from tests.app.apptest import APP
from ui import attribution as ua
from ui import funnels as uf
from ui import journeys as uj
from ui import personas as up

SAMPLE_DS = hashlib.sha256(SAMPLE_PATH.read_bytes()).hexdigest()[:12]
OTHER_DS = "000000000000"


@pytest.fixture(autouse=True)
def _share_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYLENS_HOME", str(tmp_path))


def _enc(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def open_link(page: str, ds: str, settings: dict[str, object], **seed: object) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.query_params["ds"] = ds
    for key, value in settings.items():
        at.query_params[key] = _enc(value)
    for key, value in seed.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if ds == OTHER_DS:  # data not on this server: said so, the page stops, and the sample only comes on request
        assert any("not on this server" in e.value for e in at.error)
        assert not at.multiselect and not at.slider
        at.button(key="sidebar.missing_use_sample").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error
    return at


FUNNEL_LINK = {uf.STEPS: ["view_item", "purchase"], uf.MODE: "strict", uf.WINDOW_DAYS: 3,
               uf.BREAKDOWN: "device", uf.COUNTING: "sessions"}


def test_funnels_link_sets_the_widgets() -> None:
    at = open_link("funnels", SAMPLE_DS, FUNNEL_LINK)
    assert at.multiselect(key=uf.STEPS).value == ["view_item", "purchase"]
    assert at.selectbox(key=uf.MODE).value == "strict"
    assert at.number_input(key=uf.WINDOW_DAYS).value == 3
    assert at.selectbox(key=uf.BREAKDOWN).value == "device"
    assert at.selectbox(key=uf.COUNTING).value == "sessions"
    assert at.query_params[uf.MODE] == _enc("strict")  # and the URL keeps saying so


def test_funnels_link_for_other_data_applies_nothing() -> None:
    at = open_link("funnels", OTHER_DS, FUNNEL_LINK)
    assert at.multiselect(key=uf.STEPS).value == ["view_item", "add_to_cart", "begin_checkout", "purchase"]
    assert at.selectbox(key=uf.MODE).value == "ordered"
    assert at.number_input(key=uf.WINDOW_DAYS).value == 7


def test_funnels_link_with_hostile_values_keeps_only_valid_ones() -> None:
    at = open_link("funnels", SAMPLE_DS, {uf.STEPS: ["view_item", "<img src=x>", "purchase"], uf.MODE: "evil",
                                          uf.WINDOW_DAYS: 10_000, uf.BREAKDOWN: "user_id"})
    assert at.multiselect(key=uf.STEPS).value == ["view_item", "purchase"]
    assert at.selectbox(key=uf.MODE).value == "ordered"
    assert at.number_input(key=uf.WINDOW_DAYS).value == 7
    assert at.selectbox(key=uf.BREAKDOWN).value == uf.NO_BREAKDOWN


ATTRIBUTION_LINK = {ua.LOOKBACK_DAYS: 14, ua.TOUCH: "source", ua.MODELS: ["first_touch", "linear"], ua.ORDER: 2,
                    ua.COLLAPSE: True}


def test_attribution_link_sets_the_widgets() -> None:
    at = open_link("attribution", SAMPLE_DS, ATTRIBUTION_LINK, **{ua.N_BOOT: 20})
    assert at.slider(key=ua.LOOKBACK_DAYS).value == 14
    assert at.selectbox(key=ua.TOUCH).value == "source"
    assert at.multiselect(key=ua.MODELS).value == ["first_touch", "linear"]
    assert at.selectbox(key=ua.ORDER).value == 2
    assert at.checkbox(key=ua.COLLAPSE).value is True


def test_attribution_link_for_other_data_applies_nothing() -> None:
    at = open_link("attribution", OTHER_DS, ATTRIBUTION_LINK, **{ua.N_BOOT: 20, ua.MODELS: ["last_touch"]})
    assert at.slider(key=ua.LOOKBACK_DAYS).value == 30
    assert at.selectbox(key=ua.TOUCH).value == "channel"
    assert at.multiselect(key=ua.MODELS).value == ["last_touch"]


def test_attribution_link_for_a_persona_not_exported_here_is_dropped() -> None:
    at = open_link("attribution", SAMPLE_DS, {ua.PERSONA: "Deal hunters"}, **{ua.N_BOOT: 20,
                                                                                ua.MODELS: ["last_touch"]})
    assert at.selectbox(key=ua.PERSONA).value == ua.ALL_PERSONAS


JOURNEYS_LINK = {uj.LEVEL: "event", uj.START: "view_item", uj.STEPS: 4, uj.COLLAPSE: False,
                 f"{uj.FILTER_PREFIX}device": ["mobile"], uj.BREAKDOWN: "device"}


def test_journeys_link_sets_the_widgets_and_filters() -> None:
    at = open_link("journeys", SAMPLE_DS, JOURNEYS_LINK)
    assert at.radio(key=uj.LEVEL).value == "event"
    assert at.selectbox(key=uj.START).value == "view_item"
    assert at.slider(key=uj.STEPS).value == 4
    assert at.checkbox(key=uj.COLLAPSE).value is False
    assert at.multiselect(key=f"{uj.FILTER_PREFIX}device").value == ["mobile"]
    assert at.selectbox(key=uj.BREAKDOWN).value == "device"


def test_journeys_link_for_other_data_applies_nothing() -> None:
    at = open_link("journeys", OTHER_DS, JOURNEYS_LINK)
    assert at.radio(key=uj.LEVEL).value == "channel"
    assert at.selectbox(key=uj.START).value == uj.ANY
    assert at.multiselect(key=f"{uj.FILTER_PREFIX}device").value == []


PERSONAS_LINK = {up.K_MODE: "fixed", up.K: 5, up.ALGORITHM: "gmm", up.STABILITY_RUNS: 4,
                 up.GROUPS: ["events", "channels"]}


def test_personas_link_sets_the_form_but_waits_for_the_button() -> None:
    at = open_link("personas", SAMPLE_DS, PERSONAS_LINK)
    assert at.radio(key=up.K_MODE).value == "fixed"
    assert at.number_input(key=up.K).value == 5
    assert at.selectbox(key=up.ALGORITHM).value == "gmm"
    assert at.slider(key=up.STABILITY_RUNS).value == 4
    assert at.multiselect(key=up.GROUPS).value == ["events", "channels"]
    assert any("Find personas" in i.value for i in at.info)  # nothing heavy runs from a link alone


def test_personas_link_for_other_data_applies_nothing() -> None:
    at = open_link("personas", OTHER_DS, PERSONAS_LINK)
    assert at.radio(key=up.K_MODE).value == "auto"
    assert at.number_input(key=up.K).value == 4


def test_a_page_link_round_trips_through_the_url() -> None:
    first = open_link("funnels", SAMPLE_DS, {}, **{uf.MODE: "unordered", uf.WINDOW_DAYS: 5})
    query = {k: (v[-1] if isinstance(v, list) else v) for k, v in first.query_params.items()}
    assert query["ds"] == SAMPLE_DS
    again = AppTest.from_file(str(APP), default_timeout=240)
    again.query_params.update(query)
    again.run()
    again.switch_page("app_pages/funnels.py")
    again.run()
    assert again.selectbox(key=uf.MODE).value == "unordered"
    assert again.number_input(key=uf.WINDOW_DAYS).value == 5


def _recipes_script() -> None:
    import json  # noqa: PLC0415 (AppTest runs this function's body as a script)

    import streamlit as st  # noqa: PLC0415

    from ui import attribution as ua  # noqa: PLC0415
    from ui import funnels as uf  # noqa: PLC0415
    from ui import personas as up  # noqa: PLC0415
    from ui import share  # noqa: PLC0415

    st.session_state.update({uf.STEPS: ["view_item", "purchase"], uf.WINDOW_DAYS: 3, uf.MODE: "strict",
                             uf.BREAKDOWN: uf.NO_BREAKDOWN, ua.CONVERSION_EVENTS: ["purchase"],
                             ua.LOOKBACK_DAYS: 14, ua.TOUCH: "source", ua.MODELS: ["linear"],
                             up.K_MODE: "fixed", up.K: 5})
    for page, keys, extra in (("funnels", uf.SHARE_KEYS, uf.recipe_extras()),
                              ("attribution", ua.SHARE_KEYS, ua.recipe_extras()),
                              ("personas", up.SHARE_KEYS, up.recipe_extras())):
        st.code(json.dumps(share.view_recipe(page, keys, extra=extra).to_dict()))


def test_recipes_use_the_names_the_cli_reads() -> None:
    at = AppTest.from_function(_recipes_script, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    funnel, attribution, personas = (recipe_from_dict(json.loads(c.value)) for c in at.code)
    assert funnel.get("funnel_steps") == ["view_item", "purchase"]
    assert funnel.get("funnel_window_days") == 3
    assert funnel.get("funnel_mode") == "strict"
    assert "funnel_breakdown" in funnel.parameters and funnel.parameters["funnel_breakdown"] is None
    assert attribution.get("conversion_events") == ["purchase"]
    assert attribution.get("attribution_lookback_days") == 14
    assert attribution.get("attribution_touch") == "source"
    assert attribution.get("attribution_models") == ["linear"]
    assert personas.get("persona_k") == 5
