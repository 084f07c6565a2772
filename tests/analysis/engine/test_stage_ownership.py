"""engine/ runs stages and knows no analysis; each analysis's engine form is its own function with engine=."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import PathOptions, conversion_paths, journey_paths
from analysis.attribution.stage import paths_stage
from analysis.engine import EngineOptions, Stage, run
from analysis.errors import AnalysisError
from analysis.funnels import funnel, funnel_spec

ENGINE = Path(__file__).parents[3] / "analysis" / "engine"
# what the engines may import: the canonical schema, the shared vocabulary, the error types, and the identity rules
# that route persons
ALLOWED = ("analysis.engine", "analysis.schema", "analysis.vocabulary", "analysis.errors",
           "analysis.prepare.identity.graph")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    found |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "analysis"
              for a in n.names}
    return {m for m in found if m.startswith("analysis")}


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_engine_imports_no_analysis(path: Path) -> None:
    outside = sorted(m for m in _imports(path) if m != "analysis" and not m.startswith(ALLOWED))
    assert outside == []


T = datetime(2026, 1, 1, tzinfo=UTC)
EVENTS = pl.DataFrame({
    "user_id": ["a", "a", "a", "b", "b"],
    "timestamp": [T, T + timedelta(days=1), T + timedelta(days=2), T, T + timedelta(hours=1)],
    "event": ["page_view", "page_view", "purchase", "page_view", "page_view"],
    "channel": ["Email", "Direct", "Direct", "Email", "Email"],
    "session_id": ["a1", "a2", "a2", "b1", "b1"],
    "revenue": [None, None, 9.0, None, None],
})


def test_conversion_paths_on_the_engine_equal_in_memory_exactly() -> None:
    expected = pl.DataFrame({"path": [["Email"], ["Email", "Direct"]], "conversions": [0, 1], "nulls": [1, 0],
                             "value": [0.0, 9.0]})
    assert_frame_equal(conversion_paths(EVENTS), expected)
    assert_frame_equal(conversion_paths(EVENTS, engine=EngineOptions(partitions=2)), expected)


def test_path_options_are_the_keywords_of_journey_paths_and_the_stage() -> None:
    options = PathOptions(lookback=timedelta(hours=12))
    assert journey_paths(EVENTS, lookback=timedelta(hours=12))["path"].to_list() == [["Direct"], ["Email"]]
    assert_frame_equal(run(EVENTS, paths_stage(options)), conversion_paths(EVENTS, lookback=timedelta(hours=12)))


def test_conversion_paths_with_times_on_the_engine_equal_in_memory() -> None:
    expected = conversion_paths(EVENTS, with_times=True)
    assert expected.columns == ["path", "conversions", "nulls", "value", "days_before_end"]
    assert_frame_equal(conversion_paths(EVENTS, with_times=True, engine=EngineOptions(partitions=2)), expected)


def test_funnel_takes_steps_with_options_or_a_spec_not_both() -> None:
    steps = ["page_view", "purchase"]
    spec = funnel_spec(steps, window=timedelta(days=3))
    assert funnel(EVENTS, steps, window=timedelta(days=3))["entered"].to_list() == [2, 1]
    assert_frame_equal(funnel(EVENTS, spec), funnel(EVENTS, steps, window=timedelta(days=3)))
    assert_frame_equal(funnel(EVENTS, spec, engine="polars"), funnel(EVENTS, spec))
    with pytest.raises(AnalysisError, match="funnel options window given beside a FunnelSpec"):
        funnel(EVENTS, spec, window=timedelta(days=4))


def test_unknown_engine_name_is_refused_by_the_analysis() -> None:
    with pytest.raises(AnalysisError, match="engine='dask' is not valid"):
        funnel(EVENTS, ["page_view"], engine="dask")  # type: ignore[arg-type]


def test_stage_merge_adds_partials() -> None:
    count = Stage("n", lambda p: p.select(n=pl.len()), lambda _: pl.Schema({"n": pl.UInt32()}), keys=(),
                  aggs={"n": "sum"})
    assert run(EVENTS, count, engine=EngineOptions(partitions=2))["n"].item() == 5
