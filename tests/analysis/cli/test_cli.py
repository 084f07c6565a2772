"""The command line, run in-process: outputs equal the library's, exit codes fit for scripts."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import attribute, conversion_paths
from analysis.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, main
from analysis.cli.recipe import read_recipe
from analysis.filters import add_person_labels, filter_dates
from analysis.funnels import funnel
from analysis.prepare import prepare
from analysis.sample import FUNNEL_STEPS, generate_sample

STEPS = ",".join(FUNNEL_STEPS)


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    return generate_sample(300, seed=21).events


@pytest.fixture(scope="module")
def parquet(events: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "events.parquet"
    events.write_parquet(path)
    return path


@pytest.fixture(scope="module")
def csv(events: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "events.csv"
    events.write_csv(path)
    return path


def _run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_load_prints_the_report(csv: Path, events: pl.DataFrame) -> None:
    code, out, _ = _run("load", csv, "-q")
    assert code == EXIT_OK
    assert "events.csv" in out and f"{events.height}" in out and "user_id <- user_id" in out


def test_funnel_writes_the_library_table(parquet: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    code, _, err = _run("funnel", parquet, "--steps", STEPS, "--out", tmp_path / "f.parquet", "--partitions", "3")
    assert code == EXIT_OK
    assert_frame_equal(pl.read_parquet(tmp_path / "f.parquet"), funnel(prepare(events), list(FUNNEL_STEPS)))
    assert "partition 1/3" in err


def test_funnel_to_stdout_is_csv(parquet: Path) -> None:
    code, out, err = _run("funnel", parquet, "--steps", STEPS, "--quiet")
    assert code == EXIT_OK and err == ""
    assert out.splitlines()[0].startswith("step,name,entered,")
    assert len(out.splitlines()) == 1 + len(FUNNEL_STEPS)


def test_attribute_writes_paths_and_models(csv: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    code, _, _ = _run("attribute", csv, "--models", "last_touch,markov", "--out", tmp_path / "a.parquet",
                      "--paths-out", tmp_path / "p.parquet", "-q")
    assert code == EXIT_OK
    paths = conversion_paths(prepare(events))
    assert_frame_equal(pl.read_parquet(tmp_path / "p.parquet"), paths)
    table = pl.read_parquet(tmp_path / "a.parquet")
    assert_frame_equal(table.filter(pl.col("model") == "markov").drop("model"), attribute(paths, model="markov"))


def test_attribute_with_time_decay_uses_the_touch_times(parquet: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    code, _, err = _run("attribute", parquet, "--models", "last_touch,time_decay", "--out", tmp_path / "a.parquet",
                        "-q")
    assert code == EXIT_OK, err
    table = pl.read_parquet(tmp_path / "a.parquet")
    paths = conversion_paths(prepare(events), with_times=True)
    assert_frame_equal(table.filter(pl.col("model") == "time_decay").drop("model"),
                       attribute(paths, model="time_decay"), check_exact=False)


@pytest.mark.parametrize("fixture", ["parquet", "csv"])
def test_attribute_without_the_conversion_event_exits_3_naming_events_and_suggestions(
        fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    source = request.getfixturevalue(fixture)
    code, out, err = _run("attribute", source, "--conversion-events", "nope", "--out", tmp_path / "a.csv", "-q")
    assert code == EXIT_BAD_INPUT and out == ""
    assert "the conversion event 'nope' does not occur in the data" in err
    assert "page_view (" in err and "Likely conversion events: purchase" in err
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize("fixture", ["parquet", "csv"])
def test_funnel_with_a_step_absent_from_the_data_exits_3_naming_the_close_match(
        fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    source = request.getfixturevalue(fixture)
    code, out, err = _run("funnel", source, "--steps", "view_item,purchse", "--out", tmp_path / "f.csv", "-q")
    assert code == EXIT_BAD_INPUT and out == ""
    assert "step 2 'purchse' does not occur in the data" in err and "Close matches: purchase." in err
    assert not (tmp_path / "f.csv").exists()


def test_personas_on_too_few_people_say_so_on_stderr(tmp_path: Path) -> None:
    small = tmp_path / "small.parquet"
    generate_sample(25, seed=2).events.write_parquet(small)
    code, _, err = _run("personas", small, "--out", tmp_path / "p.csv", "-q")
    assert code == EXIT_OK
    assert "no distinct personas in this data: 25 people are too few" in err
    assert pl.read_csv(tmp_path / "p.csv")["name"].to_list() == ["Everyone"]


def test_prepare_out_of_core_writes_partitions(parquet: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    code, _, _ = _run("prepare", parquet, "--out", tmp_path / "prepared", "--partitions", "2", "-q")
    assert code == EXIT_OK
    got = pl.read_parquet(sorted((tmp_path / "prepared").glob("*.parquet"))).sort("user_id", "timestamp",
                                                                                  maintain_order=True)
    assert_frame_equal(got, prepare(events))


def test_prepare_csv_to_a_folder(csv: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    code, _, _ = _run("prepare", csv, "--out", tmp_path / "prepared", "--partitions", "2", "-q")
    assert code == EXIT_OK
    got = pl.read_parquet(sorted((tmp_path / "prepared").glob("*.parquet")))
    assert got.height == events.height and got["session_id"].null_count() == 0


def test_recipe_round_trip(parquet: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    first = _run("funnel", parquet, "--steps", "view_item,purchase", "--window-days", "2", "--write-recipe", recipe,
                 "-q")
    assert read_recipe(recipe).get("funnel_steps") == ["view_item", "purchase"]
    again = _run("funnel", parquet, "--recipe", recipe, "-q")
    assert first[:2] == again[:2] and again[0] == EXIT_OK


def test_date_range_from_options_or_recipe(parquet: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    # as the Funnels page: the range governs entry, later steps may fall after it
    expected = funnel(prepare(events), list(FUNNEL_STEPS), entry_start=date(2026, 9, 15), entry_end=date(2026, 10, 5))
    code, _, _ = _run("funnel", parquet, "--steps", STEPS, "--start", "2026-09-15", "--end", "2026-10-05",
                      "--out", tmp_path / "a.parquet", "-q")
    assert code == EXIT_OK
    assert_frame_equal(pl.read_parquet(tmp_path / "a.parquet"), expected)
    recipe = tmp_path / "recipe.json"  # as the app writes it: the sidebar range under "date_range"
    recipe.write_text(json.dumps({"format": "journeylens-recipe", "parameters": {
        "funnel_steps": list(FUNNEL_STEPS), "date_range": ["2026-09-15", "2026-10-05"]}}))
    assert _run("funnel", parquet, "--recipe", recipe, "--out", tmp_path / "b.parquet", "-q")[0] == EXIT_OK
    assert_frame_equal(pl.read_parquet(tmp_path / "b.parquet"), expected)


def test_attribute_date_range_cuts_prepared_events(parquet: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    code, _, _ = _run("attribute", parquet, "--start", "2026-09-15", "--end", "2026-10-05", "--models", "linear",
                      "--paths-out", tmp_path / "p.parquet", "--out", tmp_path / "a.csv", "-q")
    assert code == EXIT_OK
    expected = conversion_paths(filter_dates(prepare(events), date(2026, 9, 15), date(2026, 10, 5)))
    assert_frame_equal(pl.read_parquet(tmp_path / "p.parquet"), expected)


def test_bad_date_exits_3(parquet: Path) -> None:
    code, _, err = _run("funnel", parquet, "--steps", STEPS, "--start", "15.09.2026", "-q")
    assert code == EXIT_BAD_INPUT and "dates must look like 2026-09-30" in err


def test_recipe_for_other_data_warns(parquet: Path, csv: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    _run("funnel", parquet, "--steps", STEPS, "--write-recipe", recipe, "-q")
    code, _, err = _run("funnel", csv, "--recipe", recipe, "-q")
    assert code == EXIT_OK and "not the data the recipe was made on" in err


def test_snapshot_writes_html_and_json(csv: Path, tmp_path: Path) -> None:
    code, out, _ = _run("snapshot", csv, "--out", tmp_path / "snap", "--no-personas", "-q")
    assert code == EXIT_OK
    assert (tmp_path / "snap" / "snapshot.html").exists()
    assert json.loads((tmp_path / "snap" / "snapshot.json").read_text())["format"] == "journeylens-snapshot"
    assert out.strip().endswith("snapshot.html")


def test_bad_input_exits_3_with_the_ingest_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n")
    code, _, err = _run("load", bad, "-q")
    assert code == EXIT_BAD_INPUT
    assert "bad.csv" in err and "no column found for timestamp" in err


def test_missing_file_exits_3(tmp_path: Path) -> None:
    code, _, err = _run("funnel", tmp_path / "none.csv", "--steps", STEPS)
    assert code == EXIT_BAD_INPUT and "does not exist" in err


def test_unknown_model_exits_3_naming_valid_ones(parquet: Path) -> None:
    code, _, err = _run("attribute", parquet, "--models", "magic", "-q")
    assert code == EXIT_BAD_INPUT and "--models='magic' is not valid; choose one of" in err and "markov" in err


def test_usage_errors_exit_2(parquet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("fun", parquet)[0] == EXIT_USAGE
    assert _run("funnel", parquet, "--engine", "dask")[0] == EXIT_USAGE
    assert _run("snapshot", parquet)[0] == EXIT_USAGE
    assert "invalid choice" in capsys.readouterr().err


def test_bad_output_suffix_exits_3(parquet: Path, tmp_path: Path) -> None:
    code, _, err = _run("funnel", parquet, "--steps", STEPS, "--out", tmp_path / "f.xlsx", "-q")
    assert code == EXIT_BAD_INPUT and ".csv, .parquet, .json" in err


def _persona_recipe(path: Path, events: pl.DataFrame, **parameters: object) -> tuple[Path, pl.DataFrame]:
    """A recipe carrying 2 personas' settings (one renamed), and the people they label."""
    from analysis.personas import Personas, persona_column  # noqa: PLC0415
    from analysis.personas.recipe import persona_parameters  # noqa: PLC0415

    model = Personas(k=2, stability_runs=0).fit(prepare(events)).rename({1: "Second"})
    path.write_text(json.dumps({"format": "journeylens-recipe", "parameters": {
        "persona_fit": persona_parameters(model), **parameters}}))
    return path, persona_column(model)


