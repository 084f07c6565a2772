"""The identity graph on Spark (DataFrame joins) gives exactly the Polars graph's people."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.engine.spark import arrow_schema, spark_session
from analysis.ingest import load_people
from analysis.prepare.identity import IdentityRules, identity_graph
from analysis.sample import generate_sample, generate_silos

pytest.importorskip("pyspark", reason="the Spark engine needs the optional extra: pip install '.[spark]'")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs Java 17 (apt-get install default-jre-headless)", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

from analysis.engine.spark_identity import collect_people, spark_identity_graph  # noqa: E402


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session(shuffle_partitions=3)
    yield session
    session.stop()


def _to_spark(spark: Any, frame: pl.DataFrame) -> Any:
    return spark.createDataFrame(frame.to_arrow().cast(arrow_schema(frame.schema)))


def _same(spark: Any, frames: list[pl.DataFrame], rules: IdentityRules) -> None:
    expected = identity_graph(frames, rules=rules).nodes
    got = collect_people(spark_identity_graph([_to_spark(spark, f) for f in frames], rules=rules))
    assert_frame_equal(got, expected)


def test_hand_made_graph_on_spark_equals_polars(spark: Any) -> None:
    s = pl.String
    frames = [
        # a chain web id - e-mail - customer number, and a shared device
        pl.DataFrame({"user_id": ["u1", "u2", "u3", None], "anonymous_id": ["a1", "a2", "a2", "a3"],
                      "email": ["e1", None, None, "e9"]}, schema={"user_id": s, "anonymous_id": s, "email": s}),
        # a conflict (e2 on K2 and K3), a junk e-mail on 4 customers, a long chain u4 - e4 - K9 - e5 - u5
        pl.DataFrame({"customer_id": ["K1", "K2", "K3", "J1", "J2", "J3", "J4", "K9", "K9"],
                      "email": ["e1", "e2", "e2", "junk", "junk", "junk", "junk", "e4", "e5"]}),
        pl.DataFrame({"user_id": ["u4", "u5"], "email": ["e4", "e5"], "phone": ["p1", None]}),
    ]
    _same(spark, frames, IdentityRules(max_links=3))


def test_sample_silos_on_spark_equal_polars(spark: Any) -> None:
    sample = generate_sample(300, seed=3)
    silos = generate_silos(sample)
    crm = load_people(("crm.csv", silos.crm_csv), key=b"x" * 32).people
    shop = load_people(("shop.csv", silos.shop_csv), key=b"x" * 32).people
    assert crm is not None and shop is not None
    events = sample.events.select("user_id", "anonymous_id")
    _same(spark, [events, crm.drop("source_file"), shop.drop("source_file")], IdentityRules())


def test_routing_labels_keep_every_component_together(spark: Any) -> None:
    from analysis.engine.partition import identity_routes  # noqa: PLC0415
    from analysis.engine.spark_identity import DEVICE_NODE, USER_NODE, route_labels  # noqa: PLC0415

    # u1 - a1 - u2 - a2 - u3 through two shared devices, u1's own device a6; u4 alone with a4; a5 never logs in
    events = pl.DataFrame({"user_id": ["u1", "u2", "u2", "u3", "u1", "u4", None, None],
                           "anonymous_id": ["a1", "a1", "a2", "a2", "a6", "a4", "a5", "a1"]})
    got = dict(pl.from_arrow(route_labels(_to_spark(spark, events), events.columns).toArrow()).iter_rows())
    label = {**{f"{USER_NODE}{u}": f"{USER_NODE}{u}" for u in ("u1", "u2", "u3", "u4")}, **got}
    assert {label[f"{USER_NODE}{u}"] for u in ("u1", "u2", "u3")} == {label[f"{DEVICE_NODE}{a}"]
                                                                      for a in ("a1", "a2", "a6")} == {f"{USER_NODE}u1"}
    assert label[f"{DEVICE_NODE}a4"] == label[f"{USER_NODE}u4"] == f"{USER_NODE}u4"
    assert f"{DEVICE_NODE}a5" not in label
    # the same components as the embedded engine's routing tables
    devices, users = identity_routes(events)
    assert {d: label[f"{DEVICE_NODE}{d}"].removeprefix(USER_NODE) for d in devices["anonymous_id"]} == dict(
        devices.iter_rows())
    assert {u: label[f"{USER_NODE}{u}"].removeprefix(USER_NODE) for u in users["user_id"]} == dict(users.iter_rows())
