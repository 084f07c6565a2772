"""A recipe downloaded from a page that uses the exported personas re-runs on the command line on the same people."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from analysis.attribution import conversion_paths
from analysis.cli import EXIT_OK, main
from analysis.filters import add_person_labels
from analysis.prepare import prepare
from analysis.sample import SAMPLE_PATH, load_sample
from tests.app.apptest import open_app
from ui import attribution as ua
from ui import personas as up
from ui import state

CHOSEN = "Chosen ones"


def _attribution_recipe_script() -> None:
    import json  # noqa: PLC0415 (AppTest runs this function's body as a script)

    import streamlit as st  # noqa: PLC0415

    from ui import attribution as ua  # noqa: PLC0415
    from ui import funnels as uf  # noqa: PLC0415
    from ui import share  # noqa: PLC0415

    st.code(json.dumps(share.view_recipe("attribution", ua.SHARE_KEYS, extra=ua.recipe_extras()).to_dict()))
    st.session_state[uf.BREAKDOWN] = "persona"
    st.code(json.dumps(share.view_recipe("funnels", uf.SHARE_KEYS, extra=uf.recipe_extras()).to_dict()))


def _exported_personas() -> tuple[pl.DataFrame, dict[str, object]]:
    """Fit 3 personas on the Personas page, rename one, export the persona column; its labels and fit settings."""
    at = open_app("personas", **{up.K_MODE: "fixed", up.K: 3, up.STABILITY_RUNS: 0})
    at.button(key=f"FormSubmitter:{up.FORM}-Find personas").click().run()
    run = at.session_state[up.RUN]
    at.text_input(key=up.name_key(run, 1)).set_value(CHOSEN)
    at.button(key=f"FormSubmitter:personas.rename.{run.token}-Save names").click().run()
    at.button(key="personas.export").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state[state.PERSONA_LABELS], at.session_state[state.PERSONA_FIT]


def test_attribution_recipe_with_a_persona_reruns_on_the_command_line(tmp_path: Path) -> None:
    labels, fit = _exported_personas()
    assert fit["persona_names"]["1"] == CHOSEN  # type: ignore[index]

    at = AppTest.from_function(_attribution_recipe_script, default_timeout=120)
    at.session_state[state.PERSONA_LABELS] = labels
    at.session_state[state.PERSONA_FIT] = fit
    for key, value in {ua.PERSONA: CHOSEN, ua.MODELS: ["linear"], ua.CONVERSION_EVENTS: ["purchase"],
                       ua.LOOKBACK_DAYS: 14}.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    recipe, funnel_recipe = (json.loads(c.value) for c in at.code)
    assert recipe["parameters"]["persona"] == CHOSEN and recipe["parameters"]["persona_fit"] == fit
    assert funnel_recipe["parameters"]["funnel_breakdown"] == "persona"
    assert funnel_recipe["parameters"]["persona_fit"] == fit
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))

    out, err = io.StringIO(), io.StringIO()
    code = main(["attribute", str(SAMPLE_PATH), "--recipe", str(tmp_path / "recipe.json"), "--paths-out",
                 str(tmp_path / "paths.parquet"), "--out", str(tmp_path / "models.csv"), "-q"], stdout=out,
                stderr=err)
    assert code == EXIT_OK, err.getvalue()
    # the page's paths: the exported persona's people among the prepared sample
    people = add_person_labels(prepare(load_sample()), labels).filter(pl.col("persona") == CHOSEN)
    parameters = recipe["parameters"]
    expected = conversion_paths(people, conversion_events=parameters["conversion_events"],
                                lookback=timedelta(days=parameters["attribution_lookback_days"]))
    assert_frame_equal(pl.read_parquet(tmp_path / "paths.parquet"), expected, check_row_order=False)