def test_attribute_with_the_recipes_persona_keeps_its_people(parquet: Path, events: pl.DataFrame,
                                                             tmp_path: Path) -> None:
    recipe, labels = _persona_recipe(tmp_path / "r.json", events, persona="Second")
    code, _, err = _run("attribute", parquet, "--recipe", recipe, "--models", "linear", "--paths-out",
                        tmp_path / "p.parquet", "--out", tmp_path / "a.csv", "-q")
    assert code == EXIT_OK, err
    people = add_person_labels(prepare(events), labels).filter(pl.col("persona") == "Second")
    assert_frame_equal(pl.read_parquet(tmp_path / "p.parquet"), conversion_paths(people), check_row_order=False)


def test_funnel_broken_down_by_the_recipes_personas(parquet: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    recipe, labels = _persona_recipe(tmp_path / "r.json", events, funnel_steps=list(FUNNEL_STEPS),
                                     funnel_breakdown="persona")
    code, _, err = _run("funnel", parquet, "--recipe", recipe, "--out", tmp_path / "f.parquet", "-q")
    assert code == EXIT_OK, err
    expected = funnel(add_person_labels(prepare(events), labels), list(FUNNEL_STEPS), breakdown="persona")
    assert_frame_equal(pl.read_parquet(tmp_path / "f.parquet"), expected, check_row_order=False)


def test_a_persona_without_its_settings_exits_3(parquet: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"format": "journeylens-recipe", "parameters": {"persona": "Loyal"}}))
    code, _, err = _run("attribute", parquet, "--recipe", recipe, "-q")
    assert code == EXIT_BAD_INPUT and "persona_fit" in err


