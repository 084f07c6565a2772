"""The Spark engine (PySpark local[2]) returns exactly what the embedded engine returns.

One SparkSession for the module (about 6-13 s to start); the runs are few and combine stages.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import attribute, conversion_paths
from analysis.attribution.paths import PathOptions
from analysis.attribution.stage import paths_stage
from analysis.cli import main
from analysis.engine import EngineOptions, run
from analysis.engine.spark import spark_session
from analysis.funnels import funnel_spec
from analysis.funnels.stage import funnel_stage
from analysis.personas import user_features
from analysis.prepare.stage import prepare_events, prepare_stage, prepare_to_parquet
from analysis.sample import FUNNEL_STEPS, generate_sample

pytest.importorskip("pyspark", reason="the Spark engine needs the optional extra: pip install '.[spark]'")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs Java 17 (apt-get install default-jre-headless)", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

SPEC = funnel_spec(list(FUNNEL_STEPS), breakdown="device")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session(shuffle_partitions=3)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def raw() -> pl.DataFrame:
    return generate_sample(400, seed=9).events


def test_prepare_on_spark_equals_embedded(spark: Any, raw: pl.DataFrame) -> None:
    expected = prepare_events(raw, engine=EngineOptions(partitions=3))
    assert_frame_equal(prepare_events(raw, engine=EngineOptions(engine="spark", spark=spark, partitions=3)), expected)


def test_funnel_paths_and_attribution_on_spark_equal_embedded(spark: Any, raw: pl.DataFrame) -> None:
    stages = {"funnel": funnel_stage(SPEC), "paths": paths_stage()}
    embedded = run(raw, stages, engine=EngineOptions(before=prepare_stage(), partitions=3))
    on_spark = run(raw, stages, engine=EngineOptions(engine="spark", spark=spark, before=prepare_stage(), partitions=3))
    assert_frame_equal(on_spark["funnel"], embedded["funnel"])
    assert_frame_equal(on_spark["paths"], embedded["paths"])
    for model in ("last_touch", "markov"):
        assert_frame_equal(attribute(on_spark["paths"], model=model), attribute(embedded["paths"], model=model))


def test_stages_reading_fewer_columns_on_spark_equal_embedded(spark: Any, raw: pl.DataFrame) -> None:
    # each stage gets only the columns it names: a breakdown column, the touch columns and the touch times must
    # still reach the map
    stages = {"funnel": funnel_stage(funnel_spec(list(FUNNEL_STEPS), breakdown="device")),
              "paths": paths_stage(PathOptions(touch="source_medium")), "timed": paths_stage(with_times=True)}
    embedded = run(raw, stages, engine=EngineOptions(before=prepare_stage(), partitions=3))
    on_spark = run(raw, stages, engine=EngineOptions(engine="spark", spark=spark, before=prepare_stage(), partitions=3))
    for name in stages:
        assert_frame_equal(on_spark[name], embedded[name])
    assert embedded["funnel"]["breakdown"].n_unique() > 1


def test_prepare_from_several_files_on_spark_equals_embedded(spark: Any, raw: pl.DataFrame, tmp_path: Path) -> None:
    # the files are numbered in path order on Spark; ties in time keep the input order across files as in memory
    folder = tmp_path / "events"
    folder.mkdir()
    for i, part in enumerate(raw.with_row_index("_i").with_columns(pl.col("_i") % 3).partition_by("_i")):
        part.drop("_i").write_parquet(folder / f"part-{i}.parquet")
    expected = prepare_events(folder, engine=EngineOptions(partitions=3))
    assert_frame_equal(prepare_events(folder, engine=EngineOptions(engine="spark", spark=spark, partitions=3)),
                       expected)


def test_folders_prepared_by_either_engine_are_mapped_by_the_other(spark: Any, raw: pl.DataFrame, tmp_path: Path
                                                                     ) -> None:
    on_spark = EngineOptions(engine="spark", spark=spark, partitions=3)
    expected = conversion_paths(prepare_events(raw, engine=EngineOptions(partitions=3)))
    prepare_to_parquet(raw, tmp_path / "embedded", engine=EngineOptions(partitions=3))
    prepare_to_parquet(raw, tmp_path / "spark", engine=on_spark)
    assert_frame_equal(conversion_paths(tmp_path / "embedded", engine=on_spark), expected)
    assert_frame_equal(conversion_paths(tmp_path / "spark", engine=EngineOptions(partitions=2)), expected)


def test_persona_features_on_spark_from_parquet_equal_embedded(spark: Any, raw: pl.DataFrame, tmp_path: Path
                                                               ) -> None:
    raw.write_parquet(tmp_path / "events.parquet")
    expected = user_features(raw, engine=EngineOptions(before=prepare_stage(), partitions=3))
    on_spark = EngineOptions(engine="spark", spark=spark, before=prepare_stage(), partitions=3)
    assert_frame_equal(user_features(tmp_path / "events.parquet", engine=on_spark), expected)


def test_cli_engine_option_runs_on_spark(spark: Any, raw: pl.DataFrame, tmp_path: Path) -> None:
    # the CLI reuses the running session through getOrCreate
    raw.write_parquet(tmp_path / "events.parquet")
    args = ["funnel", str(tmp_path / "events.parquet"), "--steps", ",".join(FUNNEL_STEPS), "--partitions", "3", "-q"]
    assert main([*args, "--engine", "spark", "--out", str(tmp_path / "spark.parquet")]) == 0
    assert main([*args, "--out", str(tmp_path / "polars.parquet")]) == 0
    assert_frame_equal(pl.read_parquet(tmp_path / "spark.parquet"), pl.read_parquet(tmp_path / "polars.parquet"))
