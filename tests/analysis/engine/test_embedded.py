"""The embedded engine: partitioned results equal the in-memory analyses, in memory and out of core."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import conversion_paths
from analysis.attribution.stage import paths_stage
from analysis.engine import EngineOptions, embedded, person_parts, run
from analysis.engine.stage import Stage
from analysis.errors import AnalysisError
from analysis.filters import filter_dates
from analysis.funnels import funnel, funnel_spec
from analysis.journeys import journeys
from analysis.personas.features import user_features
from analysis.prepare import prepare
from analysis.prepare.stage import prepare_events, prepare_first, prepare_stage, prepare_to_parquet
from analysis.sample import FUNNEL_STEPS, Sample, generate_sample


def on(partitions: int, *, prepared: bool = False, date_range: tuple[date, date] | None = None) -> EngineOptions:
    """The embedded engine over ``partitions``, preparing raw events first unless ``prepared``."""
    return EngineOptions(before=prepare_first(prepared=prepared, date_range=date_range), partitions=partitions)


@pytest.fixture(scope="module")
def raw() -> pl.DataFrame:
    return generate_sample(600, seed=5).events


@pytest.fixture(scope="module")
def prepared(raw: pl.DataFrame) -> pl.DataFrame:
    return prepare(raw)


@pytest.fixture(scope="module")
def parquet(raw: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    half = raw.height // 2  # two part files: a folder source, read in name order
    raw[:half].write_parquet(folder / "part-0.parquet")
    raw[half:].write_parquet(folder / "part-1.parquet")
    return folder


def test_prepare_equals_in_memory(small_sample: Sample) -> None:
    events = small_sample.events
    assert_frame_equal(prepare_events(events, engine=EngineOptions(partitions=5)), prepare(events))


def test_prepare_out_of_core_equals_in_memory(parquet: Path, prepared: pl.DataFrame) -> None:
    assert_frame_equal(prepare_events(parquet, engine=EngineOptions(partitions=3)), prepared)


def test_prepare_to_parquet_writes_whole_persons(parquet: Path, prepared: pl.DataFrame, tmp_path: Path) -> None:
    files = prepare_to_parquet(parquet, tmp_path / "prepared", engine=EngineOptions(partitions=3))
    frames = [pl.read_parquet(f) for f in files]
    users = [set(f["user_id"].unique()) for f in frames]
    assert sum(len(u) for u in users) == len(set().union(*users))
    assert_frame_equal(pl.concat(frames).sort("user_id", "timestamp", maintain_order=True), prepared)


def test_a_prepared_folder_is_mapped_as_written(parquet: Path, prepared: pl.DataFrame, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "prepared"
    prepare_to_parquet(parquet, out, engine=EngineOptions(partitions=5))
    files = prepare_to_parquet(parquet, out, engine=EngineOptions(partitions=3))  # a rerun leaves no stale part
    assert person_parts(out) == files and len(files) == 3

    def no_rewrite(*_: object, **__: object) -> None:
        raise AssertionError("a prepared folder was split again")

    monkeypatch.setattr(embedded, "write_partitions", no_rewrite)
    spec = funnel_spec(list(FUNNEL_STEPS), breakdown="device")
    assert_frame_equal(funnel(out, spec, engine=EngineOptions(partitions=7)), funnel(prepared, spec))
    assert_frame_equal(conversion_paths(out, engine=EngineOptions(partitions=7)), conversion_paths(prepared))


def test_a_prepared_folder_is_read_for_the_columns_the_stages_name(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "prepared"
    prepare_to_parquet(parquet, out, engine=EngineOptions(partitions=2))
    seen: list[list[str]] = []

    def stage(name: str, columns: tuple[str, ...] | None) -> Stage:
        def look(part: pl.DataFrame) -> pl.DataFrame:
            seen.append(part.columns)
            return part.select(n=pl.len())
        return Stage(name, look, lambda _: pl.Schema({"n": pl.UInt32()}), keys=(), aggs={"n": "sum"}, columns=columns)

    with embedded.split(out) as parts:
        counted = embedded.run_partitions(parts, {"a": stage("a", ("event",)), "b": stage("b", ("user_id", "x"))})
        assert counted["a"]["n"].item() == counted["b"]["n"].item() > 0
        assert seen == [["user_id", "event"]] * 4  # the file's order; engine columns dropped, absent names ignored
        seen.clear()
        embedded.run_partitions(parts, {"a": stage("a", ("event",)), "all": stage("all", None)})
        assert len(seen[0]) > 10  # a stage that names none reads every column


def test_conversion_paths_add_up_to_in_memory(raw: pl.DataFrame, prepared: pl.DataFrame) -> None:
    assert_frame_equal(conversion_paths(raw, engine=on(4)), conversion_paths(prepared))


def test_conversion_paths_with_options_out_of_core(parquet: Path, prepared: pl.DataFrame) -> None:
    options = {"lookback": timedelta(days=7), "touch": "source", "collapse_repeats": True}
    assert_frame_equal(conversion_paths(parquet, engine=on(3), **options),  # type: ignore[arg-type]
                       conversion_paths(prepared, **options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [{}, {"breakdown": "country", "top_n": 2}, {"mode": "strict", "counting": "sessions"},
     {"mode": "unordered", "window": timedelta(days=1)}, {"counting": "totals", "entry_start": date(2026, 9, 20)}],
)
def test_funnel_equals_in_memory(raw: pl.DataFrame, prepared: pl.DataFrame, options: dict[str, object]) -> None:
    steps = list(FUNNEL_STEPS)
    expected = funnel(prepared, steps, **options)  # type: ignore[arg-type]
    assert_frame_equal(funnel(raw, funnel_spec(steps, **options), engine=on(4)), expected)  # type: ignore[arg-type]


def test_journeys_equal_in_memory_out_of_core(parquet: Path, prepared: pl.DataFrame) -> None:
    assert_frame_equal(journeys(parquet, engine=on(3)), journeys(prepared).sort("user_id", "journey"))


def test_date_range_cuts_prepared_events_like_the_app(raw: pl.DataFrame, prepared: pl.DataFrame) -> None:
    days = (date(2026, 9, 15), date(2026, 10, 5))
    expected = funnel(filter_dates(prepared, *days), list(FUNNEL_STEPS))
    assert_frame_equal(funnel(raw, list(FUNNEL_STEPS), engine=on(3, date_range=days)), expected)
    assert_frame_equal(conversion_paths(prepared, engine=on(2, prepared=True, date_range=days)),
                       conversion_paths(filter_dates(prepared, *days)))


def test_persona_features_equal_in_memory(raw: pl.DataFrame, prepared: pl.DataFrame) -> None:
    assert_frame_equal(user_features(raw, engine=on(4)), user_features(prepared))


def test_persona_features_out_of_core_from_prepared_events(prepared: pl.DataFrame, tmp_path: Path) -> None:
    prepared.write_parquet(tmp_path / "prepared.parquet")
    assert_frame_equal(user_features(tmp_path / "prepared.parquet", engine=on(3, prepared=True)),
                       user_features(prepared))


def test_one_pass_runs_several_stages(raw: pl.DataFrame, prepared: pl.DataFrame) -> None:
    out = run(raw, {"prepared": prepare_stage(), "paths": paths_stage()}, engine=on(3))
    assert_frame_equal(out["paths"], conversion_paths(prepared))


def test_progress_reports_every_partition(raw: pl.DataFrame) -> None:
    seen: list[tuple[str, int, int]] = []
    run(raw, paths_stage(), engine=EngineOptions(before=prepare_stage(), partitions=3,
                                                 progress=lambda stage, done, total: seen.append((stage, done, total))))
    assert ("partitions", 3, 3) in seen
    assert [d for s, d, _ in seen if s == "paths"] == [1, 2, 3]


def test_unknown_engine_is_refused(raw: pl.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="engine='dask' is not valid; choose one of polars, spark"):
        run(raw, paths_stage(), engine="dask")  # type: ignore[arg-type]


def test_missing_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="does not exist"):
        prepare_events(tmp_path / "nope.parquet")
