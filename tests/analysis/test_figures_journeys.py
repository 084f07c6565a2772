"""Journey figures: Sankey, path-variant table and step-matrix heatmap; data text escaped."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.errors import AnalysisError
from analysis.figures.journeys import path_variants_figure, sankey_figure, step_matrix_figure
from analysis.journeys import CONVERTED, NOT_CONVERTED, path_variants, step_matrix, transitions

PATHS = pl.DataFrame({
    "user_id": ["u1", "u2", "u3"],
    "path": [["<b>a</b>", "b", "c"], ["<b>a</b>", "c"], ["b"]],
    "converted": [True, False, False],
})


def test_sankey_has_one_node_per_step_and_name_and_escapes_labels() -> None:
    fig = sankey_figure(transitions(PATHS))
    sankey = fig.data[0]
    # step 1: <b>a</b> (2 journeys); step 2: b, c; step 3: c; each label carries its journey count
    assert sorted(sankey.node.label) == ["", "&lt;b&gt;a&lt;/b&gt; · 2", "b · 1", "c · 1", "c · 1"]
    assert list(sankey.link.value)[:3] == [1, 1, 1]
    # the last node is a blank spacer on a hair-thin link, so Plotly writes the last column's labels on the right
    assert sankey.node.label[-1] == "" and sankey.node.color[-1] == "rgba(0,0,0,0)" and sankey.link.value[-1] < 1e-6
    assert all(0 < y < 1 for y in sankey.node.y)


def test_sankey_of_no_flows_says_so() -> None:
    empty = transitions(PATHS.filter(pl.col("user_id") == "u3"))
    assert "No flows" in sankey_figure(empty).layout.annotations[0].text


def test_sankey_stays_readable_at_8_steps_and_50_nodes() -> None:
    rows = [[f"e{(i * 7 + k * 3) % 13}" for k in range(8)] for i in range(400)]
    flows = transitions(pl.DataFrame({"user_id": [str(i) for i in range(400)], "path": rows,
                                      "converted": [False] * 400}), top_n=6)
    fig = sankey_figure(flows)
    assert len(fig.data[0].node.label) <= 8 * 7 + 1  # and the blank spacer
    assert fig.layout.height >= 40 * 7


def test_variant_table_shows_shares_and_escapes_paths() -> None:
    fig = path_variants_figure(path_variants(PATHS))
    cells = fig.data[0].cells.values
    assert cells[0][0].startswith("&lt;b&gt;a")
    assert list(cells[2]) == ["33.3%", "33.3%", "33.3%"]


def test_step_matrix_heatmap_puts_ended_last() -> None:
    fig = step_matrix_figure(step_matrix(PATHS, steps=3))
    assert list(fig.data[0].y)[-1] == "(ended)"
    assert list(fig.data[0].x) == ["1", "2", "3"]


def test_figures_name_missing_columns() -> None:
    with pytest.raises(AnalysisError, match="needs the column"):
        sankey_figure(pl.DataFrame({"step": [1]}))


def test_sankey_heads_each_column_with_its_step() -> None:
    fig = sankey_figure(transitions(PATHS, outcomes=True))
    assert [a.text for a in fig.layout.annotations] == ["<b>Step 1</b>", "<b>Step 2</b>", "<b>Step 3</b>",
                                                         "<b>Step 4</b>"]
    backward = sankey_figure(transitions(PATHS, from_end=True, outcomes=True))
    assert [a.text for a in backward.layout.annotations] == ["<b>2 before last</b>", "<b>1 before last</b>",
                                                             "<b>Last step</b>", "<b>Outcome</b>"]


def test_sankey_shows_where_journeys_converted_or_stopped() -> None:
    flows = transitions(PATHS, outcomes=True)
    ends = flows.filter(pl.col("target").is_in([CONVERTED, NOT_CONVERTED]))
    # u1 converted after its 3rd node, u2 stopped after its 2nd, u3 after its only node
    assert sorted(ends.select("step", "source", "target", "count").rows()) == [
        (1, "b", NOT_CONVERTED, 1), (2, "c", NOT_CONVERTED, 1), (3, "c", CONVERTED, 1)]
    sankey = sankey_figure(flows).data[0]
    labels = list(sankey.node.label)
    assert "✓ converted · 1" in labels and "✗ no conversion · 1" in labels
    colours = dict(zip(labels, sankey.node.color, strict=True))
    assert colours["✓ converted · 1"] != colours["✗ no conversion · 1"]


def test_sankey_leaves_nodes_too_thin_for_a_label_unlabelled_but_hoverable() -> None:
    paths = pl.DataFrame({"user_id": [str(i) for i in range(1001)],
                          "path": [["big", "x"]] * 1000 + [["tiny", "x"]], "converted": [False] * 1001})
    sankey = sankey_figure(transitions(paths)).data[0]
    names = [c[1] for c in sankey.node.customdata]
    labels = dict(zip(names, sankey.node.label, strict=True))
    assert labels["big"] == "big · 1,000" and labels["tiny"] == ""
