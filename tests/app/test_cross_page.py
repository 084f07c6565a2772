"""Session-wide selections across pages (AppTest): the funnel cohort filters every page and shows in the sidebar;
exported personas become a breakdown on Funnels and a segment on Attribution."""

from __future__ import annotations

import polars as pl
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_app
from ui import attribution as ua
from ui import funnels as uf
from ui import personas as up
from ui import state


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> int:
    return int(next(m for m in at.metric if m.label.startswith(label)).value.replace(",", ""))


def _conversions(at: AppTest) -> int:
    text = next(c.value for c in at.caption if "journeys without one" in c.value)
    return int(text.split(" conversions", 1)[0].replace(",", ""))


def test_the_funnel_cohort_filters_the_other_pages() -> None:
    at = go(open_app(), "journeys")
    everyone = _metric(at, "Journeys")
    go(at, "funnels")
    at.radio(key=uf.COHORT_WHO).set_value("reached").run()
    at.selectbox(key=uf.DROP_STEP).set_value(3).run()
    at.button(key="funnels.use_cohort").click().run()
    ids = at.session_state[state.COHORT_IDS]
    assert 0 < len(ids) < 20_000
    assert "reached at step 3" in at.session_state[state.COHORT_LABEL]
    assert _metric(at, "Entered") == len(ids)  # the funnel itself now counts only the cohort
    go(at, "journeys")
    assert 0 < _metric(at, "Journeys") < everyone


def test_the_sidebar_shows_the_cohort_and_clears_it() -> None:
    at = open_app(**{state.COHORT_IDS: frozenset({"u_nobody", "u_either"}), state.COHORT_LABEL: "dropped at step 2"})
    assert any("2 people" in c.value for c in at.sidebar.caption)
    assert any(t.value == "dropped at step 2" for t in at.sidebar.text)
    at.sidebar.button(key="sidebar.clear_cohort").click().run()
    assert state.COHORT_IDS not in at.session_state
    assert not any("Cohort filter" in c.value for c in at.sidebar.caption)


def test_an_empty_cohort_leaves_every_page_working() -> None:
    at = open_app(**{state.COHORT_IDS: frozenset({"nobody"}), state.COHORT_LABEL: "nobody"})
    for page in ("journeys", "funnels", "attribution"):
        go(at, page)


def test_exported_personas_break_funnels_and_attribution_down() -> None:
    at = go(open_app(**{up.K_MODE: "fixed", up.K: 3, up.STABILITY_RUNS: 0, ua.N_BOOT: 20,
                        ua.MODELS: ["last_touch", "linear"]}), "personas")
    at.button(key=f"FormSubmitter:{up.FORM}-Find personas").click().run()
    at.button(key="personas.export").click().run()
    labels = at.session_state[state.PERSONA_LABELS]
    assert isinstance(labels, pl.DataFrame) and labels["persona"].n_unique() == 3

    go(at, "funnels")
    assert "persona" in at.selectbox(key=uf.BREAKDOWN).options
    at.selectbox(key=uf.BREAKDOWN).set_value("persona").run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.dataframe[0].value["breakdown"]) <= set(labels["persona"])

    go(at, "attribution")
    segment = at.selectbox(key=ua.PERSONA)
    assert len(segment.options) == 4 and not segment.disabled
    everyone = _conversions(at)
    segment.set_value(segment.options[1]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert 0 < _conversions(at) < everyone


def test_without_exported_personas_the_segment_is_everyone() -> None:
    at = go(open_app(**{ua.N_BOOT: 20, ua.MODELS: ["last_touch"]}), "attribution")
    segment = at.selectbox(key=ua.PERSONA)
    assert segment.options == [ua.ALL_PERSONAS] and segment.disabled