def test_snapshot_follows_the_recipes_title_sections_and_personas(csv: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"format": "journeylens-recipe", "parameters": {
        "title": "Q3 for the agency", "sections": ["funnel"], "use_personas": False, "funnel_steps": ["view_item",
                                                                                                      "purchase"]}}))
    assert _run("snapshot", csv, "--recipe", recipe, "--out", tmp_path / "snap", "-q")[0] == EXIT_OK
    meta = json.loads((tmp_path / "snap" / "snapshot.json").read_text())
    assert meta["title"] == "Q3 for the agency"
    assert meta["parameters"]["sections"] == ["funnel"] and meta["parameters"]["persona_k"] is None
    assert meta["parameters"]["funnel_steps"] == ["view_item", "purchase"]


def test_a_snapshot_json_refits_its_personas(csv: Path, tmp_path: Path) -> None:
    assert _run("snapshot", csv, "--k", "2", "--out", tmp_path / "one", "-q")[0] == EXIT_OK
    first = json.loads((tmp_path / "one" / "snapshot.json").read_text())
    assert first["parameters"]["persona_fit"]["persona_k"] == 2
    code, _, err = _run("snapshot", csv, "--recipe", tmp_path / "one" / "snapshot.json", "--out", tmp_path / "two",
                        "-q")
    assert code == EXIT_OK, err
    second = json.loads((tmp_path / "two" / "snapshot.json").read_text())
    assert second["tables"]["personas"] == first["tables"]["personas"]


def test_personas_follow_the_personas_page_recipe(parquet: Path, events: pl.DataFrame, tmp_path: Path) -> None:
    from analysis.personas import Personas  # noqa: PLC0415

    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"format": "journeylens-recipe", "parameters": {
        "page": "personas", "persona_k": 3, "algorithm": "gmm", "groups": ["events", "channels"],
        "stability_runs": 2, "persona_names": {"0": "Largest"}}}))
    code, _, err = _run("personas", parquet, "--recipe", recipe, "--out", tmp_path / "p.parquet", "-q")
    assert code == EXIT_OK, err
    model = Personas(k=3, algorithm="gmm", groups=("events", "channels"), stability_runs=2).fit(prepare(events))
    expected = model.rename({0: "Largest"}).profiles_
    assert_frame_equal(pl.read_parquet(tmp_path / "p.parquet"), expected)


def test_mapping_hints_are_given_as_map_options(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("user_id,timestamp,interaction\nu,2025-03-01T10:00:00Z,view\n")
    code, _, err = _run("load", path, "-q")
    assert code == EXIT_BAD_INPUT and "--map event=<column>" in err and "mapping={" not in err
    code, _, err = _run("load", path, "--map", "event=interaction", "-q")
    assert code == EXIT_OK and "journeylens: warning: No acquisition columns" in err
