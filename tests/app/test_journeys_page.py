"""The Journeys page on the bundled sample (AppTest): renders, reacts to its widgets, applies edited rules."""

from __future__ import annotations

import json

import polars as pl
from streamlit.testing.v1 import AppTest

from analysis.prepare.channels import load_channel_rules
from tests.app.apptest import open_app
from ui import journeys as uj
from ui import state


def open_page(**state: object) -> AppTest:
    return open_app("journeys", **state)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_shows_metrics_and_path_table_without_heavy_charts() -> None:
    at = open_page()
    assert at.title[0].value == "Journeys"
    assert _metric(at, "Journeys") == "20,000"
    assert _metric(at, "Anonymous events linked").endswith("%")
    assert any(c.value.startswith("Identity stitching: ") for c in at.caption)
    assert _metric(at, "Unassigned traffic") == "0.0%"
    assert "label" in at.dataframe[0].value.columns
    assert not at.get("plotly_chart")


def test_sankey_and_step_matrix_render_when_asked() -> None:
    at = open_page()
    at.toggle(key=uj.SHOW_SANKEY).set_value(True).run()
    at.toggle(key=uj.SHOW_MATRIX).set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 2


def test_end_anchor_gives_backward_paths_ending_there() -> None:
    at = open_page(**{uj.LEVEL: "event", uj.END: "purchase", uj.STEPS: 3})
    labels = at.dataframe[0].value["label"].to_list()
    assert labels and all(label.endswith("purchase") for label in labels)


def test_level_switch_resets_anchors_of_the_other_level() -> None:
    at = open_page(**{uj.LEVEL: "event", uj.START: "view_item"})
    at.radio(key=uj.LEVEL).set_value("channel").run()
    assert not at.exception
    assert at.selectbox(key=uj.START).value == uj.ANY


def test_breakdown_and_filter() -> None:
    at = open_page(**{uj.BREAKDOWN: "device", f"{uj.FILTER_PREFIX}device": ["mobile"]})
    table = at.dataframe[0].value
    assert set(table["device"]) == {"mobile"}


def test_edited_rules_regroup_channels_on_the_page() -> None:
    only_direct = load_channel_rules().filter(pl.col("channel") == "Direct")
    at = open_page(**{state.CHANNEL_RULES: only_direct, state.REDERIVE_CHANNELS: True})
    assert _metric(at, "Unassigned traffic") != "0.0%"
    assert len(at.dataframe) >= 2  # the Unassigned pairs table appears in the Channel grouping expander


def test_apply_and_reset_buttons_change_the_session_rules() -> None:
    only_direct = load_channel_rules().filter(pl.col("channel") == "Direct")
    at = open_page(**{state.CHANNEL_RULES: only_direct})
    next(c for c in at.checkbox if c.label.startswith("Replace the data")).check().run()
    next(b for b in at.button if b.label == "Apply rules").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[state.REDERIVE_CHANNELS] is True
    assert _metric(at, "Unassigned traffic") != "0.0%"

    next(b for b in at.button if b.label == "Reset to GA4 defaults").click().run()
    assert state.CHANNEL_RULES not in at.session_state
    assert at.session_state[state.REDERIVE_CHANNELS] is False
    assert _metric(at, "Unassigned traffic") == "0.0%"


def test_no_anchor_match_says_so() -> None:
    at = open_page(**{uj.LEVEL: "event", uj.START: "purchase", uj.END: "login"})
    assert any("No journey contains" in i.value for i in at.info)


def test_stale_filter_values_and_breakdown_are_dropped() -> None:
    at = open_page(**{f"{uj.FILTER_PREFIX}device": ["mobile", "smart fridge"], uj.BREAKDOWN: "gone"})
    assert at.multiselect(key=f"{uj.FILTER_PREFIX}device").value == ["mobile"]
    assert at.selectbox(key=uj.BREAKDOWN).value == uj.NONE


def test_paths_table_and_metric_say_what_they_count() -> None:
    at = open_page()
    metric = next(m for m in at.metric if m.label == "Different paths")
    assert int(metric.value.replace(",", "")) < 20_000  # distinct paths, not journeys again
    assert "25 most common" in metric.proto.help
    table = at.dataframe[0]
    headings = [cfg.get("label") for cfg in json.loads(table.proto.columns).values()]
    assert headings[:3] == ["Path", "Journeys", "Share of journeys"]
    anchored = open_page(**{uj.LEVEL: "event", uj.START: "add_to_cart"})
    assert any("journeys" in c.value and "contain the chosen start or end" in c.value for c in anchored.caption)


def test_sankey_counts_nodes_heads_steps_and_shows_outcomes() -> None:
    at = open_page(**{uj.SHOW_SANKEY: True})
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "<b>Step 1</b>" in [a["text"] for a in figure["layout"]["annotations"]]
    names = [name for _, name in figure["data"][0]["node"]["customdata"]]
    assert "✓ converted" in names and "✗ no conversion" in names
    assert all(" · " in label for label in figure["data"][0]["node"]["label"] if label)  # counts on the nodes
