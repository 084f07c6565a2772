"""Where Spark runs: addresses are checked before anything starts; person groups follow the data's size.

No Spark session starts here (the cluster and local runs are in test_spark_cluster.py and test_spark.py).
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.cli import EXIT_BAD_INPUT, EXIT_USAGE, main
from analysis.engine.spark import group_count
from analysis.engine.spark_session import SPARK_ENV, is_remote, spark_address
from analysis.errors import AnalysisError


@pytest.mark.parametrize("address", ["local", "local[2]", "local[*]", "spark://127.0.0.1:7077",
                                     "spark://m1.example.com:7077,m2.example.com:7077", "yarn",
                                     "k8s://https://10.0.0.1:443", "sc://localhost", "sc://spark.example.com:15002"])
def test_valid_addresses_are_kept_as_given(address: str) -> None:
    assert spark_address(address) == address


@pytest.mark.parametrize("address", ["http://10.0.0.1:7077", "spark://no-port", "local[two]", "sc:/x", "mesos"])
def test_an_invalid_address_names_itself_and_the_valid_forms(address: str) -> None:
    with pytest.raises(AnalysisError, match=rf"Spark address '{re.escape(address)}' is not valid: use local\[N\], spark://"):
        spark_address(address)


def test_the_environment_gives_the_default_and_says_so_when_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPARK_ENV, raising=False)
    assert spark_address() == "local[2]"
    monkeypatch.setenv(SPARK_ENV, "spark://10.0.0.5:7077")
    assert spark_address() == "spark://10.0.0.5:7077"
    assert spark_address("local[1]") == "local[1]"  # an explicit address wins
    monkeypatch.setenv(SPARK_ENV, "10.0.0.5")
    with pytest.raises(AnalysisError, match=r"'10.0.0.5' \(from \$JOURNEYLENS_SPARK\) is not valid"):
        spark_address()


def test_only_sc_addresses_are_spark_connect() -> None:
    assert is_remote("sc://h:15002")
    assert not is_remote("spark://h:7077")


def test_cli_rejects_a_bad_master_before_starting_anything(tmp_path: object) -> None:
    err = io.StringIO()
    code = main(["funnel", "events.parquet", "--steps", "a,b", "--spark-master", "http://h:7077"], stderr=err,
                stdout=io.StringIO())
    assert code == EXIT_BAD_INPUT
    assert "Spark address 'http://h:7077' is not valid" in err.getvalue()


def test_cli_takes_a_master_or_a_connect_address_not_both() -> None:
    err = io.StringIO()
    code = main(["funnel", "events.parquet", "--spark-master", "local[2]", "--spark-remote", "sc://h:15002"],
                stderr=err, stdout=io.StringIO())
    assert code == EXIT_USAGE
    assert "--spark-master or --spark-remote, not both" in err.getvalue()


def test_group_count_is_exact_on_small_cases() -> None:
    assert [group_count(n, events_per_group=10) for n in (0, 1, 10, 11, 20, 21)] == [1, 1, 1, 2, 2, 3]
    with pytest.raises(AnalysisError, match="events_per_group must be at least 1, got 0"):
        group_count(5, events_per_group=0)


@given(events=st.integers(0, 10**12), per_group=st.integers(1, 10**9))
def test_groups_hold_about_the_target_and_no_more(events: int, per_group: int) -> None:
    groups = group_count(events, events_per_group=per_group)
    assert groups >= 1
    assert groups * per_group >= events  # the average group holds at most the target
    assert groups == 1 or (groups - 1) * per_group < events  # and no group more than needed
