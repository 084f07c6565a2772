"""The Spark engine on a real standalone cluster (two workers, one core each) gives the embedded engine's results,
with the driver bounded (``spark.driver.maxResultSize=1m``): prepared events are written by the executors and every
analysis returns merged aggregates only.

One cluster and one session for the module; the data is small (1,500 people, about 25k events) but larger than the
driver's result limit, so a step that collected events to the driver would fail.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis import schema as s
from analysis.attribution import attribute, conversion_paths
from analysis.engine import EngineOptions
from analysis.engine.spark_session import spark_session, stop_spark
from analysis.funnels import funnel, funnel_spec
from analysis.personas.features import user_features
from analysis.prepare.stage import prepare_events, prepare_first, prepare_to_parquet
from analysis.sample import FUNNEL_STEPS, generate_sample

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

SPEC = funnel_spec(list(FUNNEL_STEPS), breakdown="device")
RESULT_LIMIT = "1m"
EMBEDDED = EngineOptions(before=prepare_first())  # raw events, prepared per partition on this machine


@pytest.fixture(scope="module")
def spark(spark_cluster: str) -> Iterator[Any]:
    stop_spark()  # a local session of an earlier module: one Spark context per process
    session = spark_session(spark_cluster, shuffle_partitions=4, driver_memory="1g", conf={
        "spark.driver.maxResultSize": RESULT_LIMIT, "spark.executor.memory": "768m", "spark.executor.cores": "1"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def raw_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cluster") / "events.parquet"
    generate_sample(1_500, seed=9).events.write_parquet(path)
    return path


@pytest.fixture(scope="module")
def prepared_dir(spark: Any, raw_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "prepared"
    prepare_to_parquet(raw_file, out, engine=EngineOptions(engine="spark", spark=spark, partitions=3))
    return out


def _executors(spark: Any) -> int:
    return int(spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size()) - 1  # minus the driver


def test_the_session_runs_on_the_cluster_with_two_executors(spark: Any, spark_cluster: str) -> None:
    assert spark.sparkContext.master == spark_cluster
    deadline = time.monotonic() + 120  # executors register a little after the session starts (longer under load)
    while _executors(spark) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _executors(spark) == 2


def test_the_events_are_larger_than_what_the_driver_may_collect(raw_file: Path) -> None:
    # the premise of the other tests: collecting the events would break maxResultSize
    assert pl.read_parquet(raw_file).estimated_size("mb") > 2 * int(RESULT_LIMIT.rstrip("m"))


def test_prepared_parquet_written_by_the_executors_equals_embedded_prepare(prepared_dir: Path, raw_file: Path
                                                                           ) -> None:
    groups = sorted(p.name for p in prepared_dir.glob("_part=*"))
    assert groups == ["_part=0", "_part=1", "_part=2"]
    files = sorted(prepared_dir.rglob("*.parquet"))
    on_spark = pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in files])
    expected = prepare_events(raw_file)
    people = [set(pl.read_parquet(g / "*.parquet", hive_partitioning=False)[s.USER_ID].unique())
              for g in prepared_dir.glob("_part=*")]
    assert sum(len(p) for p in people) == len(set().union(*people))  # a person never splits across groups
    assert_frame_equal(on_spark.sort(s.USER_ID, s.TIMESTAMP, maintain_order=True), expected)


def test_funnel_on_the_cluster_equals_embedded(spark: Any, prepared_dir: Path, raw_file: Path) -> None:
    expected = funnel(raw_file, SPEC, engine=EMBEDDED)
    assert_frame_equal(funnel(prepared_dir, SPEC, engine=EngineOptions(engine="spark", spark=spark)), expected)


def test_paths_and_attribution_on_the_cluster_equal_embedded(spark: Any, prepared_dir: Path, raw_file: Path) -> None:
    expected = conversion_paths(raw_file, engine=EMBEDDED)
    on_spark = conversion_paths(prepared_dir, engine=EngineOptions(engine="spark", spark=spark))
    assert_frame_equal(on_spark, expected)
    for model in ("last_touch", "markov"):
        assert_frame_equal(attribute(on_spark, model=model), attribute(expected, model=model))


def test_persona_features_on_the_cluster_equal_embedded(spark: Any, prepared_dir: Path, raw_file: Path) -> None:
    expected = user_features(raw_file, engine=EMBEDDED)
    assert_frame_equal(user_features(prepared_dir, engine=EngineOptions(engine="spark", spark=spark)), expected)


def test_progress_names_each_step_and_its_share_done(spark: Any, prepared_dir: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    conversion_paths(prepared_dir, engine=EngineOptions(
        engine="spark", spark=spark, progress=lambda step, done, total: heard.append((step, done, total))))
    assert heard[0] == ("paths", 0, 1)
    assert heard[-1] == ("paths", 1, 1)
    assert all(0 <= done <= total for _, done, total in heard)
