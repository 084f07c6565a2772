"""Funnels page through app.py (AppTest): defaults, options, drivers on demand, the cohort filter."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from analysis.sample import FUNNEL_STEPS
from tests.app.apptest import open_app
from ui import funnels as uf
from ui import state


@pytest.fixture
def page() -> AppTest:
    return open_app("funnels")


def test_defaults_to_the_sample_funnel_and_shows_definitions(page: AppTest) -> None:
    assert page.multiselect(key=uf.STEPS).value == list(FUNNEL_STEPS)
    assert page.metric[0].value != "0"
    text = "\n".join(m.value for m in page.markdown)
    for rule in ("Step order", "Time allowed", "Which attempt counts", "What is counted", "Excluded", "Entry dates"):
        assert f"**{rule}**" in text  # plain words first
    assert "**mode**" not in text and "**anchor**" not in text
    assert "window = Time allowed" not in uf.DEFINITION_HELP and "Time allowed = window" in uf.DEFINITION_HELP


@pytest.mark.parametrize(("key", "value"), [(uf.MODE, "strict"), (uf.MODE, "unordered"), (uf.COUNTING, "sessions"),
                                            (uf.COUNTING, "totals"), (uf.ANCHOR, "first"),
                                            (uf.BREAKDOWN, "channel")])
def test_options_render_without_exception(page: AppTest, key: str, value: str) -> None:
    page.selectbox(key=key).set_value(value).run()
    assert not page.exception, [e.value for e in page.exception]


def test_open_funnel_with_optional_step_and_exclusion(page: AppTest) -> None:
    page.radio(key=uf.ENTRY).set_value("open").run()
    page.multiselect(key=uf.OPTIONAL).set_value(["2. add_to_cart"]).run()
    page.multiselect(key=uf.EXCLUDE).set_value(["remove_from_cart"]).run()
    assert not page.exception, [e.value for e in page.exception]


def test_drivers_appear_only_when_asked(page: AppTest) -> None:
    assert not any("likely to drop" in t.value for t in page.text)
    page.toggle(key=uf.SHOW_DRIVERS).set_value(True).run()
    assert not page.exception, [e.value for e in page.exception]
    assert any("likely to drop" in t.value for t in page.text)


def test_cohort_becomes_a_filter_for_other_pages(page: AppTest) -> None:
    page.button(key="funnels.use_cohort").click().run()
    ids = page.session_state[state.COHORT_IDS]
    assert isinstance(ids, frozenset) and len(ids) > 0
    assert "dropped at step 1" in page.session_state[state.COHORT_LABEL]


def test_too_few_steps_asks_for_more(page: AppTest) -> None:
    page.multiselect(key=uf.STEPS).set_value(["view_item"]).run()
    assert not page.exception
    assert any("at least two steps" in i.value for i in page.info)


def test_time_to_convert_between_chosen_steps_and_another_drop_step(page: AppTest) -> None:
    page.selectbox(key=uf.TTC_FROM).set_value(2).run()
    page.selectbox(key=uf.TTC_TO).set_value(3).run()
    page.selectbox(key=uf.DROP_STEP).set_value(2).run()
    page.radio(key=uf.COHORT_WHO).set_value("continued").run()
    assert not page.exception, [e.value for e in page.exception]
    page.button(key="funnels.use_cohort").click().run()
    assert "continued at step 2" in page.session_state[state.COHORT_LABEL]


def _headings(table: object) -> list[str]:
    return [cfg.get("label") for cfg in json.loads(table.proto.columns).values()]  # type: ignore[attr-defined]


def test_the_step_table_reads_in_plain_words_durations_and_dashes(page: AppTest) -> None:
    table = next(d for d in page.dataframe if "conversion_from_start" in d.value.columns)
    cells = table.value.astype(str).values.ravel().tolist()
    assert "None" not in cells and "nan" not in cells
    assert table.value["conversion_from_previous"].tolist()[0] == "–"  # step 1 has no previous step
    assert all(re.fullmatch(r"\d[\d,]* (s|min|h|d)( \d+ (s|min|h))?|< 1 s|–", t)
               for t in table.value["median_seconds_from_start"].tolist())
    headings = _headings(table)
    assert "Share of step 1" in headings and "Typical time from step 1" in headings
    assert not [h for h in headings if h and "_" in h]


def test_plain_labels_first_and_the_technical_term_in_the_help(page: AppTest) -> None:
    anchor = page.selectbox(key=uf.ANCHOR)
    assert anchor.label == "When someone starts again" and anchor.value == "furthest"
    assert "PostHog" in anchor.help and "Mixpanel" in anchor.help
    assert list(anchor.options) == ["Their furthest attempt", "Their first attempt"]
    assert "*closed* funnel" in page.radio(key=uf.ENTRY).help


def test_a_step_nobody_reaches_is_a_sentence_not_an_axis() -> None:
    at = open_app("funnels", **{uf.STEPS: ["purchase", "view_item_list"], uf.MODE: "strict", uf.WINDOW_DAYS: 1})
    assert any(i.value.startswith("Nobody went from step 1 ('purchase') to step 2 ('view_item_list') within the "
                                  "conversion window") for i in at.info)
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    assert "Time from step 1 to step 2" not in titles  # no chart of empty axes


@pytest.mark.parametrize(("view", "title"), [("next", "Their next event"), ("channel", "Channel of their next event"),
                                             ("last", "Their last event in the data")])
def test_one_where_did_they_go_chart_at_a_time(view: str, title: str) -> None:
    at = open_app("funnels", **{uf.DROP_VIEW: view})
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    shown = [t for t in titles if t in {v[2] for v in uf.DROP_VIEWS.values()}]
    assert shown == [title]
def test_a_step_absent_from_the_chosen_people_is_a_sentence_not_a_row_of_zeros() -> None:
    import polars as pl  # noqa: PLC0415

    from analysis.prepare import prepare  # noqa: PLC0415

    ev = prepare(pl.read_parquet("sample_data/events.parquet"))
    buyers = ev.filter(pl.col("event") == "purchase")["user_id"].unique().implode()
    browser = ev.filter(pl.col("event") == "view_item", ~pl.col("user_id").is_in(buyers))["user_id"].min()
    at = open_app("funnels", **{uf.STEPS: ["view_item", "purchase"], state.COHORT_IDS: frozenset([browser]),
                                state.COHORT_LABEL: "one browser"})
    warning = next(w.value for w in at.warning if "Nothing to count" in w.value)
    assert "Step 2 'purchase' does not occur in the data" in warning and "Events found" in warning
    assert not [d for d in at.dataframe if "conversion_from_start" in d.value.columns]
