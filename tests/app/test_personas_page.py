"""The Personas page on the bundled sample (AppTest): waits for the run button, fits, renames, exports."""

from __future__ import annotations

import polars as pl
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_app
from ui import personas as up


def open_page(**state: object) -> AppTest:
    return open_app("personas", **state)


def find_personas(at: AppTest) -> AppTest:
    at.button(key=f"FormSubmitter:{up.FORM}-Find personas").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_nothing_heavy_runs_before_the_button() -> None:
    at = open_page()
    assert at.title[0].value == "Personas"
    assert any("Find personas" in i.value for i in at.info)
    assert not at.dataframe


def test_fixed_k_shows_profiles_stability_and_breakdown_tables() -> None:
    at = find_personas(open_page(**{up.K_MODE: "fixed", up.K: 4, up.STABILITY_RUNS: 3}))
    profiles = at.dataframe[0].value
    assert len(profiles) == 4
    assert {"Persona", "Conversion rate", "What sets them apart", "Re-found in resamples", "Status"} <= set(
        profiles.columns)
    assert "None" not in profiles.astype(str).to_numpy().ravel().tolist()
    assert at.metric[0].value == "4"
    assert len(at.dataframe) >= 4  # profiles, drivers, persona x channel, persona x step
    assert at.get("plotly_chart")


def test_export_stores_a_user_to_persona_column_for_other_pages() -> None:
    at = find_personas(open_page(**{up.K_MODE: "fixed", up.K: 3, up.STABILITY_RUNS: 0}))
    at.button(key="personas.export").click().run()
    assert not at.exception
    cohort = at.session_state[up.COHORT]
    assert isinstance(cohort, pl.DataFrame)
    assert cohort.columns == ["user_id", "persona"]
    assert cohort["persona"].n_unique() == 3


def test_renaming_a_persona_shows_the_new_name() -> None:
    at = find_personas(open_page(**{up.K_MODE: "fixed", up.K: 3, up.STABILITY_RUNS: 0}))
    run = at.session_state[up.RUN]
    at.text_input(key=f"personas.name.{run.token}.0").set_value("Our best customers")
    at.button(key=f"FormSubmitter:personas.rename.{run.token}-Save names").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.dataframe[0].value["Persona"].iloc[0] == "Our best customers"


def test_the_map_renders_when_asked() -> None:
    at = find_personas(open_page(**{up.K_MODE: "fixed", up.K: 3, up.STABILITY_RUNS: 0}))
    charts = len(at.get("plotly_chart"))
    at.toggle(key=up.SHOW_MAP).set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts + 1


def test_too_few_people_say_no_distinct_personas_and_why() -> None:
    from analysis.sample import generate_sample  # noqa: PLC0415
    from ui.data import Dataset  # noqa: PLC0415
    from ui.state import DATASET  # noqa: PLC0415

    data = Dataset("25 people.csv", "digest-25-people", generate_sample(25, seed=1).events)
    at = find_personas(open_page(**{DATASET: data, up.STABILITY_RUNS: 0}))
    assert "No distinct personas in this data" in at.warning[0].value
    assert "too few people" in at.warning[0].value
    assert at.dataframe[0].value["Persona"].tolist() == ["Everyone"]
    assert not at.get("plotly_chart")  # no figures of groups that are not there
