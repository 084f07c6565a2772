"""The sidebar's engine option: Polars by default, Spark only where it can run, the same prepared events either way."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

import ui.data
import ui.sidebar
from analysis.sample import generate_sample
from tests.app.apptest import APP
from ui import state
from ui.data import ENGINE_LABELS, Dataset

REASON = "Java is not on PATH (`make java` installs Java 17)."


@pytest.fixture
def no_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine as if PySpark or Java were missing."""
    monkeypatch.setattr(ui.data, "spark_unavailable", lambda: REASON)
    monkeypatch.setattr(ui.sidebar, "spark_unavailable", lambda: REASON)


def test_the_default_engine_is_polars() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    assert at.radio(key=state.ENGINE).value == "polars"


def test_the_option_offers_this_machine_and_spark() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert at.radio(key=state.ENGINE).options == list(ENGINE_LABELS.values())
    assert list(ENGINE_LABELS.values()) == ["This machine (Polars)", "Apache Spark"]


def test_the_cluster_field_shows_only_under_spark() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not [t for t in at.text_input if t.key == state.SPARK_ADDRESS]


def _spark_chosen(monkeypatch: pytest.MonkeyPatch, address: str | None, env: str | None = None) -> AppTest:
    """The app with Spark chosen (as if it could run here) and ``address`` typed; nothing starts Spark."""
    monkeypatch.setattr(ui.data, "spark_unavailable", lambda: None)
    monkeypatch.setattr(ui.sidebar, "spark_unavailable", lambda: None)
    if env is None:
        monkeypatch.delenv("JOURNEYLENS_SPARK", raising=False)
    else:
        monkeypatch.setenv("JOURNEYLENS_SPARK", env)
    at = AppTest.from_function(_engine_script, default_timeout=120)
    at.session_state[state.ENGINE] = "spark"
    if address is not None:
        at.session_state[state.SPARK_ADDRESS] = address
    return at.run()


def _engine_script() -> None:
    import streamlit as st  # noqa: PLC0415 (AppTest runs this function's body as a script)

    from ui.data import engine  # noqa: PLC0415
    from ui.sidebar import engine_setting  # noqa: PLC0415
    from ui.spark import chosen_address  # noqa: PLC0415

    with st.sidebar:
        engine_setting()
    st.session_state["test.engine"] = engine()
    st.session_state["test.address"] = chosen_address()


def test_a_cluster_address_is_typed_under_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _spark_chosen(monkeypatch, "spark://10.1.2.3:7077")
    assert not at.exception
    assert at.text_input(key=state.SPARK_ADDRESS).value == "spark://10.1.2.3:7077"
    assert (at.session_state["test.engine"], at.session_state["test.address"]) == ("spark", "spark://10.1.2.3:7077")
    assert not at.error


def test_a_team_server_sets_the_default_address_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _spark_chosen(monkeypatch, None, env="sc://spark.example.com:15002")
    assert at.text_input(key=state.SPARK_ADDRESS).placeholder == "sc://spark.example.com:15002"
    assert at.session_state["test.address"] == "sc://spark.example.com:15002"


def test_without_an_address_spark_runs_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _spark_chosen(monkeypatch, "")
    assert at.session_state["test.address"] == "local[2]"


def test_a_wrong_address_says_what_is_valid_and_prepares_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _spark_chosen(monkeypatch, "http://10.1.2.3:7077")
    assert not at.exception
    assert at.error[0].value.startswith("`http://10.1.2.3:7077` is not a Spark address. Use `spark://host:7077`")
    assert at.session_state["test.engine"] == "polars"


def test_without_spark_the_option_is_disabled_and_says_why(no_spark: None) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    radio = at.radio(key=state.ENGINE)
    assert radio.disabled
    assert REASON in radio.help


def test_without_spark_a_spark_choice_falls_back_to_polars(no_spark: None) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[state.ENGINE] = "spark"  # e.g. left over from a machine that had Spark
    at.run()
    assert not at.exception
    assert at.radio(key=state.ENGINE).value == "polars"


def _prepared_script() -> None:
    import streamlit as st  # noqa: PLC0415 (AppTest runs this function's body as a script)

    from ui.data import engine, prepared_events  # noqa: PLC0415

    st.session_state["test.prepared"] = prepared_events()
    st.session_state["test.engine"] = engine()


@pytest.fixture(scope="module")
def spark_available() -> Iterator[None]:
    pytest.importorskip("pyspark", reason="the Spark engine needs the optional extra: pip install '.[spark]'")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java 17 (make java)")
    yield
    from pyspark.sql import SparkSession  # noqa: PLC0415

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_prepares_the_same_events_as_polars(spark_available: None) -> None:
    events = generate_sample(60, seed=3).events
    at = AppTest.from_function(_prepared_script, default_timeout=300)
    at.session_state[state.DATASET] = Dataset("Tiny", "tiny-digest", events)
    at.run()
    assert at.session_state["test.engine"] == "polars"
    on_polars = at.session_state["test.prepared"]
    at.session_state[state.ENGINE] = "spark"
    at.run()
    assert not at.exception
    assert at.session_state["test.engine"] == "spark"
    on_spark = at.session_state["test.prepared"]
    assert on_spark is not on_polars  # the engine is part of the cache key: a second, separate result
    assert_frame_equal(on_spark, on_polars)
